"""Labels files for line images.

Two formats:
- TRSynth100K style: a text file, one ``filename label`` per line (split on the first space; the label may contain
  spaces). File names are relative to the labels file's folder or to its ``images/`` sub-folder.
- CSV with columns ``path`` (or ``image``/``filename``) and ``label``. Read with pandas' NA parsing switched off, so
  labels that read ``null``, ``NA``, ``nan`` or ``None`` stay text.

Every sample has a path and a label; an empty label or a missing image is reported by name and skipped.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from yocr.core.image import IMAGE_SUFFIXES
from yocr.core.io import atomic_write_text
from yocr.errors import LabelError

log = logging.getLogger(__name__)

__all__ = ["Sample", "read_labels", "write_labels", "prepare_folder", "list_images", "labels_from_filenames"]


@dataclass(frozen=True)
class Sample:
    path: Path
    label: str
    case_blind: bool = False  # the label's letter case is unreliable (SROIE)
    group: str = ""  # source page, so that splits keep one page's lines together


def _resolve(base: Path, name: str) -> Path:
    p = Path(name)
    if p.is_absolute():
        return p
    for candidate in (base / "images" / p, base / p):
        if candidate.exists():
            return candidate
    return base / "images" / p if (base / "images").is_dir() else base / p


def read_labels(path: str | Path, case_blind: bool = False, check_images: bool = True) -> tuple[list[Sample], list[str]]:
    """Read a labels file (TRSynth text or CSV). Returns ``(samples, problems)``; problems name file and reason."""
    path = Path(path)
    from yocr.data.line_store import LineStore, is_store, store_ref

    if is_store(path):  # a compact store of rendered lines (yocr data synth-lines --store)
        store = LineStore(path)
        return [Sample(store_ref(path, i), t, case_blind) for i, t in enumerate(store.labels) if t.strip()], []
    if not path.is_file():
        raise LabelError(f"{path}: labels file not found")
    base = path.parent
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    if path.suffix.lower() == ".csv":
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise LabelError(f"{path}: not a readable CSV ({exc})") from None
        path_col = next((c for c in ("path", "image", "filename", "file") if c in df.columns), None)
        if path_col is None or "label" not in df.columns:
            raise LabelError(f"{path}: needs columns 'path' and 'label', has {list(df.columns)}")
        groups = df["group"] if "group" in df.columns else [""] * len(df)
        rows = list(zip(df[path_col], df["label"], groups))
    else:
        for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, label = line.partition(" ")
            if not sep:
                problems.append(f"{path}:{n}: {name}: no label after the file name")
                continue
            rows.append((name, label, ""))
        groups_file = base / "groups.csv"
        if groups_file.is_file():
            groups = pd.read_csv(groups_file, dtype=str, keep_default_na=False, na_filter=False)
            page_of = dict(zip(groups["name"], groups["group"]))
            rows = [(name, label, page_of.get(name, "")) for name, label, _ in rows]
    samples = []
    for name, label, group in rows:
        image = _resolve(base, name)
        if label.strip() == "":
            problems.append(f"{image}: empty label, skipped")
            continue
        if check_images and not image.is_file():
            problems.append(f"{image}: image not found, skipped")
            continue
        samples.append(Sample(image, label, case_blind, group))
    for p in problems:
        log.warning(p)
    return samples, problems


def write_labels(path: str | Path, samples: list[tuple[str, str]]) -> None:
    """Write a TRSynth-style labels file atomically: ``filename label`` per line."""
    lines = []
    for name, label in samples:
        if " " in name or "\n" in name:
            raise LabelError(f"file name {name!r} may not contain spaces or line breaks in a labels file")
        if "\n" in label or "\r" in label:
            raise LabelError(f"label of {name} contains a line break")
        lines.append(f"{name} {label}\n")
    atomic_write_text(path, "".join(lines))


def prepare_folder(labels_file: str | Path, out_csv: str | Path, check_readable: bool = True) -> tuple[int, list[str]]:
    """Turn a labelled folder into ``out_csv`` (``path,label``) plus ``charset.json`` beside it.

    ``charset.json`` holds the character -> index map and its inverse (index 0 is the CTC blank). Empty labels and
    unreadable images are reported by name and skipped. Returns ``(kept, problems)``.
    """
    import cv2

    samples, problems = read_labels(labels_file)
    kept = []
    for s in samples:
        if check_readable and cv2.imread(str(s.path), cv2.IMREAD_GRAYSCALE) is None:
            problems.append(f"{s.path}: not a readable image, skipped")
            continue
        kept.append(s)
    out_csv = Path(out_csv)
    df = pd.DataFrame({"path": [str(s.path) for s in kept], "label": [s.label for s in kept]})
    atomic_write_text(out_csv, df.to_csv(index=False))
    chars = sorted({c for s in kept for c in s.label})
    char_to_index = {c: i + 1 for i, c in enumerate(chars)}
    maps = {"blank": 0, "char_to_index": char_to_index, "index_to_char": {str(i): c for c, i in char_to_index.items()}}
    atomic_write_text(out_csv.parent / "charset.json", json.dumps(maps, ensure_ascii=False, indent=1))
    return len(kept), problems


def list_images(folder: str | Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def labels_from_filenames(folder: str | Path, out: str | Path) -> tuple[int, list[str]]:
    """Write a TRSynth labels file for a folder whose image names are their labels (``2b827.png`` -> ``2b827``).

    A file name may carry a ``_N`` suffix to keep duplicates apart (``2b827_1.png``); it is dropped from the label.
    """
    folder, out = Path(folder), Path(out)
    rows, problems = [], []
    for image in list_images(folder):
        label = image.stem.rsplit("_", 1)[0] if image.stem.rsplit("_", 1)[-1].isdigit() and "_" in image.stem else image.stem
        # names are read back relative to the labels file: outside its folder, the absolute path
        rel = image.relative_to(out.parent) if image.is_relative_to(out.parent) else image.resolve()
        if " " in str(rel):
            problems.append(f"{image}: file names with spaces cannot go in a labels file, skipped")
            continue
        rows.append((str(rel), label))
    write_labels(out, rows)
    return len(rows), problems
