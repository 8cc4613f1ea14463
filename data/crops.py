"""Cut labelled line crops out of annotated pages, so real data can train the recognizer."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from yocr.core.geometry import CROP_MARGIN, crop
from yocr.core.image import load_image
from yocr.core.io import atomic_write_text
from yocr.data.annotations import AnnotatedPage
from yocr.errors import ImageLoadError

log = logging.getLogger(__name__)

MIN_CROP_HEIGHT = 6  # pixels: lower regions are skipped
MIN_CROP_WIDTH = 2


def write_crops(
    pages: list[AnnotatedPage],
    out: str | Path,
    margin: float = CROP_MARGIN,
    min_height: int = MIN_CROP_HEIGHT,
) -> tuple[int, list[str]]:
    """Write crops to ``out/images`` and ``out/labels.txt`` (TRSynth layout) plus ``out/groups.csv``.

    Each crop is :func:`yocr.core.geometry.crop`, the crop the pipeline reads. Crops whose text is empty, or that are
    smaller than ``min_height`` pixels, are skipped. Returns ``(count, problems)``.
    """
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    lines, groups, problems = [], ["name,group"], []
    count = 0
    for page in pages:
        try:
            image = load_image(page.image).bgr
        except ImageLoadError as exc:
            problems.append(f"{exc}, skipped")
            continue
        for k, region in enumerate(page.regions):
            text = " ".join(region.text.split())
            if not text:
                continue
            if region.height < min_height or region.width < MIN_CROP_WIDTH:
                problems.append(f"{page.image}: region {k} is too small ({region.width:.0f}x{region.height:.0f})")
                continue
            name = f"{page.image.stem}_{k:03d}.png"
            cv2.imwrite(str(out / "images" / name), crop(image, region.box, margin))
            lines.append(f"{name} {text}\n")
            groups.append(f"{name},{page.image.stem}")
            count += 1
    atomic_write_text(out / "labels.txt", "".join(lines))
    atomic_write_text(out / "groups.csv", "\n".join(groups) + "\n")
    return count, problems
