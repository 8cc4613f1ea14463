"""Cut labelled line crops out of annotated pages, so real data can train the recognizer."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from yocr.data.annotations import AnnotatedPage
from yocr.data.labels import atomic_write_text

log = logging.getLogger(__name__)


def crop_line(image: np.ndarray, box: tuple[float, float, float, float], margin: float = 0.15) -> np.ndarray:
    """The region ``box`` of ``image`` grown by ``margin`` times its height on every side, clipped to the image."""
    x0, y0, x1, y1 = box
    m = margin * (y1 - y0)
    h, w = image.shape[:2]
    xa, ya = max(0, int(round(x0 - m))), max(0, int(round(y0 - m)))
    xb, yb = min(w, int(round(x1 + m))), min(h, int(round(y1 + m)))
    return image[ya:yb, xa:xb]


def write_crops(
    pages: list[AnnotatedPage],
    out: str | Path,
    margin: float = 0.15,
    min_height: int = 6,
) -> tuple[int, list[str]]:
    """Write crops to ``out/images`` and ``out/labels.txt`` (TRSynth layout) plus ``out/groups.csv``.

    Crops whose text is empty, or that are smaller than ``min_height`` pixels, are skipped. Returns
    ``(count, problems)``.
    """
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    lines, groups, problems = [], ["name,group"], []
    count = 0
    for page in pages:
        image = cv2.imread(str(page.image), cv2.IMREAD_COLOR)
        if image is None:
            problems.append(f"{page.image}: not a readable image, skipped")
            continue
        for k, region in enumerate(page.regions):
            text = " ".join(region.text.split())
            if not text:
                continue
            if region.height < min_height or region.width < 2:
                problems.append(f"{page.image}: region {k} is too small ({region.width:.0f}x{region.height:.0f})")
                continue
            crop = crop_line(image, region.box, margin)
            name = f"{page.image.stem}_{k:03d}.png"
            cv2.imwrite(str(out / "images" / name), crop)
            lines.append(f"{name} {text}\n")
            groups.append(f"{name},{page.image.stem}")
            count += 1
    atomic_write_text(out / "labels.txt", "".join(lines))
    atomic_write_text(out / "groups.csv", "\n".join(groups) + "\n")
    return count, problems
