"""The YOLO dataset layout for the line detector: converters from annotated pages, and the label reader.

Layout written (and read)::

    OUT/images/{train,val}/NAME.jpg      images, copied as they are
    OUT/labels/{train,val}/NAME.txt      one "0 cx cy w h" per text line, normalised to [0, 1]
    OUT/data.yaml                        path, train, val, names: {0: text_line}

Every written coordinate lies in [0, 1]: boxes are clipped to the image first, and boxes narrower or lower than
``min_size`` pixels after clipping are dropped. A page without lines gets an empty label file (a background image).
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from PIL import Image

from yocr.data.annotations import AnnotatedPage, Region, funsd_pages, sroie_pages
from yocr.core.geometry import Box
from yocr.core.image import IMAGE_SUFFIXES
from yocr.core.io import atomic_write_text
from yocr.core.splits import FUNSD_VAL_COUNT, SROIE_TRAIN, SROIE_VAL
from yocr.data.rows import merge_rows
from yocr.errors import ImageLoadError, LabelError

CLASS_NAME = "text_line"
SPLITS = ("train", "val")

YoloBox = tuple[float, float, float, float]  # (cx, cy, w, h), normalised to the image size


def clip_box(box: Sequence[float], width: float, height: float) -> Box:
    """``box`` clipped to the image ``[0, width] x [0, height]`` (may come out empty)."""
    return Box.of(box).clip(width, height)


def to_yolo(box: Sequence[float], width: float, height: float) -> YoloBox:
    """Pixel ``(x0, y0, x1, y1)`` to normalised ``(cx, cy, w, h)``; the box is clipped to the image first."""
    x0, y0, x1, y1 = clip_box(box, width, height)
    return ((x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height)


def from_yolo(box: Sequence[float], width: float, height: float) -> Box:
    """Normalised ``(cx, cy, w, h)`` to pixel ``(x0, y0, x1, y1)``."""
    cx, cy, w, h = (float(v) for v in box)
    return ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)


def _inside(v: float) -> float:
    return min(max(v, 0.0), 1.0)


def format_yolo_line(box: YoloBox, cls: int = 0) -> str:
    """``"cls cx cy w h"`` with 6 decimals, every value in [0, 1] and the box edges ``cx +- w/2`` inside [0, 1].

    The size is rounded down (less one unit of the last decimal) so that rounding the centre cannot push an edge
    out of the image.
    """
    cx, cy, w, h = (_inside(v) for v in box)
    w = min(w, 2 * cx, 2 * (1 - cx))
    h = min(h, 2 * cy, 2 * (1 - cy))
    w = max(0.0, math.floor(w * 1e6) / 1e6 - 1e-6)
    h = max(0.0, math.floor(h * 1e6) / 1e6 - 1e-6)
    return f"{cls} {_inside(cx):.6f} {_inside(cy):.6f} {w:.6f} {h:.6f}"


def yolo_label_text(boxes: Iterable[Sequence[float]], width: int, height: int, min_size: float = 2.0) -> str:
    """Label file text for pixel boxes on a ``width`` x ``height`` image: clipped, boxes under ``min_size`` px dropped."""
    lines = []
    for box in boxes:
        x0, y0, x1, y1 = clip_box(box, width, height)
        if x1 - x0 < min_size or y1 - y0 < min_size:
            continue
        lines.append(format_yolo_line(to_yolo((x0, y0, x1, y1), width, height)) + "\n")
    return "".join(lines)


def parse_yolo_labels(text: str, source: str = "<labels>") -> list[tuple[int, YoloBox]]:
    """``(class, (cx, cy, w, h))`` per line of a YOLO label text; a malformed line raises :class:`LabelError`."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 5:
            raise LabelError(f"{source}:{n}: expected 'class cx cy w h', got {line!r}")
        try:
            cls = int(float(parts[0]))
            values = tuple(float(v) for v in parts[1:])
        except ValueError:
            raise LabelError(f"{source}:{n}: not numbers: {line!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise LabelError(f"{source}:{n}: not finite: {line!r}")
        out.append((cls, values))
    return out


def read_yolo_labels(path: str | Path, width: int, height: int) -> list[Box]:
    """Pixel boxes ``(x0, y0, x1, y1)`` of a YOLO label file for a ``width`` x ``height`` image (any class).

    A missing file means no boxes (YOLO's convention for background images).
    """
    path = Path(path)
    if not path.is_file():
        return []
    return [from_yolo(b, width, height) for _, b in parse_yolo_labels(path.read_text(encoding="utf-8"), str(path))]


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` read from the image header; :class:`ImageLoadError` names the file if it is unreadable."""
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise ImageLoadError(path, "not found") from None
    except OSError as exc:
        raise ImageLoadError(path, f"not a readable image ({exc})") from None


def dataset_yaml_text(root: str | Path) -> str:
    root = Path(root).resolve()
    return (
        f"# YOLO dataset of text lines, written by yocr\n"
        f"path: {json.dumps(str(root))}\n"
        f"train: images/train\n"
        f"val: images/val\n"
        f"names:\n"
        f"  0: {CLASS_NAME}\n"
    )


def write_dataset_yaml(root: str | Path, name: str = "data.yaml") -> Path:
    """Write ``root/data.yaml`` (absolute ``path``, ``train``, ``val``, one class ``text_line``)."""
    path = Path(root) / name
    atomic_write_text(path, dataset_yaml_text(root))
    return path


@dataclass
class YoloSummary:
    """What a converter wrote: images and boxes per split, and what it skipped (file and reason)."""

    images: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    boxes: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    problems: list[str] = field(default_factory=list)
    yaml: Path | None = None

    def add(self, other: "YoloSummary") -> None:
        for s in SPLITS:
            self.images[s] += other.images[s]
            self.boxes[s] += other.boxes[s]
        self.problems += other.problems


def prepare_layout(out: str | Path) -> Path:
    out = Path(out)
    for kind in ("images", "labels"):
        for split in SPLITS:
            (out / kind / split).mkdir(parents=True, exist_ok=True)
    return out


def write_page(
    image: Path, boxes: Sequence[Sequence[float]], out: Path, split: str, name: str, min_size: float = 2.0
) -> int:
    """Copy one page's image into ``out/images/split/name.ext`` and write its label file. Returns the boxes written."""
    width, height = image_size(image)
    text = yolo_label_text(boxes, width, height, min_size)
    shutil.copyfile(image, out / "images" / split / f"{name}{image.suffix.lower()}")
    atomic_write_text(out / "labels" / split / f"{name}.txt", text)
    return text.count("\n")


def write_yolo_dataset(
    pages_train: Sequence[AnnotatedPage],
    pages_val: Sequence[AnnotatedPage],
    out: str | Path,
    prefix: str = "",
    gap: float | None = 1.0,
    min_size: float = 2.0,
    progress: Callable[[], None] | None = None,
) -> YoloSummary:
    """Write annotated pages into the YOLO layout under ``out`` (added to what is there) and write ``data.yaml``.

    Regions are merged into lines with :func:`~yocr.data.rows.merge_rows` (``gap``; ``None`` keeps them as they
    are). Images are copied as they are, named ``prefix + stem``. Unreadable images are reported and skipped.
    """
    out = prepare_layout(out)
    summary = YoloSummary()
    for split, pages in (("train", pages_train), ("val", pages_val)):
        for page in pages:
            regions = merge_rows(page.regions, gap) if gap is not None else list(page.regions)
            try:
                n = write_page(Path(page.image), [r.box for r in regions], out, split, prefix + Path(page.image).stem,
                               min_size)
            except ImageLoadError as exc:
                summary.problems.append(str(exc))
                continue
            summary.images[split] += 1
            summary.boxes[split] += n
            if progress:
                progress()
    summary.yaml = write_dataset_yaml(out)
    return summary


def yolo_folder_pages(root: str | Path, split: str) -> list[AnnotatedPage]:
    """Pages of an existing YOLO folder's split (``images/split`` + ``labels/split``), boxes in pixels, no text."""
    root = Path(root)
    images_dir = root / "images" / split
    if not images_dir.is_dir():
        return []
    pages = []
    for image in sorted(p for p in images_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        rel = image.relative_to(images_dir).with_suffix(".txt")
        width, height = image_size(image)
        boxes = read_yolo_labels(root / "labels" / split / rel, width, height)
        pages.append(AnnotatedPage(image, tuple(Region(b, "") for b in boxes)))
    return pages


def sroie_split(root: str | Path) -> tuple[list[AnnotatedPage], list[AnnotatedPage]]:
    """SROIE pages split into train and validation.

    SROIE's own numbering (every file named 000-625) gets the fixed split: receipts 000-525 to train, 526-625 to
    validate. Any other SROIE-style folder (a user's own pages) is split by sorted file name: every tenth page
    validates, the rest train; no page is in both.
    """
    pages = sroie_pages(root)
    if pages and all(p.image.stem.isdigit() and int(p.image.stem) <= SROIE_VAL[1] for p in pages):
        def numbered(first: int, last: int) -> list[AnnotatedPage]:
            return [p for p in pages if first <= int(p.image.stem) <= last]

        return numbered(*SROIE_TRAIN), numbered(*SROIE_VAL)
    return [p for i, p in enumerate(pages) if i % 10 != 9], pages[9::10]


def funsd_split(root: str | Path) -> tuple[list[AnnotatedPage], list[AnnotatedPage]]:
    """FUNSD pages in the fixed split: all but the last 30 forms to train, the last 30 to validate."""
    return funsd_pages(root, skip_last=FUNSD_VAL_COUNT), funsd_pages(root, only_last=FUNSD_VAL_COUNT)


def build_yolo_dataset(
    out: str | Path,
    sroie: str | Path | None = None,
    funsd: str | Path | None = None,
    yolo: Sequence[str | Path] = (),
    gap: float = 1.0,
    min_size: float = 2.0,
    progress: Callable[[], None] | None = None,
) -> YoloSummary:
    """Convert SROIE and FUNSD folders (fixed splits, rows merged) and copy YOLO folders (their own splits) into one.

    Names are prefixed by the source (``sroie_``, ``funsd_``, ``<folder name>_``) so that sources never collide.
    Boxes of YOLO folders are taken as they are (any class becomes ``text_line``), re-clipped and size-checked.
    """
    if not (sroie or funsd or yolo):
        raise LabelError("no input: give a SROIE, FUNSD or YOLO folder")
    summary = YoloSummary()
    for root, kind in ((sroie, "SROIE"), (funsd, "FUNSD")):
        if root and not Path(root).is_dir():
            raise LabelError(f"{root}: {kind} folder not found")
    if sroie:
        train, val = sroie_split(sroie)
        if not train and not val:
            raise LabelError(f"{sroie}: no box/NNN.csv files: not a SROIE-style folder")
        summary.add(write_yolo_dataset(train, val, out, "sroie_", gap, min_size, progress))
    if funsd:
        train, val = funsd_split(funsd)
        if not train and not val:
            raise LabelError(f"{funsd}: no annotations/*.json files: not a FUNSD folder")
        summary.add(write_yolo_dataset(train, val, out, "funsd_", gap, min_size, progress))
    for root in yolo:
        root = Path(root)
        train, val = yolo_folder_pages(root, "train"), yolo_folder_pages(root, "val")
        if not train and not val:
            raise LabelError(f"{root}: no images under images/train or images/val: not a YOLO folder")
        summary.add(write_yolo_dataset(train, val, out, f"{root.resolve().name}_", None, min_size, progress))
    summary.yaml = write_dataset_yaml(out)
    return summary


def yolo_text_pages(root: str | Path, split: str | None = None) -> list[AnnotatedPage]:
    """Annotated pages of a YOLO folder with transcriptions (the ``yocr bench pages --yolo`` format)::

        ROOT/images/NAME.jpg    page images (or images/val/, labels/val/, text/val/ when a val split exists)
        ROOT/labels/NAME.txt    one "class cx cy w h" per text line, normalised to [0, 1] (any class)
        ROOT/text/NAME.txt      the transcription of each label line, line for line in the same order

    ``split`` names the split folder to read (``"train"``, ``"val"``; ``""``: every image under ``images/``); by
    default the val split when it holds images. A page without a label file has no lines; a label file whose text file is missing, or has
    another number of lines, raises :class:`LabelError`.
    """
    root = Path(root)
    if split is None:
        val = root / "images" / "val"
        split = "val" if val.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in val.iterdir()) else ""
    images_dir = root / "images" / split
    if not images_dir.is_dir():
        raise LabelError(f"{root}: no {Path('images') / split} folder")
    pages = []
    for image in sorted(p for p in images_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        rel = image.relative_to(images_dir).with_suffix(".txt")
        width, height = image_size(image)
        label_file, text_file = root / "labels" / split / rel, root / "text" / split / rel
        boxes = read_yolo_labels(label_file, width, height)
        if boxes and not text_file.is_file():
            raise LabelError(f"{text_file}: missing (one transcription per line of {label_file})")
        texts = text_file.read_text(encoding="utf-8").splitlines() if boxes else []
        while len(texts) > len(boxes) and not texts[-1].strip():
            texts.pop()
        if len(texts) != len(boxes):
            raise LabelError(f"{text_file}: {len(texts)} transcriptions for the {len(boxes)} boxes of {label_file}")
        pages.append(AnnotatedPage(image, tuple(Region(b, t.strip()) for b, t in zip(boxes, texts))))
    return pages
