"""ALTO v4 XML: ``Page`` > ``PrintSpace`` > ``TextBlock`` > ``TextLine`` > ``String`` / ``SP``, in pixels.

One ``Page`` per page; one ``TextBlock`` per page holding its lines in reading order; every element has HPOS, VPOS,
WIDTH and HEIGHT; each ``String`` has its ``CONTENT`` and word confidence ``WC`` (0-1); ``SP`` between words.
Validates against the ALTO 4.4 schema (``tests/schemas/alto-4-4.xsd``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from yocr.outputs.words import page_lines, union

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/alto/v4/alto-4-4.xsd"


def _geometry(box) -> dict[str, str]:
    x0, y0, x1, y1 = box
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}


def _tag(name: str) -> str:
    return f"{{{NS}}}{name}"


def page_element(page, number: int = 1) -> ET.Element:
    """The ``Page`` element of one page; ``number`` (1-based) is its physical image number and makes ids unique."""
    width, height = int(page.width), int(page.height)
    el = ET.Element(_tag("Page"), {"ID": f"page_{number}", "PHYSICAL_IMG_NR": str(number),
                                   "WIDTH": str(width), "HEIGHT": str(height)})
    space = ET.SubElement(el, _tag("PrintSpace"), _geometry((0, 0, width, height)))
    lines = page_lines(page)
    if not lines:
        return el
    block = ET.SubElement(space, _tag("TextBlock"), {"ID": f"block_{number}_1",
                                                     **_geometry(union([b for _, b, _ in lines]))})
    for i, (_, box, words) in enumerate(lines, 1):
        line_el = ET.SubElement(block, _tag("TextLine"), {"ID": f"line_{number}_{i}", **_geometry(box)})
        for j, word in enumerate(words, 1):
            if j > 1:
                prev = words[j - 2].box
                gap = (prev[2], box[1], max(prev[2], word.box[0]), box[3])
                sp = _geometry(gap)
                ET.SubElement(line_el, _tag("SP"), {"WIDTH": sp["WIDTH"], "HPOS": sp["HPOS"], "VPOS": sp["VPOS"]})
            ET.SubElement(line_el, _tag("String"), {"ID": f"string_{number}_{i}_{j}", **_geometry(word.box),
                                                    "CONTENT": word.text, "WC": f"{word.confidence:.4f}"})
    return el


def to_alto(pages, source: str | None = None) -> str:
    """An ALTO v4 document (XML text) for one page or a sequence of pages (one ``Page`` each)."""
    from yocr import __version__ as version

    pages = [pages] if hasattr(pages, "lines") else list(pages)
    ET.register_namespace("", NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(_tag("alto"), {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    description = ET.SubElement(root, _tag("Description"))
    ET.SubElement(description, _tag("MeasurementUnit")).text = "pixel"
    source = source if source is not None else str(getattr(pages[0], "source", "") if pages else "")
    if source and not source.startswith("<"):
        info = ET.SubElement(description, _tag("sourceImageInformation"))
        ET.SubElement(info, _tag("fileName")).text = Path(source).name
    processing = ET.SubElement(description, _tag("Processing"), {"ID": "ocr_1"})
    ET.SubElement(processing, _tag("processingCategory")).text = "contentGeneration"
    software = ET.SubElement(processing, _tag("processingSoftware"))
    ET.SubElement(software, _tag("softwareName")).text = "yocr"
    ET.SubElement(software, _tag("softwareVersion")).text = version
    layout = ET.SubElement(root, _tag("Layout"))
    for n, page in enumerate(pages, 1):
        layout.append(page_element(page, n))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
