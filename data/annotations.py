"""Readers for annotated pages: SROIE-style box files and FUNSD JSON, into one typed form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from yocr.core.geometry import Box, same_row, union
from yocr.core.splits import FUNSD_VAL_COUNT, SROIE_TRAIN
from yocr.errors import LabelError, YocrError

FUNSD_WORD_GAP = 1.5  # FUNSD words of one entity closer than this x the line height are one line


@dataclass(frozen=True)
class Region:
    """An axis-aligned text region on a page: ``(x0, y0, x1, y1)`` in pixels, and its transcription."""

    box: Box
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", Box.of(self.box))

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


@dataclass(frozen=True)
class AnnotatedPage:
    image: Path
    regions: tuple[Region, ...]
    case_reliable: bool = True  # False for SROIE, whose transcriptions are upper case whatever the print


def read_sroie_boxes(path: str | Path) -> list[Region]:
    """Parse a SROIE-style ``x1,y1,...,x4,y4,text`` file (the text may contain commas)."""
    path = Path(path)
    regions = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(",", 8)
        if len(parts) < 9:
            raise LabelError(f"{path}:{n}: expected 8 coordinates and a transcription, got {line!r}")
        try:
            coords = [float(v) for v in parts[:8]]
        except ValueError:
            raise LabelError(f"{path}:{n}: coordinates are not numbers: {line!r}") from None
        xs, ys = coords[0::2], coords[1::2]
        box = (min(xs), min(ys), max(xs), max(ys))
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        regions.append(Region(box, parts[8].strip()))
    return regions


def read_funsd_lines(path: str | Path, max_gap: float = FUNSD_WORD_GAP) -> list[Region]:
    """FUNSD words grouped into text lines.

    Words of one entity that overlap vertically (by more than half the smaller height) and are separated by less
    than ``max_gap`` times the line height are joined, left to right, into one line. Empty and vertical words
    (taller than twice their width with more than one character) are dropped.
    """
    path = Path(path)
    try:
        form = json.loads(path.read_text(encoding="utf-8"))["form"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise LabelError(f"{path}: not a FUNSD annotation ({exc})") from None
    lines: list[Region] = []
    for entity in form:
        words = []
        for w in entity.get("words", []):
            text = w.get("text", "").strip()
            x0, y0, x1, y1 = (float(v) for v in w["box"])
            if not text or x1 <= x0 or y1 <= y0:
                continue
            if len(text) > 1 and (y1 - y0) > 2 * (x1 - x0):
                continue  # vertical text
            words.append(Region((x0, y0, x1, y1), text))
        words.sort(key=lambda r: (r.box[1] + r.box[3]) / 2)
        rows: list[list[Region]] = []
        for w in words:
            for row in rows:
                if same_row(row[-1].box, w.box):
                    row.append(w)
                    break
            else:
                rows.append([w])
        for row in rows:
            row.sort(key=lambda r: r.box[0])
            segment = [row[0]]
            for w in row[1:]:
                h = max(r.height for r in segment)
                if w.box[0] - segment[-1].box[2] > max_gap * h:
                    lines.append(_join(segment))
                    segment = []
                segment.append(w)
            lines.append(_join(segment))
    return lines


def _join(words: list[Region]) -> Region:
    return Region(union(w.box for w in words), " ".join(w.text for w in words))


def sroie_pages(root: str | Path, first: int | None = None, last: int | None = None) -> list[AnnotatedPage]:
    """Pages of a SROIE-style folder (``img/NNN.jpg`` + ``box/NNN.csv``), optionally only numbers first..last."""
    root = Path(root)
    pages = []
    for box_file in sorted((root / "box").glob("*.csv")):
        stem = box_file.stem
        if stem.isdigit() and ((first is not None and int(stem) < first) or (last is not None and int(stem) > last)):
            continue
        image = next((p for p in (root / "img").glob(stem + ".*")), None)
        if image is None:
            raise LabelError(f"{box_file}: no image {stem}.* in {root / 'img'}")
        pages.append(AnnotatedPage(image, tuple(read_sroie_boxes(box_file)), case_reliable=False))
    return pages


def funsd_pages(root: str | Path, skip_last: int = 0, only_last: int = 0) -> list[AnnotatedPage]:
    """Pages of a FUNSD folder (``images/*.png`` + ``annotations/*.json``), sorted by file name.

    ``skip_last=FUNSD_VAL_COUNT`` gives the training forms of the fixed split, ``only_last=FUNSD_VAL_COUNT`` the
    validation forms (:mod:`yocr.core.splits`).
    """
    root = Path(root)
    files = sorted((root / "annotations").glob("*.json"))
    if skip_last:
        files = files[:-skip_last]
    if only_last:
        files = files[-only_last:]
    pages = []
    for ann in files:
        image = next((p for p in (root / "images").glob(ann.stem + ".*")), None)
        if image is None:
            raise LabelError(f"{ann}: no image {ann.stem}.* in {root / 'images'}")
        pages.append(AnnotatedPage(image, tuple(read_funsd_lines(ann)), case_reliable=True))
    return pages


def training_corpus(sroie: Path | None, funsd: Path | None, text_files: Iterable[Path] = ()) -> list[str]:
    """Text for synthetic data: transcriptions of the training receipts and forms of the fixed splits
    (:mod:`yocr.core.splits`), and the non-blank lines of ``text_files``. Validation pages never contribute."""
    corpus: list[str] = []
    if sroie:
        corpus += [r.text for p in sroie_pages(sroie, last=SROIE_TRAIN[1]) for r in p.regions]
    if funsd:
        corpus += [r.text for p in funsd_pages(funsd, skip_last=FUNSD_VAL_COUNT) for r in p.regions]
    for f in text_files:
        if not Path(f).is_file():
            raise YocrError(f"{f}: text file not found")
        corpus += [ln for ln in Path(f).read_text(encoding="utf-8").splitlines() if ln.strip()]
    return corpus
