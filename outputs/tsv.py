"""Tesseract's TSV: one row per page, block, paragraph, line and word, with Tesseract's twelve columns.

Scripts written for ``tesseract IMAGE out tsv`` read it unchanged: ``level`` 1-5, 1-based ``page_num``, boxes as
``left top width height`` in pixels, ``conf`` -1 on the structure rows and the word confidence (0-100) on words.
"""

from __future__ import annotations

from yocr.outputs.words import page_lines, union

COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
           "left", "top", "width", "height", "conf", "text")


def _row(level: int, page: int, block: int, par: int, line: int, word: int, box, conf: float, text: str) -> str:
    x0, y0, x1, y1 = box
    clean = text.replace("\t", " ").replace("\n", " ")
    conf_s = "-1" if conf < 0 else f"{conf:.6f}".rstrip("0").rstrip(".")
    return "\t".join(str(v) for v in (level, page, block, par, line, word, x0, y0, x1 - x0, y1 - y0)) + \
        f"\t{conf_s}\t{clean}"


def page_rows(page, number: int = 1) -> list[str]:
    """The rows of one page (``number`` is its 1-based ``page_num``)."""
    rows = [_row(1, number, 0, 0, 0, 0, (0, 0, int(page.width), int(page.height)), -1, "")]
    lines = page_lines(page)
    if not lines:
        return rows
    block = union([b for _, b, _ in lines])
    rows.append(_row(2, number, 1, 0, 0, 0, block, -1, ""))
    rows.append(_row(3, number, 1, 1, 0, 0, block, -1, ""))
    for i, (_, box, words) in enumerate(lines, 1):
        rows.append(_row(4, number, 1, 1, i, 0, box, -1, ""))
        rows += [_row(5, number, 1, 1, i, j, w.box, 100 * w.confidence, w.text) for j, w in enumerate(words, 1)]
    return rows


def to_tsv(pages) -> str:
    """The TSV (header and rows) for one page or a sequence of pages."""
    pages = [pages] if hasattr(pages, "lines") else list(pages)
    rows = ["\t".join(COLUMNS)]
    for n, page in enumerate(pages, 1):
        rows += page_rows(page, n)
    return "\n".join(rows) + "\n"
