"""Searchable PDF: each page image with an invisible text layer over its words, written with pypdfium2 (PDFium).

Each word is an invisible (render mode 3) Helvetica text object scaled to fill the word's box on its line's
baseline, followed by a space, so that selecting text in a viewer highlights the words where they are printed and
``pdftotext`` gives the text back in reading order. Page images are kept as they came where possible: a PDF input's pages are copied unchanged (the text
layer is added on top), a JPEG file is embedded as its own bytes (not re-encoded); other images are embedded
losslessly. Word boxes are in the page image's pixels; the page is ``pixels x 72 / dpi`` points.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Sequence

import numpy as np

from yocr.core.io import atomic_target
from yocr.core.remote import is_url
from yocr.outputs.words import page_lines

DEFAULT_DPI = 300.0  # page size of images that carry no resolution
FONT = b"Helvetica"  # one of PDF's standard fonts: nothing embedded, always available to readers
ASCENT, DESCENT = 0.718, 0.207  # Helvetica's, in em: the font size that makes the glyphs fill a box's height
AVERAGE_WIDTH = 0.556  # Helvetica's usual glyph width, in em (for a character it has no width for)
MIN_GAP = 0.25  # between two words' text, in em: less and text extraction may run them together


def _pdfium():
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    return pdfium, raw


def _image_dpi(path: Path) -> float | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            dpi = im.info.get("dpi")
    except Exception:
        return None
    if dpi and 50 <= float(dpi[0]) <= 2400:
        return float(dpi[0])
    return None


def _plain_jpeg(path: Path, size: tuple[int, int]) -> bool:
    """Whether the file's JPEG bytes show the page as yocr read it: grey or RGB, no EXIF rotation, ``size`` (h, w)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return (im.format == "JPEG" and im.mode in ("L", "RGB") and im.getexif().get(0x0112, 1) == 1
                    and (im.height, im.width) == size)
    except Exception:
        return False


def _is_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(5) == b"%PDF-"
    except OSError:
        return False


class _Writer:
    """One output document; pages are added one at a time."""

    def __init__(self) -> None:
        self.pdfium, self.raw = _pdfium()
        self.pdf = self.pdfium.PdfDocument.new()
        self.font = self.raw.FPDFText_LoadStandardFont(self.pdf.raw, FONT)
        self._sources: dict[str, object] = {}

    def close(self) -> None:
        for doc in self._sources.values():
            doc.close()
        self.pdf.close()

    # --- the page underneath the text -----------------------------------------------------------------------------

    def _source_pdf(self, path: Path):
        key = str(path.resolve())
        if key not in self._sources:
            self._sources[key] = self.pdfium.PdfDocument(str(path))
        return self._sources[key]

    def page_from_pdf(self, path: Path, index: int):
        """The source PDF's page copied unchanged; returns the page and its crop box (l, b, r, t) in points, or None
        when the page is rotated (its text is then laid over an image of the page instead)."""
        src = self._source_pdf(path)
        if src[index].get_rotation() % 360:
            return None
        self.pdf.import_pages(src, [index])
        page = self.pdf[len(self.pdf) - 1]
        return page, page.get_cropbox()

    def page_from_image(self, width_px: int, height_px: int, dpi: float, jpeg: Path | None, image: np.ndarray | None):
        w_pt, h_pt = width_px * 72.0 / dpi, height_px * 72.0 / dpi
        page = self.pdf.new_page(w_pt, h_pt)
        obj = self.pdfium.PdfImage.new(self.pdf)
        if jpeg is not None:
            obj.load_jpeg(str(jpeg), pages=[page], inline=False)
        else:
            from PIL import Image

            rgb = image[:, :, ::-1] if image.ndim == 3 else image
            obj.set_bitmap(self.pdfium.PdfBitmap.from_pil(Image.fromarray(np.ascontiguousarray(rgb))), pages=[page])
        obj.set_matrix(self.pdfium.PdfMatrix().scale(w_pt, h_pt))
        page.insert_obj(obj)
        return page, (0.0, 0.0, w_pt, h_pt)

    # --- the text layer -------------------------------------------------------------------------------------------

    def _text(self, text: str, size: float):
        obj = self.raw.FPDFPageObj_CreateTextObj(self.pdf.raw, self.font, ctypes.c_float(size))
        self._set_text(obj, text)
        self.raw.FPDFTextObj_SetTextRenderMode(obj, self.raw.FPDF_TEXTRENDERMODE_INVISIBLE)
        return obj

    def _set_text(self, obj, text: str) -> None:
        buf = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
        self.raw.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(self.raw.FPDF_WCHAR)))

    def _advance(self, text: str, size: float) -> float:
        """The width of ``text`` set in the font at ``size``: the sum of its glyphs' advance widths (what viewers
        select and text extraction measures)."""
        total = 0.0
        width = ctypes.c_float()
        for ch in text:
            ok = self.raw.FPDFFont_GetGlyphWidth(self.font, ord(ch), ctypes.c_float(size), ctypes.byref(width))
            total += width.value if ok and width.value > 0 else AVERAGE_WIDTH * size
        return total

    def add_words(self, page, crop: Sequence[float], result) -> None:
        """The invisible text of ``result`` (a yocr page) over ``page``, whose visible area is ``crop`` in points.

        The words of a line share its height and baseline (the line box's bottom less Helvetica's descent), as
        printed text does, so that extraction keeps them on one line; each word spans its own box horizontally,
        shortened where needed to leave a gap of :data:`MIN_GAP` x the font size before the next word.
        """
        left, bottom, right, top = crop
        sx = (right - left) / max(1, int(result.width))
        sy = (top - bottom) / max(1, int(result.height))
        for _, (_, ly0, _, ly1), words in page_lines(result):
            size = max(0.5, (ly1 - ly0) * sy / (ASCENT + DESCENT))
            baseline = top - ly1 * sy + DESCENT * size
            spans = [[left + w.box[0] * sx, left + w.box[2] * sx] for w in words]
            for a, b in zip(spans, spans[1:]):
                a[1] = max(a[0] + 0.25 * (a[1] - a[0]), min(a[1], b[0] - MIN_GAP * size))
            for k, (word, (x0, x1)) in enumerate(zip(words, spans)):
                obj = self._text(word.text + (" " if k < len(words) - 1 else ""), size)  # a space between words
                scale = (x1 - x0) / max(1e-6, self._advance(word.text, size))
                self.raw.FPDFPageObj_Transform(obj, scale, 0.0, 0.0, 1.0, x0, baseline)
                self.raw.FPDFPage_InsertObject(page.raw, obj)
        page.gen_content()

    def save(self, path: Path) -> None:
        with atomic_target(path) as tmp:
            self.pdf.save(str(tmp))


def write_pdf(path: str | Path, pages: Sequence, images: Sequence[np.ndarray | None] | None = None,
              dpi: float | None = None) -> Path:
    """Write a searchable PDF of ``pages`` (yocr pages, in order) to ``path`` (atomically).

    The page under each page's text is, in order of preference: the page's own ``source`` PDF page (copied unchanged),
    its ``source`` JPEG file (embedded without re-encoding), ``images[i]`` (a BGR or grey uint8 array, embedded
    losslessly), or the ``source`` file read again. ``dpi`` sets the page size of image pages (default: the image's
    own resolution, else 300).
    """
    path = Path(path)
    writer = _Writer()
    try:
        for i, result in enumerate(pages):
            image = images[i] if images is not None else None
            raw = str(getattr(result, "source", "") or "")
            source = raw if is_url(raw) else Path(raw)  # a URL's file is read again through yocr.core.remote
            index = int(getattr(result, "page", 0))
            is_file = isinstance(source, Path) and not raw.startswith("<") and source.is_file()
            placed = writer.page_from_pdf(source, index) if is_file and _is_pdf(source) else None
            if placed is None:
                size = (int(result.height), int(result.width))
                jpeg = source if is_file and index == 0 and _plain_jpeg(source, size) else None
                if jpeg is None and image is None:
                    image = _render_pdf_page(source, index, result.width) if is_file and _is_pdf(source) \
                        else _load_page(source, index)
                page_dpi = dpi or (_image_dpi(source) if is_file else None) or DEFAULT_DPI
                placed = writer.page_from_image(int(result.width), int(result.height), page_dpi, jpeg, image)
            writer.add_words(*placed, result)
        writer.save(path)
    finally:
        writer.close()
    return path


def _load_page(source: Path | str, index: int) -> np.ndarray:
    from yocr.core.image import load_pages

    for page in load_pages(source):
        if page.index == index:
            return page.bgr
    raise ValueError(f"{source}: has no page {index + 1}")


def _render_pdf_page(source: Path, index: int, width: int) -> np.ndarray:
    pdfium, _ = _pdfium()
    doc = pdfium.PdfDocument(str(source))
    try:
        page = doc[index]
        w_pt, _ = page.get_size()
        pil = page.render(scale=width / w_pt).to_pil().convert("RGB")
    finally:
        doc.close()
    return np.ascontiguousarray(np.asarray(pil)[:, :, ::-1])


def combine_pdfs(parts: Sequence[str | Path], path: str | Path) -> Path:
    """One PDF of all pages of ``parts``, in order (for ``--pdf-combine``), written atomically."""
    pdfium, _ = _pdfium()
    out = pdfium.PdfDocument.new()
    path = Path(path)
    try:
        for part in parts:
            src = pdfium.PdfDocument(str(part))
            try:
                out.import_pages(src)
            finally:
                src.close()
        with atomic_target(path) as tmp:
            out.save(str(tmp))
    finally:
        out.close()
    return path
