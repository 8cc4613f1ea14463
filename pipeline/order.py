"""Reading order: columns kept apart, rows top to bottom, the cells of a row left to right.

The detector may split a printed row into cells (a receipt's item and its price); those become one output line. Two
text columns must not be zipped together line by line, so before rows are formed the page is cut into blocks and
columns, recursively (an XY cut over the boxes):

* a *column gutter* is a vertical band that no box crosses, with boxes on both sides that are each at least a quarter
  of the block wide, and whose lines mostly do not pair up as rows across the gutter (a table's or receipt's cells do
  pair up, so they stay one line);
* a *block gap* is a horizontal band, taller than the median line height, that no box crosses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence, TypeVar

import numpy as np

B = TypeVar("B")  # anything with x0, y0, x1, y1

ROW_OVERLAP = 0.5  # two boxes share a row when their vertical overlap exceeds this share of the smaller height
MIN_COLUMN_SHARE = 0.25
MAX_PAIRED_SHARE = 0.5


def _same_row(a, b) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > ROW_OVERLAP * min(a.y1 - a.y0, b.y1 - b.y0)


def rows(lines: Sequence[B]) -> list[list[B]]:
    """Boxes grouped into rows (top to bottom), each row left to right."""
    out: list[list[B]] = []
    for ln in sorted(lines, key=lambda b: (b.y0 + b.y1) / 2):
        for row in out:
            if _same_row(row[0], ln):
                row.append(ln)
                break
        else:
            out.append([ln])
    return [merge_overlapping(sorted(r, key=lambda b: b.x0)) for r in out]


def merge_overlapping(row: list[B]) -> list[B]:
    """Cells of one row that overlap horizontally are one piece of text read twice: keep their union once."""
    merged: list[B] = []
    for b in row:
        if merged and b.x0 < merged[-1].x1 - 0.25 * min(b.y1 - b.y0, merged[-1].y1 - merged[-1].y0):
            a = merged[-1]
            merged[-1] = replace(a, x0=min(a.x0, b.x0), y0=min(a.y0, b.y0), x1=max(a.x1, b.x1), y1=max(a.y1, b.y1),
                                 score=max(getattr(a, "score", 1.0), getattr(b, "score", 1.0)))
        else:
            merged.append(b)
    return merged


def _free_bands(starts: np.ndarray, ends: np.ndarray) -> list[tuple[float, float]]:
    """Gaps between the union of intervals [start, end], as (gap start, gap end), widest first."""
    order = np.argsort(starts)
    gaps = []
    reach = ends[order[0]]
    for i in order[1:]:
        if starts[i] > reach:
            gaps.append((float(reach), float(starts[i])))
        reach = max(reach, ends[i])
    return sorted(gaps, key=lambda g: g[0] - g[1])


def _column_split(lines: Sequence[B]) -> tuple[list[B], list[B]] | None:
    x0 = np.array([b.x0 for b in lines])
    x1 = np.array([b.x1 for b in lines])
    width = x1.max() - x0.min()
    for lo, hi in _free_bands(x0, x1):
        left = [b for b in lines if b.x1 <= lo]
        right = [b for b in lines if b.x0 >= hi]
        if len(left) < 2 or len(right) < 2:
            continue
        if min(lo - x0.min(), x1.max() - hi) < MIN_COLUMN_SHARE * width:
            continue
        small, big = (left, right) if len(left) <= len(right) else (right, left)
        paired = sum(any(_same_row(a, b) for b in big) for a in small) / len(small)
        if paired <= MAX_PAIRED_SHARE:
            return left, right
    return None


def _block_split(lines: Sequence[B]) -> list[list[B]] | None:
    y0 = np.array([b.y0 for b in lines])
    y1 = np.array([b.y1 for b in lines])
    line_height = float(np.median(y1 - y0))
    cuts = sorted(mid for lo, hi in _free_bands(y0, y1) if hi - lo > line_height for mid in [(lo + hi) / 2])
    if not cuts:
        return None
    blocks: list[list[B]] = [[] for _ in range(len(cuts) + 1)]
    for b in lines:
        blocks[int(np.searchsorted(cuts, (b.y0 + b.y1) / 2))].append(b)
    return [blk for blk in blocks if blk]


def reading_order(lines: Sequence[B]) -> list[list[B]]:
    """Output lines, each a list of boxes (the cells of one row in one column), in reading order."""
    lines = list(lines)
    if len(lines) <= 1:
        return [lines] if lines else []
    split = _column_split(lines)
    if split:
        return reading_order(split[0]) + reading_order(split[1])
    blocks = _block_split(lines)
    if blocks and len(blocks) > 1:
        return [row for block in blocks for row in reading_order(block)]
    return rows(lines)
