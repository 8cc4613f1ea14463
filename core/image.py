"""The one image loader: paths, bytes and arrays in; one BGR uint8 page image (and its grey view) out, per page.

Every image becomes BGR uint8 here (EXIF orientation applied; grey, 16-bit, palette, CMYK and alpha normalised), every
page of a multi-page TIFF or PDF is a page of its own, and every way an input can be unreadable becomes an
:class:`~yocr.errors.ImageLoadError` naming the input and the reason.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from yocr.core.remote import is_url, read_url
from yocr.errors import ImageLoadError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})
PDF_SUFFIXES = frozenset({".pdf"})
SUFFIXES = IMAGE_SUFFIXES | PDF_SUFFIXES
MAX_PIXELS = 150_000_000  # larger images are refused (decompression-bomb limit), about 12k x 12k
# Pages are read at most this large: bigger images are scaled down while they are decoded (boxes are mapped back to
# the original pixels), and PDF pages rendered at a lower resolution, so that memory stays bounded (a 12,000 x 9,000
# scan would take over 3 GB at full size). About 6,000 x 4,000 pixels, far more than any line needs.
WORK_PIXELS = 24_000_000
PDF_DPI = 200  # PDF pages are rendered at this resolution (less when that would pass WORK_PIXELS)
PDF_POINTS_PER_INCH = 72
WHITE = 255

Source = Union[str, Path, bytes, np.ndarray]


@dataclass
class PageImage:
    """One page of an input: its BGR uint8 pixels, its grey view (computed once, on first use), where it came from."""

    bgr: np.ndarray
    index: int = 0  # 0-based page number inside the file
    count: int = 1  # pages in the file
    source: str = "<array>"
    scale: float = 1.0  # original pixels per pixel of ``bgr`` (above 1 when a huge image was read scaled down)
    original: tuple[int, int] | None = None  # (width, height) of the original when it was scaled down
    _grey: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def grey(self) -> np.ndarray:
        if self._grey is None:
            import cv2

            self._grey = cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)
        return self._grey

    @property
    def original_size(self) -> tuple[int, int]:
        """``(width, height)`` of the page as stored in the file (the size its boxes are reported in)."""
        return self.original or (self.width, self.height)

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])


# --- arrays -------------------------------------------------------------------------------------------------------


def to_bgr(array: np.ndarray, source: object = "<array>") -> np.ndarray:
    """A user's array (grey, BGR or BGRA; uint8, uint16 or float in [0, 1]) as BGR uint8 (alpha over white)."""
    if not isinstance(array, np.ndarray):
        raise ImageLoadError(source, f"expected an image array, got {type(array).__name__}")
    a = array
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
        a = (a[:, :, :3] * alpha + WHITE * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(a)


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
        background = Image.new("RGBA", image.size, (WHITE, WHITE, WHITE, WHITE))
        image = Image.alpha_composite(background, image)
    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


# --- files --------------------------------------------------------------------------------------------------------


def _check_size(name: str, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageLoadError(name, f"image too large ({width} x {height} pixels; limit {MAX_PIXELS:,})")


def _open_image(name: str, stream) -> tuple[Image.Image, int]:
    """The opened image (not decoded yet) and its number of frames."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's warnings on odd headers; our own size limit is checked below
            image = Image.open(stream)
            _check_size(name, image.width, image.height)
            return image, int(getattr(image, "n_frames", 1) or 1)
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(name, f"image too large (decompression-bomb limit): {exc}") from None
    except UnidentifiedImageError:
        raise ImageLoadError(name, "not an image (unrecognised or unsupported format)") from None
    except MemoryError:
        raise ImageLoadError(name, "out of memory opening the image") from None
    except Exception as exc:  # a header Pillow cannot make sense of: OSError, TypeError, ValueError, SyntaxError, ...
        raise ImageLoadError(name, f"corrupt image header: {exc}") from None


def work_factor(width: int, height: int) -> float:
    """How many times smaller (per side) a ``width`` x ``height`` page is read: 1 up to ``WORK_PIXELS``."""
    return max(1.0, (width * height / WORK_PIXELS) ** 0.5 * (1.0 + 1e-3))


def _frame(name: str, image: Image.Image, index: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Frame ``index`` as BGR, scaled down past ``WORK_PIXELS``, and its original ``(width, height)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged file fails below, or is read: no warnings on the console
            return _decode(name, image, index)
    except ImageLoadError:
        raise
    except MemoryError:
        raise ImageLoadError(name, "out of memory decoding the image") from None
    except Exception as exc:  # Pillow's decoders raise OSError, ValueError, TypeError, SyntaxError, EOFError, ...
        raise ImageLoadError(name, f"truncated or corrupt image: {exc}") from None


def _decode(name: str, image: Image.Image, index: int) -> tuple[np.ndarray, tuple[int, int]]:
    image.seek(index)
    _check_size(name, image.width, image.height)  # every frame of a multi-page file has its own size
    factor = work_factor(image.width, image.height)
    if factor > 1 and index == 0 and image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 size directly
        image.draft(image.mode, (int(image.width / factor), int(image.height / factor)))
    image.load()
    frame = ImageOps.exif_transpose(image) if index == 0 else image
    return _shrink(frame)


def _shrink(frame: Image.Image) -> tuple[np.ndarray, tuple[int, int]]:
    """The frame as BGR at most ``WORK_PIXELS`` large, and its original ``(width, height)``."""
    original = frame.size
    factor = work_factor(*original)
    if factor > 1 and frame.mode in ("RGB", "L", "RGBA", "LA", "CMYK"):
        size = (max(1, round(original[0] / factor)), max(1, round(original[1] / factor)))
        frame = frame.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    bgr = normalise_pil(frame)
    if bgr.shape[0] * bgr.shape[1] > WORK_PIXELS:  # modes Pillow cannot resize: scaled as an array
        import cv2

        f = work_factor(bgr.shape[1], bgr.shape[0])
        bgr = cv2.resize(bgr, (max(1, round(bgr.shape[1] / f)), max(1, round(bgr.shape[0] / f))),
                         interpolation=cv2.INTER_AREA)
    return bgr, original


def _pdf_problem(data, exc: Exception) -> str:
    """Why PDFium could not open a PDF, in words that name the real problem (PDFium often says 'password')."""
    try:
        raw = data if isinstance(data, bytes) else Path(data).read_bytes()[:4_000_000]
    except OSError:
        raw = b""
    if b"/Encrypt" in raw:
        return f"encrypted PDF (a password is needed): {exc}"
    if re.search(rb"/Count\s*0\b", raw) and not re.search(rb"/Count\s*[1-9]", raw):
        return "the PDF has no pages"
    return f"unreadable PDF (damaged or not a PDF): {exc}"


def _pdf_pages(name: str, data, dpi: int) -> Iterator[PageImage]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:  # pypdfium2 raises its own PdfiumError
        raise ImageLoadError(name, _pdf_problem(data, exc)) from None
    try:
        count = len(pdf)
        if count == 0:
            raise ImageLoadError(name, "the PDF has no pages")
        for i in range(count):
            yield PageImage(_render_pdf_page(name, pdf, i, dpi), i, count, name)
    finally:
        pdf.close()


def _render_pdf_page(name: str, pdf, index: int, dpi: int) -> np.ndarray:
    try:
        page = pdf[index]
        w, h = page.get_size()
        if not (w > 0 and h > 0):
            raise ImageLoadError(name, f"page {index + 1} of the PDF has no area ({w} x {h} points)")
        scale = dpi / PDF_POINTS_PER_INCH
        if w * h * scale * scale > WORK_PIXELS:
            scale = (WORK_PIXELS / (w * h)) ** 0.5 * 0.99  # PDFium rounds the page size up
        pil = page.render(scale=scale).to_pil()
    except ImageLoadError:
        raise
    except Exception as exc:
        raise ImageLoadError(name, f"page {index + 1} of the PDF cannot be rendered: {exc}") from None
    return normalise_pil(pil)


def _read_head(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)")
    return head


def load_pages(source: Source, pdf_dpi: int = PDF_DPI, name: str | None = None) -> Iterator[PageImage]:
    """Every page of an image file, multi-page TIFF or PDF (a path, a URL or its bytes), or an array as one page.

    Raises :class:`ImageLoadError` naming the input for a missing, empty, non-image, truncated or too large one.
    """
    if isinstance(source, np.ndarray):
        yield PageImage(to_bgr(source, name or "<array>"), 0, 1, name or "<array>")
        return
    if is_url(source):  # an object store's file (yocr.core.remote), read whole
        source, name = read_url(source), name or source
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        data = bytes(source)
        if not data:
            raise ImageLoadError(label, "empty file (0 bytes)")
        head, stream, pdf = data[:8], io.BytesIO(data), data
    else:
        path = Path(source)
        label = name or str(path)
        head, stream, pdf = _read_head(path), path, str(path)
    if head.startswith(b"%PDF"):
        yield from _pdf_pages(label, pdf, pdf_dpi)
        return
    image, count = _open_image(label, stream)
    with image:
        for i in range(count):
            bgr, original = _frame(label, image, i)
            scale = original[0] / bgr.shape[1]
            yield PageImage(bgr, i, count, label, scale, original if scale != 1.0 else None)


def load_image(source: Source, name: str | None = None) -> PageImage:
    """The first page of ``source`` (see :func:`load_pages`)."""
    for page in load_pages(source, name=name):
        return page
    raise ImageLoadError(name or str(source), "no page")
