"""Row merging: phrase segments of one printed row become one text-line box.

SROIE regions are phrase segments (the QTY / PRICE / AMOUNT cells of one receipt row are separate regions). The line
detector learns one box per text line, where a "line" is the run of segments of one row that sit close enough to
read as one line. :func:`merge_rows` is that rule, shared by the dataset converters, the synthetic pages and the
detection benchmark, so that training targets and evaluation targets agree.
"""

from __future__ import annotations

from statistics import median
from typing import Sequence

from yocr.core.defaults import ROW_GAP
from yocr.core.geometry import ROW_OVERLAP, same_row, union, vertical_overlap
from yocr.data.annotations import Region

__all__ = ["group_rows", "join_regions", "merge_rows"]


def group_rows(regions: Sequence[Region], min_overlap: float = ROW_OVERLAP) -> list[list[Region]]:
    """Regions grouped into rows, top to bottom; each row sorted left to right.

    Regions are taken in order of their vertical centre. A region joins the row where it is :func:`same_row` with
    *every* member (so rows do not chain across neighbouring lines of a skewed page); among several such rows it
    joins the one it overlaps most, otherwise it starts a new row.
    """
    rows: list[list[Region]] = []
    for r in sorted(regions, key=lambda r: ((r.box[1] + r.box[3]) / 2, r.box[0])):
        best, best_overlap = None, 0.0
        for row in rows:
            if all(same_row(m.box, r.box, min_overlap) for m in row):
                share = min(vertical_overlap(m.box, r.box) / min(m.height, r.height) for m in row)
                if share > best_overlap:
                    best, best_overlap = row, share
        if best is None:
            rows.append([r])
        else:
            best.append(r)
    for row in rows:
        row.sort(key=lambda r: (r.box[0], r.box[1]))
    rows.sort(key=lambda row: (min(r.box[1] for r in row), row[0].box[0]))
    return rows


def join_regions(regions: Sequence[Region]) -> Region:
    """One region covering ``regions``; their non-empty texts joined, left to right, by a single space."""
    ordered = sorted(regions, key=lambda r: r.box[0])
    text = " ".join(t for t in (r.text.strip() for r in ordered) if t)
    return Region(union(r.box for r in ordered), text)


def merge_rows(regions: Sequence[Region], gap: float = ROW_GAP, min_overlap: float = ROW_OVERLAP) -> list[Region]:
    """Merge phrase segments of one printed row into line regions.

    The rule:

    - two regions are in the same row when their vertical overlap exceeds ``min_overlap`` (0.5) x the smaller of
      their heights (see :func:`group_rows`);
    - within a row, sorted left to right, neighbours are joined when the horizontal gap between them is at most
      ``gap`` x the row's median height (overlapping neighbours, with a negative gap, are always joined);
    - a joined region's box is the union of the parts, its text the parts' texts joined by a single space.

    ``gap=0`` joins only touching or overlapping segments. Regions with no area are dropped. The result is in
    reading order: rows top to bottom, lines left to right.
    """
    if gap < 0:
        raise ValueError(f"gap must be >= 0, not {gap}")
    usable = [r for r in regions if r.width > 0 and r.height > 0]
    lines: list[Region] = []
    for row in group_rows(usable, min_overlap):
        limit = gap * median(r.height for r in row)
        segment = [row[0]]
        right = row[0].box[2]
        for r in row[1:]:
            if r.box[0] - right > limit:
                lines.append(join_regions(segment))
                segment, right = [], r.box[2]
            segment.append(r)
            right = max(right, r.box[2])
        lines.append(join_regions(segment))
    return lines
