"""OCRmyPDF engine plugin: ``ocrmypdf --plugin yocr.ocrmypdf scan.pdf out.pdf`` reads the pages with yocr.

OCRmyPDF (``pip install "yocr[ocrmypdf]"``, with Ghostscript for its PDF/A output) rasterises each page, asks the OCR
engine for that page's hOCR and lays the text under the page,
with its own page rotation, deskew, PDF/A conversion and optimisation. This module follows OCRmyPDF's engine
contract (``ocrmypdf.pluginspec.OcrEngine``), as the OCRmyPDF-EasyOCR and ocrmypdf-rapidocr plugins do: the page's
words come from yocr's :class:`~yocr.pipeline.reader.Reader` and are written by :mod:`yocr.outputs`.

Options: ``--yocr-fallback auto|none`` (Tesseract re-reads unsure lines, as in ``yocr run``),
``--yocr-detector-weights`` and ``--yocr-recognizer-weights``. yocr reads English (``-l eng``), does not detect page
orientation (``--rotate-pages`` leaves pages as they are) and straightens each line itself (``--deskew`` is 0).

Note: this file is ``yocr/ocrmypdf.py``; ``import ocrmypdf`` below is the OCRmyPDF package (absolute imports).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ocrmypdf import OcrEngine, hookimpl
from ocrmypdf.pluginspec import OrientationConfidence

log = logging.getLogger(__name__)

LANGUAGES = {"eng"}
_LOCK = threading.Lock()  # OCRmyPDF may run pages in threads: one reading at a time per process
_READERS: dict[tuple, object] = {}


@hookimpl
def add_options(parser) -> None:
    group = parser.add_argument_group("yocr", "yocr OCR engine (yocr.ocrmypdf plugin)")
    group.add_argument("--yocr-fallback", choices=("auto", "none"), default="auto",
                       help="Tesseract re-reads the lines yocr's CRNN is unsure of (auto: when installed).")
    group.add_argument("--yocr-detector-weights", default=None, help="Detector weights (default: yocr's shipped).")
    group.add_argument("--yocr-recognizer-weights", default=None, help="Recognizer weights (default: shipped).")


def _option(options, name: str, default=None):
    extra = getattr(options, "extra_attrs", None) or {}
    if name in extra:
        return extra[name]
    try:
        return getattr(options, name)
    except AttributeError:
        return default


def reader(options):
    """The yocr reader for these options, loaded once per process (``yocr run``'s defaults otherwise: the fallback's
    thresholds, unsure document lines read again in other framings)."""
    key = (_option(options, "yocr_fallback", "auto"), _option(options, "yocr_detector_weights"),
           _option(options, "yocr_recognizer_weights"))
    if key not in _READERS:
        from yocr.pipeline.reader import Reader

        _READERS[key] = Reader(fallback=key[0] or "auto", detector_weights=key[1], recognizer_weights=key[2])
    return _READERS[key]


def read_page(input_file: Path, options):
    with _LOCK:
        return reader(options).read(str(input_file))


class YocrEngine(OcrEngine):
    """yocr as an OCRmyPDF OCR engine."""

    @staticmethod
    def version() -> str:
        from yocr import __version__

        return __version__

    @staticmethod
    def creator_tag(options) -> str:
        return f"yocr {YocrEngine.version()}"

    def __str__(self) -> str:
        return f"yocr {YocrEngine.version()}"

    @staticmethod
    def languages(options) -> set[str]:
        return set(LANGUAGES)

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        return 0.0

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        from yocr.outputs.hocr import to_hocr

        page = read_page(input_file, options)
        Path(output_hocr).write_text(to_hocr(page), encoding="utf-8")
        Path(output_text).write_text(page.text + "\n" if page.text else "", encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        raise NotImplementedError("yocr gives OCRmyPDF hOCR: use the default --pdf-renderer (auto or fpdf2), "
                                  "not sandwich")


@hookimpl
def get_ocr_engine(options):
    return YocrEngine()
