"""Which files a run reads: paths, folders and globs in; the input files with their output stems out.

Decoding the files is :mod:`yocr.core.image`'s job.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from yocr.core.image import SUFFIXES, load_pages  # noqa: F401  (load_pages: callers that read inputs)


@dataclass(frozen=True)
class InputFile:
    """A file to read and where its outputs go, relative to ``--out`` (the input tree mirrored)."""

    path: Path
    rel: Path  # output stem relative to the output folder, without suffix


@dataclass(frozen=True)
class Missing:
    """An input argument that names nothing readable (reported as a failure, never raised)."""

    spec: str
    reason: str


def _is_glob(spec: str) -> bool:
    return any(ch in spec for ch in "*?[")


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def expand_inputs(specs: Iterable[str | Path]) -> tuple[list[InputFile], list[Missing]]:
    """Files from files, folders (recursive, supported suffixes only) and globs, each with its output stem.

    Files inside a folder argument keep their path below that folder; files named directly keep their name (with their
    parent folders when two have the same name). Each file is listed once.
    """
    found: list[InputFile] = []
    missing: list[Missing] = []
    loose: list[Path] = []
    for spec in specs:
        spec_s = str(spec)
        path = Path(spec_s)
        if path.is_dir():
            found += [InputFile(p, p.relative_to(path).with_suffix("")) for p in _folder_files(path)]
        elif path.is_file():
            loose.append(path)
        elif _is_glob(spec_s):
            matches = sorted(Path(m) for m in glob.glob(spec_s, recursive=True))
            files = [m for m in matches if m.is_file()]
            for m in matches:
                if m.is_dir():
                    found += [InputFile(p, Path(m.name) / p.relative_to(m).with_suffix("")) for p in _folder_files(m)]
            loose += files
            if not matches:
                missing.append(Missing(spec_s, "no file matches this pattern"))
        elif path.exists() or os.path.lexists(path):
            missing.append(Missing(spec_s, "not a regular file or folder (or a broken link)"))
        else:
            missing.append(Missing(spec_s, "no such file or folder"))
    names = [p.name for p in loose]
    clash = len(set(names)) < len(names)
    root = Path(os.path.commonpath([p.resolve().parent for p in loose])) if clash else None
    for p in loose:
        rel = p.resolve().relative_to(root).with_suffix("") if root else Path(p.stem)
        found.append(InputFile(p, rel))
    seen: set[Path] = set()
    unique = []
    for item in found:
        key = item.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique, missing
