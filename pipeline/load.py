"""Which files a run reads: paths, folders and globs in; the input files with their output stems out.

Decoding the files is :mod:`yocr.core.image`'s job.
"""

from __future__ import annotations

import glob
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from yocr.core.image import SUFFIXES
from yocr.core.remote import is_url, list_url


@dataclass(frozen=True)
class InputFile:
    """A file to read and where its outputs go, relative to ``--out`` (the input tree mirrored)."""

    path: Path | str  # a local path, or a URL (str) that yocr.core.remote reads
    rel: Path  # output stem relative to the output folder, without suffix


@dataclass(frozen=True)
class Missing:
    """An input argument that names nothing readable (reported as a failure, never raised)."""

    spec: str
    reason: str


def _is_glob(spec: str) -> bool:
    return any(ch in spec for ch in "*?[")


def _folder_files(folder: Path, missing: list[Missing]) -> list[Path]:
    """The supported files below ``folder``; broken links and link loops among them are added to ``missing``."""
    files = []
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() not in SUFFIXES:
            continue
        if p.is_file():
            files.append(p)
        elif p.is_symlink():
            missing.append(Missing(str(p), "broken link or link loop: its target cannot be read"))
    return files


def output_stem(rel: Path, keep_suffix: bool = False) -> Path:
    """Where an input's outputs go, relative to ``--out`` and without their suffix: its path below the input folder
    less the extension (``a/b.png`` -> ``a/b``), or with it when ``keep_suffix`` or when the stem alone would be no
    name (``..png`` -> ``..png``)."""
    stem = rel.name[: -len(rel.suffix)] if rel.suffix else rel.name
    if keep_suffix or not stem.strip("."):
        stem = rel.name
    return rel.parent / stem


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder)
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def expand_inputs(
    specs: Iterable[str | Path], exclude: str | Path | None = None
) -> tuple[list[InputFile], list[Missing]]:
    """Files from files, folders (recursive, supported suffixes only) and globs, each with its output stem.

    Files inside a folder argument keep their path below that folder; files named directly keep their name (with their
    parent folders when two have the same name). A URL (``s3://bucket/scans/``, see :mod:`yocr.core.remote`) is a
    folder or a file in the same way; its files stay URLs. Two inputs never share an output: where two files of one folder
    differ only in their extension (``same.png``, ``same.jpg``), both keep it in their output names
    (``same.png.txt``, ``same.jpg.txt``). Files below ``exclude`` (the output folder) are never inputs. Each file is
    listed once.
    """
    out = Path(exclude).resolve() if exclude is not None else None
    found: list[tuple[Path | str, Path]] = []  # (file or URL, its path relative to the output folder, with suffix)
    missing: list[Missing] = []
    loose: list[Path] = []
    for spec in specs:
        spec_s = str(spec)
        path = Path(spec_s)
        if is_url(spec_s):
            urls, reason = list_url(spec_s, SUFFIXES)
            found += [(url, Path(rel)) for url, rel in urls]
            if reason:
                missing.append(Missing(spec_s, reason))
        elif path.is_dir():
            found += [(p, p.relative_to(path)) for p in _folder_files(path, missing)]
        elif path.is_file():
            loose.append(path)
        elif _is_glob(spec_s):
            matches = sorted(Path(m) for m in glob.glob(spec_s, recursive=True))
            for m in matches:
                if m.is_dir():
                    found += [(p, Path(m.name) / p.relative_to(m)) for p in _folder_files(m, missing)]
            loose += [m for m in matches if m.is_file()]
            if not matches:
                missing.append(Missing(spec_s, "no file matches this pattern"))
        elif path.exists() or os.path.lexists(path):
            missing.append(Missing(spec_s, "not a regular file or folder (or a broken link)"))
        else:
            missing.append(Missing(spec_s, "no such file or folder"))
    names = [p.name for p in loose]
    root = Path(os.path.commonpath([p.resolve().parent for p in loose])) if len(set(names)) < len(names) else None
    found += [(p, p.resolve().relative_to(root) if root else Path(p.name)) for p in loose]
    return _unique_outputs(found, out), missing


def input_path(path: str) -> Path | str:
    """An :attr:`InputFile.path` back from its text: a URL stays text."""
    return path if is_url(path) else Path(path)


def _unique_outputs(found: list[tuple[Path | str, Path]], out: Path | None) -> list[InputFile]:
    seen: set[Path | str] = set()
    kept = []
    for path, rel in found:
        key = path if isinstance(path, str) else path.resolve()
        if key not in seen and (isinstance(path, str) or not _inside(path, out)):
            seen.add(key)
            kept.append((path, rel))
    return [InputFile(path, stem) for (path, _), stem in zip(kept, _distinct_stems([rel for _, rel in kept]))]


def _distinct_stems(rels: list[Path]) -> list[Path]:
    """An output stem per input, no two alike: stems that clash keep their extension (again while a kept extension
    meets another file's stem: ``same.jpg`` and ``same.jpg.png``), and names that still clash (the same name from
    two folder arguments) get ``~2``, ``~3``, ..."""
    stems = [output_stem(rel) for rel in rels]
    for _ in range(3):
        counts = Counter(stems)
        clashing = [i for i, stem in enumerate(stems) if counts[stem] > 1]
        if not clashing:
            return stems
        for i in clashing:
            stems[i] = output_stem(rels[i], keep_suffix=True)
    seen: Counter = Counter()
    for i, stem in enumerate(stems):
        seen[stem] += 1
        if seen[stem] > 1:
            stems[i] = stem.with_name(f"{stem.name}~{seen[stem]}")
    return stems
