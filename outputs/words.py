"""The words of a line as every writer sees them: integer page boxes, text and confidence.

Lines from engines that give no word boxes (Tesseract on the whole page, old JSON files) get boxes shared out along
the line box by character count, so every format always has word elements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class OutWord:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1: whole pixels, outward, inside the page
    confidence: float  # in [0, 1]


def pixel_box(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """``box`` rounded outward to whole pixels and clipped to the page; at least one pixel wide and high."""
    x0, y0, x1, y1 = (float(v) for v in box)
    xa = min(max(0, math.floor(x0)), max(0, width - 1))
    ya = min(max(0, math.floor(y0)), max(0, height - 1))
    xb = max(min(width, math.ceil(x1)), xa + 1)
    yb = max(min(height, math.ceil(y1)), ya + 1)
    return xa, ya, xb, yb


def union(boxes: Sequence[Sequence[int]]) -> tuple[int, int, int, int]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def shared_out(text: str, box: Sequence[float], confidence: float) -> list[tuple[str, tuple[float, ...], float]]:
    """Word boxes for a line without any: the line box split by character count (a space counts as a character)."""
    tokens = text.split()
    if not tokens:
        return []
    x0, y0, x1, y1 = (float(v) for v in box)
    total = sum(len(t) for t in tokens) + len(tokens) - 1
    step = (x1 - x0) / max(1, total)
    out, at = [], 0
    for t in tokens:
        out.append((t, (x0 + at * step, y0, x0 + (at + len(t)) * step, y1), confidence))
        at += len(t) + 1
    return out


def line_words(line, width: int, height: int) -> list[OutWord]:
    """The words of ``line`` (its own word boxes, or boxes shared out along the line), in reading order."""
    words = getattr(line, "words", ()) or ()
    raw = [(w.text, w.box, w.confidence) for w in words if w.text.strip()]
    if not raw:
        raw = shared_out(line.text, line.box, line.confidence)
    return [OutWord(t, pixel_box(b, width, height), float(min(1.0, max(0.0, c)))) for t, b, c in raw]


def page_lines(page) -> list[tuple[object, tuple[int, int, int, int], list[OutWord]]]:
    """``(line, line box in whole pixels, words)`` for every line of ``page`` that has text."""
    out = []
    for line in page.lines:
        words = line_words(line, page.width, page.height)
        if words:
            box = union([pixel_box(line.box, page.width, page.height)] + [w.box for w in words])
            out.append((line, box, words))
    return out
