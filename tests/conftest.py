"""Shared fixtures: synthetic line images rendered with PIL, offline and fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def render_line(text: str, size: int = 24, pad: int = 6) -> np.ndarray:
    """A grey uint8 image of ``text`` in black on white."""
    font = ImageFont.truetype(FONT, size) if Path(FONT).is_file() else ImageFont.load_default()
    left, top, right, bottom = font.getbbox(text or " ")
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=0)
    return np.asarray(image)


@pytest.fixture
def line_folder(tmp_path: Path) -> Path:
    """A TRSynth-style folder of six rendered lines: images/ and labels.txt."""
    import cv2

    texts = ["TOTAL 12.50", "hello world", "Cash", "null", "NA", "2024-01-31"]
    (tmp_path / "images").mkdir()
    lines = []
    for i, t in enumerate(texts):
        cv2.imwrite(str(tmp_path / "images" / f"{i}.png"), render_line(t))
        lines.append(f"{i}.png {t}\n")
    (tmp_path / "labels.txt").write_text("".join(lines))
    return tmp_path
