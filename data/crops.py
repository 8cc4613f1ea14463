"""Cut labelled line crops out of annotated pages, so real data can train the recognizer."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Sequence

import cv2
import numpy as np

from yocr.core.defaults import MATCH_IOU
from yocr.core.geometry import CROP_MARGIN, Box, crop, iou, same_row, union
from yocr.core.image import load_image, load_pages
from yocr.core.io import atomic_write_text
from yocr.data.annotations import AnnotatedPage, Region
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
    problems: list[str] = []

    def labelled() -> Iterator[tuple[str, np.ndarray, str, str]]:
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
                yield f"{page.image.stem}_{k:03d}.png", crop(image, region.box, margin), text, page.image.stem

    return _write(out, labelled()), problems


def _write(out: str | Path, crops: Iterator[tuple[str, np.ndarray, str, str]]) -> int:
    """Write ``(name, crop, text, group)`` items to ``out/images``, ``out/labels.txt`` and ``out/groups.csv``."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    lines, groups = [], ["name,group"]
    for name, image, text, group in crops:
        cv2.imwrite(str(out / "images" / name), image)
        lines.append(f"{name} {text}\n")
        groups.append(f"{name},{group}")
    atomic_write_text(out / "labels.txt", "".join(lines))
    atomic_write_text(out / "groups.csv", "\n".join(groups) + "\n")
    return len(lines)


def label_cells(cells: Sequence[Box], regions: Sequence[Region], min_iou: float = MATCH_IOU) -> list[str | None]:
    """The transcription of each detected line cell: the annotated regions whose centres lie in it, left to right,
    joined by spaces; None where no region's centre does, where those regions are not all on one row (a box of two
    lines), or where they do not make up the cell (their union's IoU with it under ``min_iou``: a cell that holds
    only part of its text)."""
    out: list[str | None] = []
    for cell in cells:
        inside = [r for r in regions if r.text.strip() and cell[0] <= (r.box[0] + r.box[2]) / 2 <= cell[2]
                  and cell[1] <= (r.box[1] + r.box[3]) / 2 <= cell[3]]
        if (not inside or not all(same_row(a.box, b.box) for a in inside for b in inside)
                or iou(union(r.box for r in inside), cell) < min_iou):
            out.append(None)
            continue
        out.append(" ".join(" ".join(r.text.split()) for r in sorted(inside, key=lambda r: r.box[0])))
    return out


def write_detected_crops(pages: list[AnnotatedPage], out: str | Path, reader,
                         min_iou: float = MATCH_IOU) -> tuple[int, list[str]]:
    """Like :func:`write_crops`, but the crops are the lines ``reader`` (a :class:`~yocr.pipeline.reader.Reader`)
    cuts from each page, as ``yocr run`` reads them (its detector's boxes, split, straightened), each labelled by
    :func:`label_cells`; cells that no annotation makes up are left out."""
    problems: list[str] = []

    def detected() -> Iterator[tuple[str, np.ndarray, str, str]]:
        for page in pages:
            try:
                image = next(iter(load_pages(page.image)))
            except (ImageLoadError, StopIteration) as exc:
                problems.append(f"{exc or page.image}, skipped")
                continue
            _, _, cells, placed = reader.cut(image)
            texts = label_cells([Box.of(c).scaled(image.scale) for c in cells], page.regions, min_iou)
            problems.extend(f"{page.image}: detected line {k} matches no annotation, skipped"
                            for k, text in enumerate(texts) if text is None)
            for k, (text, (line, _)) in enumerate(zip(texts, placed)):
                if text is not None and min(line.shape[:2]) >= MIN_CROP_WIDTH:
                    yield f"{page.image.stem}_d{k:03d}.png", line, text, page.image.stem

    return _write(out, detected()), problems
