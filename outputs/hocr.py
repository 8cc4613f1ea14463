"""hOCR (XHTML): ``ocr_page`` > ``ocr_carea`` > ``ocr_par`` > ``ocr_line`` > ``ocrx_word``, as Tesseract writes it.

One ``ocr_page`` per page (with the image size and page number), one text area and paragraph per page holding its
lines in reading order, ``bbox`` on every element and ``x_wconf`` (0-100) on lines and words. The parsers of
OCRmyPDF and hocr-tools read it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

from yocr.outputs.words import page_lines, union

XHTML = "http://www.w3.org/1999/xhtml"
DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
           '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word"


def _bbox(box: Sequence[int]) -> str:
    return "bbox {} {} {} {}".format(*box)


def _wconf(confidence: float) -> str:
    return f"x_wconf {round(100 * confidence)}"


def page_element(page, number: int = 1) -> ET.Element:
    """The ``ocr_page`` element of one page; ``number`` (1-based) makes the ids unique in a document."""
    width, height = int(page.width), int(page.height)
    source = str(getattr(page, "source", "") or "")
    image = Path(source).name.replace('"', "") if source and not source.startswith("<") else ""
    title = f'image "{image}"; ' if image else ""
    title += f"bbox 0 0 {width} {height}; ppageno {number - 1}"
    div = ET.Element("div", {"class": "ocr_page", "id": f"page_{number}", "title": title})
    lines = page_lines(page)
    if not lines:
        return div
    block = union([box for _, box, _ in lines])
    area = ET.SubElement(div, "div", {"class": "ocr_carea", "id": f"block_{number}_1", "title": _bbox(block)})
    par = ET.SubElement(area, "p", {"class": "ocr_par", "id": f"par_{number}_1", "lang": "eng",
                                    "title": _bbox(block)})
    for i, (line, box, words) in enumerate(lines, 1):
        span = ET.SubElement(par, "span", {"class": "ocr_line", "id": f"line_{number}_{i}",
                                           "title": f"{_bbox(box)}; {_wconf(line.confidence)}"})
        for j, word in enumerate(words, 1):
            w = ET.SubElement(span, "span", {"class": "ocrx_word", "id": f"word_{number}_{i}_{j}",
                                             "title": f"{_bbox(word.box)}; {_wconf(word.confidence)}"})
            w.text = word.text
    return div


def to_hocr(pages, title: str = "") -> str:
    """An hOCR document (XHTML text) for one page or a sequence of pages (one ``ocr_page`` each)."""
    from yocr import __version__ as version

    pages = [pages] if hasattr(pages, "lines") else list(pages)
    html = ET.Element("html", {"xmlns": XHTML, "xml:lang": "en", "lang": "en"})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": f"yocr {version}"})
    ET.SubElement(head, "meta", {"name": "ocr-capabilities", "content": CAPABILITIES})
    ET.SubElement(head, "meta", {"name": "ocr-number-of-pages", "content": str(len(pages))})
    body = ET.SubElement(html, "body")
    for n, page in enumerate(pages, 1):
        body.append(page_element(page, n))
    ET.indent(html, space=" ")
    _keep_word_spacing(html)
    text = ET.tostring(html, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{DOCTYPE}\n{text}\n'


def _keep_word_spacing(root: ET.Element) -> None:
    """``ET.indent`` puts line breaks between the words of a line; a line's words are separated by one space."""
    for line in root.iter("span"):
        if line.get("class") != "ocr_line":
            continue
        words = list(line)
        for w in words[:-1]:
            w.tail = " "
