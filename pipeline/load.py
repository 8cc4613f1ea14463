"""The input boundary: paths, folders and globs in; 3-channel uint8 page images out, one per page.

Every image becomes BGR uint8 here (EXIF orientation applied; grey, 16-bit, palette, CMYK and alpha normalised), and
every way a file can be unreadable becomes an :class:`~yocr.errors.ImageLoadError` naming the file and the reason.
"""

from __future__ import annotations

import glob
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from yocr.errors import ImageLoadError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
PDF_SUFFIXES = {".pdf"}
SUFFIXES = IMAGE_SUFFIXES | PDF_SUFFIXES
MAX_PIXELS = 150_000_000  # larger images are refused (decompression-bomb limit), about 12k x 12k
PDF_DPI = 200


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


# --- decoding -----------------------------------------------------------------------------------------------------


def normalise_pil(image: Image.Image) -> np.ndarray:
    """Any PIL image mode as a BGR uint8 array (alpha composited on white, 16-bit scaled, CMYK converted)."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        grey = ((arr - lo) * scale).astype(np.uint8) if hi > 255 or lo < 0 or mode == "F" else arr.astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)[:, :, ::-1].copy()
    if mode == "P":
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def to_bgr(array: np.ndarray, source: object = "<array>") -> np.ndarray:
    """A user's array (grey, BGR or BGRA; uint8 or uint16) as BGR uint8."""
    a = np.asarray(array)
    if a.ndim not in (2, 3) or a.size == 0 or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ImageLoadError(source, f"expected an H x W (x 1, 3 or 4) image array, got shape {a.shape}")
    if a.dtype == np.uint16:
        a = (a / 257).astype(np.uint8)
    elif a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating) and a.max() <= 1.0:
            a = a * 255
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255
        a = (a[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(a)


def _open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is checked below
            image = Image.open(path)
            if image.width * image.height > MAX_PIXELS:
                raise ImageLoadError(path, f"image too large ({image.width} x {image.height} pixels; limit {MAX_PIXELS:,})")
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(path, f"image too large (decompression-bomb limit): {exc}") from None
    except UnidentifiedImageError:
        raise ImageLoadError(path, "not an image (unrecognised or unsupported format)") from None


def _frame(path: Path, image: Image.Image, index: int) -> np.ndarray:
    try:
        image.seek(index)
        image.load()
        frame = ImageOps.exif_transpose(image) if index == 0 else image.copy()
        return normalise_pil(frame)
    except ImageLoadError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(path, f"truncated or corrupt image: {exc}") from None


def _pdf_pages(path: Path, dpi: int) -> Iterator[tuple[int, int, np.ndarray]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pypdfium2 raises its own PdfiumError
        raise ImageLoadError(path, f"unreadable PDF: {exc}") from None
    try:
        count = len(pdf)
        if count == 0:
            raise ImageLoadError(path, "the PDF has no pages")
        for i in range(count):
            page = pdf[i]
            w, h = page.get_size()
            scale = dpi / 72
            if w * h * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (w * h)) ** 0.5
            pil = page.render(scale=scale).to_pil()
            yield i, count, normalise_pil(pil)
    finally:
        pdf.close()


def load_pages(path: str | Path, pdf_dpi: int = PDF_DPI) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(page index, page count, BGR image)`` for every page of an image, multi-page TIFF or PDF.

    Raises :class:`ImageLoadError` naming ``path`` for a missing, empty, non-image, truncated or too large file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)")
    if head.startswith(b"%PDF"):
        yield from _pdf_pages(path, pdf_dpi)
        return
    image = _open_image(path)
    with image:
        count = getattr(image, "n_frames", 1) or 1
        for i in range(count):
            yield i, count, _frame(path, image, i)
