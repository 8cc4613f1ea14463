"""The OCRmyPDF engine plugin: ``ocrmypdf --plugin yocr.ocrmypdf`` on a small scanned PDF gives a PDF/A with yocr's text.

Runs OCRmyPDF as its own process, from a temporary folder: the repository root is the ``yocr`` package, and its
``ocrmypdf.py`` would otherwise shadow the real ``ocrmypdf`` package for a Python started in the root.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PAGES = [["INVOICE 1001", "TOTAL 12.50"], ["INVOICE 1002", "CASH 20.00"]]


def _ocrmypdf_installed() -> bool:
    try:
        importlib.metadata.version("ocrmypdf")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


pytestmark = [
    pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript is not installed (apt-get install ghostscript; "
                                                          "setup.sh installs it): OCRmyPDF needs it"),
    pytest.mark.skipif(not _ocrmypdf_installed(), reason='the [ocrmypdf] extra is not installed '
                                                         '(pip install -e ".[ocrmypdf]"; setup.sh installs it)'),
]


def scanned_pdf(path, pages=PAGES) -> None:
    font = ImageFont.truetype(FONT, 40)
    images = []
    for lines in pages:
        im = Image.new("RGB", (850, 1100), "white")
        draw = ImageDraw.Draw(im)
        for k, text in enumerate(lines):
            draw.text((100, 150 + 110 * k), text, font=font, fill="black")
        images.append(im)
    images[0].save(path, save_all=True, append_images=images[1:], resolution=100)


def test_ocrmypdf_with_the_yocr_plugin_makes_a_searchable_pdfa(tmp_path):
    import pypdfium2 as pdfium

    scanned_pdf(tmp_path / "scan.pdf")
    cmd = [sys.executable, "-m", "ocrmypdf", "--plugin", "yocr.ocrmypdf", "--yocr-fallback", "none", "--jobs", "1",
           "scan.pdf", "out.pdf"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = pdfium.PdfDocument(str(tmp_path / "out.pdf"))
    texts = [doc[i].get_textpage().get_text_range().split() for i in range(len(doc))]
    doc.close()
    assert texts == [" ".join(lines).split() for lines in PAGES]
    raw = (tmp_path / "out.pdf").read_bytes()
    assert b"pdfaid:part" in raw or b"pdfaid" in raw  # OCRmyPDF's PDF/A metadata
    assert b"yocr" in raw  # the engine's creator tag
