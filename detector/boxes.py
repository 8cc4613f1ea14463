"""Line boxes and their post-processing, in plain numpy: duplicates merged, tiles stitched, reading order.

YOLO's NMS keeps boxes that overlap little in IoU terms but are the same printed line: a whole line and a piece of
it, or two halves of a line cut by a tile border. :func:`merge_line_boxes` joins boxes of the same row (vertical
overlap above ``row_overlap`` x the smaller height) that overlap horizontally by more than ``min_overlap`` x the
narrower width; boxes flagged as cut by a tile border join any same-row box they touch or overlap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class LineBox:
    """One detected text line: pixel box ``(x0, y0, x1, y1)`` and the detector's score in [0, 1]."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: round(float(v), 2 if k != "score" else 4) for k, v in d.items()}


def to_arrays(lines: Sequence[LineBox]) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.array([ln.box for ln in lines], dtype=np.float64).reshape(-1, 4)
    scores = np.array([ln.score for ln in lines], dtype=np.float64)
    return boxes, scores


def from_arrays(boxes: np.ndarray, scores: np.ndarray) -> list[LineBox]:
    return [LineBox(*(float(v) for v in b), float(s)) for b, s in zip(boxes, scores)]


def _pair_overlaps(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = boxes.T
    h = y1 - y0
    w = x1 - x0
    v = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    hz = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    return v, hz, np.minimum(h[:, None], h[None, :]), np.minimum(w[:, None], w[None, :])


def merge_line_boxes(
    boxes: np.ndarray,
    scores: np.ndarray,
    row_overlap: float = 0.5,
    min_overlap: float = 0.5,
    cut: np.ndarray | None = None,
    max_rounds: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    """Merge boxes that are the same line; returns ``(boxes [M, 4], scores [M])`` with ``M <= N``.

    Two boxes are the same line when they share a row (vertical overlap > ``row_overlap`` x the smaller height)
    and overlap horizontally by more than ``min_overlap`` x the narrower width; when either is flagged in ``cut``
    (a box touching an inner tile border) any horizontal contact is enough. Groups are joined transitively into
    their union box with the highest score, and the process repeats until nothing changes.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    cut = np.zeros(len(boxes), bool) if cut is None else np.asarray(cut, bool).reshape(-1)
    for _ in range(max_rounds):
        n = len(boxes)
        if n < 2:
            break
        v, hz, min_h, min_w = _pair_overlaps(boxes)
        either_cut = cut[:, None] | cut[None, :]
        needed = np.where(either_cut, -1.0, min_overlap * min_w)
        same = (v > row_overlap * min_h) & (hz > needed)
        np.fill_diagonal(same, False)
        if not same.any():
            break
        labels = _components(same)
        groups = np.unique(labels)
        new_boxes = np.empty((len(groups), 4))
        new_scores = np.empty(len(groups))
        new_cut = np.empty(len(groups), bool)
        for k, g in enumerate(groups):
            members = labels == g
            b = boxes[members]
            new_boxes[k] = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
            new_scores[k] = scores[members].max()
            new_cut[k] = cut[members].any()
        boxes, scores, cut = new_boxes, new_scores, new_cut
    return boxes, scores


def _components(adjacency: np.ndarray) -> np.ndarray:
    """Connected-component label of each node of a symmetric boolean adjacency matrix (union-find)."""
    n = len(adjacency)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(adjacency | adjacency.T, 1))):
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(n)])


def tiles(width: int, height: int, size: int, overlap: float = 0.2) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles ``(x0, y0, x1, y1)`` of at most ``size`` pixels covering a ``width`` x ``height`` page."""
    if size <= 0:
        raise ValueError("tile size must be > 0")
    if not 0.0 <= overlap < 0.9:
        raise ValueError("tile overlap must be in [0, 0.9)")

    def starts(length: int) -> list[int]:
        if length <= size:
            return [0]
        step = max(1, int(size * (1 - overlap)))
        n = int(np.ceil((length - size) / step)) + 1
        return [int(round(i * (length - size) / (n - 1))) for i in range(n)]

    return [(x, y, min(x + size, width), min(y + size, height)) for y in starts(height) for x in starts(width)]


def touches_inner_border(
    boxes: np.ndarray, tile: tuple[int, int, int, int], width: int, height: int, margin: float = 2.0
) -> np.ndarray:
    """Which boxes (page coordinates) touch a border of ``tile`` that is inside the page (so they may be cut)."""
    x0, y0, x1, y1 = tile
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return (
        ((b[:, 0] <= x0 + margin) & (x0 > 0))
        | ((b[:, 1] <= y0 + margin) & (y0 > 0))
        | ((b[:, 2] >= x1 - margin) & (x1 < width))
        | ((b[:, 3] >= y1 - margin) & (y1 < height))
    )


def clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).copy()
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, width)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, height)
    return b


def reading_order(lines: Sequence[LineBox]) -> list[LineBox]:
    """Lines top to bottom, and left to right within a row (same-row test as :func:`merge_line_boxes`)."""
    rows: list[list[LineBox]] = []
    for ln in sorted(lines, key=lambda ln: (ln.y0 + ln.y1) / 2):
        for row in rows:
            ref = row[0]
            overlap = min(ref.y1, ln.y1) - max(ref.y0, ln.y0)
            if overlap > 0.5 * min(ref.height, ln.height):
                row.append(ln)
                break
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.x0)]


def ink_mask(image_bgr: np.ndarray, speck: int = 0) -> np.ndarray:
    """Dark-on-light ink of a page (adaptive threshold, so uneven light does not flood it), as a 0/1 uint8 array.

    Connected blobs of fewer than ``speck`` pixels (scanner noise, paper texture) are not ink unless they lie next to
    a larger blob (punctuation) or in a flat row of such blobs (a dot leader): on a noisy scan they otherwise sit close
    enough together to pull a line box out into the blank margin (see :func:`snap_to_ink`).
    """
    import cv2

    grey = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    ink = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    # ruling lines of forms and tables are not text: remove long horizontal and vertical runs
    span = rule_span(ink.shape)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, span), np.uint8))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((span, 1), np.uint8))
    ink &= 1 - rules
    if speck > 1:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        large = stats[:, cv2.CC_STAT_AREA] >= speck
        large[0] = False
        solid = large[labels].astype(np.uint8)
        # a small blob next to a glyph is punctuation (a full stop, the dot of an i): keep those within twice the
        # speck's side of a larger blob
        unit = int(np.ceil(np.sqrt(speck)))
        near = cv2.dilate(solid, np.ones((4 * unit + 1, 4 * unit + 1), np.uint8))
        keep = large.copy()
        keep[np.unique(labels[(near > 0) & (ink > 0)])] = True
        # a flat row of small blobs, each within four speck sides of the next, is a dot leader ("Total ..... 9.90"),
        # not noise: keep rows at least twelve sides long and at most two high
        small = ((~keep)[labels] & (ink > 0)).astype(np.uint8)
        rows = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((1, 4 * unit + 1), np.uint8))
        _, row_labels, row_stats, _ = cv2.connectedComponentsWithStats(rows, connectivity=8)
        leader = (row_stats[:, cv2.CC_STAT_WIDTH] >= 12 * unit) & (row_stats[:, cv2.CC_STAT_HEIGHT] <= 2 * unit)
        leader[0] = False
        keep[np.unique(labels[leader[row_labels] & (small > 0)])] = True
        keep[0] = False
        ink = keep[labels].astype(np.uint8)
    return ink


def rule_span(shape: tuple[int, ...]) -> int:
    """Runs of ink at least this long (in pixels) count as ruling lines in :func:`ink_mask`, not as text."""
    return max(40, max(shape[:2]) // 40)


def speck_size(line_heights: np.ndarray, fraction: float = 0.15) -> int:
    """Blob area (pixels) below which ink is noise: a square of ``fraction`` x the median line height, at least 2."""
    heights = np.asarray(line_heights, dtype=np.float64).reshape(-1)
    if not len(heights):
        return 2
    return max(2, int(round((fraction * float(np.median(heights))) ** 2)))


def inked_columns(ink: np.ndarray, y0: float, y1: float, x_lo: float, x_hi: float, band: float = 0.2) -> np.ndarray:
    """Page columns in ``[x_lo, x_hi)`` with ink in the middle of the row ``y0..y1`` (``band`` x its height left out at
    top and bottom, where neighbouring lines' ascenders and descenders reach); empty when that leaves nothing."""
    h = y1 - y0
    ya, yb = max(0, int(round(y0 + band * h))), min(ink.shape[0], int(round(y1 - band * h)))
    xa, xb = max(0, int(np.floor(x_lo))), min(ink.shape[1], int(np.ceil(x_hi)))
    if yb <= ya or xb <= xa:
        return np.zeros(0, np.int64)
    return np.nonzero(ink[ya:yb, xa:xb].any(axis=0))[0] + xa


def snap_to_ink(
    boxes: np.ndarray, ink: np.ndarray, gap: float = 1.0, reach: float = 1.5, trim: float = 0.5, near: float = 0.3
) -> np.ndarray:
    """Line boxes adjusted horizontally to the ink of their row.

    YOLO's box regression reaches at most 16 strides from an anchor, so on wide lines the predicted ends fall short
    of the text (or overshoot into the margin). Each box is grown left and right along its row's ink while the next
    inked column is within ``gap`` x the line height (the same rule that joins a row's segments into one line in the
    training targets), by at most ``reach`` x its own width — but only at an edge that cuts through ink: an edge in
    blank space is a deliberate separation (a form's label and its field). An edge with ink within ``near`` x the
    height beyond it counts as cutting (a capital T's stem just outside the box, a final full stop). Blank margins
    wider than ``trim`` x the height are trimmed. Rows with no ink (photos where the threshold finds nothing) keep
    their box.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).copy()
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        h = y1 - y0
        if h < 4 or x1 - x0 < 2:
            continue
        cols = inked_columns(ink, y0, y1, x0 - reach * (x1 - x0), x1 + reach * (x1 - x0))
        if len(cols) == 0:
            continue
        inside = cols[(cols >= x0) & (cols < x1)]
        if len(inside) == 0:
            continue
        max_gap = gap * h
        inked = set(cols.tolist())
        # grow only where the box edge cuts through ink (a truncated line), from the last/first inked column inside
        right = inside[-1]
        if any(c in inked for c in range(int(x1) - 1, int(x1) + 2 + int(near * h))):
            for c in cols[cols > right]:
                if c - right > max_gap:
                    break
                right = c
        left = inside[0]
        if any(c in inked for c in range(int(x0) - 1 - int(near * h), int(x0) + 2)):
            for c in cols[cols < left][::-1]:
                if left - c > max_gap:
                    break
                left = c
        new_x0 = left if (left < x0 or left - x0 > trim * h) else x0
        new_x1 = right + 1 if (right + 1 > x1 or x1 - right - 1 > trim * h) else x1
        boxes[k, 0], boxes[k, 2] = new_x0, new_x1
    return boxes


def split_at_gaps(
    boxes: np.ndarray, scores: np.ndarray, ink: np.ndarray, gap: float = 1.2, band: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Line boxes cut where their ink has a blank run wider than ``gap`` x the box height.

    The training targets keep two segments of a row apart when the gap between their annotated boxes exceeds 1.0 x
    the line height (:func:`yocr.data.rows.merge_rows`); annotated boxes are padded a little on each side, so between
    inked columns that rule is about 1.2 x the height. The detector sometimes joins such segments anyway (a receipt's
    label and its amount); this applies the rule to the ink. Only the middle of the box (without ``band`` x the
    height at top and bottom, where neighbouring lines' ascenders and descenders reach) is looked at. Each piece keeps
    the box's score; the outer edges stay where they were, inner edges sit on the ink. Returns ``(boxes, scores)``.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    out_boxes: list[tuple[float, float, float, float]] = []
    out_scores: list[float] = []
    if len(boxes) != len(scores):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores")
    for (x0, y0, x1, y1), score in zip(boxes, scores):
        h = y1 - y0
        cols = inked_columns(ink, y0, y1, x0, x1, band) if h >= 4 else np.zeros(0, np.int64)
        # blank columns between consecutive inked ones: np.diff - 1
        cuts = np.nonzero(np.diff(cols) - 1 > gap * h)[0] if len(cols) > 1 else []
        if not len(cuts):
            out_boxes.append((x0, y0, x1, y1))
            out_scores.append(score)
            continue
        lefts = [x0] + [float(cols[i + 1]) for i in cuts]
        rights = [float(cols[i] + 1) for i in cuts] + [x1]
        out_boxes.extend((a, y0, b, y1) for a, b in zip(lefts, rights))
        out_scores.extend([score] * len(lefts))
    return np.array(out_boxes, dtype=np.float64).reshape(-1, 4), np.array(out_scores, dtype=np.float64)


def ink_fractions(boxes: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """The share of each box's in-page pixels that are ink (0 for boxes wholly outside the page)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.zeros(len(boxes))
    for k, (x0, y0, x1, y1) in enumerate(np.round(boxes).astype(int)):
        part = ink[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]
        out[k] = part.mean() if part.size else 0.0
    return out


def sees_text(boxes: np.ndarray, ink: np.ndarray, typical: float = 0.1) -> bool:
    """Whether the ink mask shows this page's text: the median line box has at least ``typical`` of its pixels
    inked (printed text inks 15-40 %; on a low-contrast photo the threshold can find almost nothing)."""
    return bool(len(boxes)) and float(np.median(ink_fractions(boxes, ink))) >= typical


def drop_blank(
    boxes: np.ndarray, scores: np.ndarray, ink: np.ndarray, least: float = 0.02, typical: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Line boxes without the ones that hold (almost) no ink: under ``least`` of their pixels.

    Printed text inks 15-40 % of its line box; a box with under 2 % is a patch of faded thermal print, bleed-through
    or scanner speckle (specks are not ink, :func:`ink_mask`). Only on pages where the threshold sees the text
    (:func:`sees_text` with ``typical``); elsewhere every box is kept. Boxes at least as tall as
    :func:`rule_span` are kept too: the stems of such large type can be long enough to be taken for ruling lines and
    removed from the ink. Returns ``(boxes, scores)``.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not sees_text(boxes, ink, typical):
        return boxes, scores
    keep = (ink_fractions(boxes, ink) >= least) | (boxes[:, 3] - boxes[:, 1] >= rule_span(ink.shape))
    return boxes[keep], scores[keep]


def lone_segments(
    boxes: np.ndarray, ink: np.ndarray, grey: np.ndarray, gap: float = 1.0, low: float = 0.55, high: float = 1.0,
    max_width: float = 2.0, pad: float = 0.1, border: int = 3, faint: float = 0.5, stack: float = 0.15,
    sides: float = 0.25,
) -> np.ndarray:
    """Boxes for short inked segments standing alone in a row that has line boxes, which the detector left out.

    The detector misses tiny lone segments more than anything else: a receipt's quantity "1" set apart from its row
    (a ":" is not recovered: its dots are too small). Under the row rule (:func:`yocr.data.rows.merge_rows`) such a
    segment is a line of its own when it is more than ``gap`` x the line height from any other ink of its row.
    Uncovered ink (``ink`` outside ``boxes``, its glyphs joined across gaps under 0.4 x the median line height)
    becomes a line box when it

    - lies in the row of a box (its centre between that box's top and bottom), more than ``gap`` x that box's height
      from it and from any other ink of the row;
    - is ``low``..``high`` x that box's height tall and at most ``max_width`` x as wide (boxes include some margin
      above and below the glyphs), and its ink (after joining the glyphs) fills at least 15 % of its rectangle;
    - does not touch the page border (scanner edges, shadows) and has no uncovered ink within ``stack`` x the height
      above or below it (vertical text, drawings);
    - is as dark as text: the median grey of its ink is no more than ``faint`` of the way from the page's typical
      ink grey to its paper grey (bleed-through, smudges and faded stamps are lighter);
    - has the same background on both sides: the median greys just left and right of it differ by at most
      ``sides`` x the page's paper-to-ink contrast (on a photo, the dark side of a page's edge against the table
      it lies on is 'ink' too).

    The new box is as tall as the row's box, centred on the segment (rows on a skewed page are not level), and as
    wide as the segment plus ``pad`` x the height on each side, clipped to the page. Nothing is added on pages where
    the threshold does not see the text (the median box under 10 % ink, as in :func:`drop_blank`). Returns the new
    boxes only, ``(n, 4)``.
    """
    import cv2

    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if grey.shape != ink.shape:
        raise ValueError(f"grey image {grey.shape} and ink mask {ink.shape} differ in shape")
    none = np.zeros((0, 4), np.float64)
    heights = boxes[:, 3] - boxes[:, 1]
    if not len(boxes) or np.median(heights) < 4 or not sees_text(boxes, ink):
        return none
    height, width = ink.shape
    free = ink.copy()
    for x0, y0, x1, y1 in np.round(boxes).astype(int):
        free[max(0, y0 - 2):max(0, y1 + 3), max(0, x0 - 2):max(0, x1 + 3)] = 0
    join = max(1, int(0.4 * np.median(heights)))
    closed = cv2.morphologyEx(free, cv2.MORPH_CLOSE, np.ones((1, join), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    text_grey = float(np.median(grey[ink > 0]))
    paper_grey = float(np.median(grey))
    x, y, w, h, area = stats[1:count].T
    # what no box's row could accept, dropped in one go (pages can have thousands of blobs)
    plausible = (x > border) & (y > border) & (x + w < width - border) & (y + h < height - border)
    plausible &= (area >= 0.15 * w * h) & (h >= low * heights.min()) & (h <= high * heights.max())
    plausible &= w <= max_width * heights.max()
    found = []
    for x, y, w, h, area in stats[1:count][plausible]:
        centre = y + h / 2
        row = np.nonzero((boxes[:, 1] < centre) & (centre < boxes[:, 3]))[0]
        if not len(row):
            continue
        distance = np.maximum.reduce([boxes[row, 0] - (x + w), x - boxes[row, 2], np.zeros(len(row))])
        nearest = row[int(np.argmin(distance))]
        x0, y0, x1, y1 = boxes[nearest]
        line = y1 - y0
        if not (low * line <= h <= high * line) or w > max_width * line or distance.min() <= gap * line:
            continue
        if len(inked_columns(ink, y0, y1, x - gap * line, x - 2)):
            continue
        if len(inked_columns(ink, y0, y1, x + w + 2, x + w + gap * line)):
            continue
        reach = int(np.ceil(stack * line))
        if closed[max(0, y - reach):y, x:x + w].any() or closed[y + h:y + h + reach, x:x + w].any():
            continue
        glyphs = grey[y:y + h, x:x + w][free[y:y + h, x:x + w] > 0]
        if not len(glyphs) or np.median(glyphs) > text_grey + faint * (paper_grey - text_grey):
            continue
        top, bottom = y + h / 2 - line / 2, y + h / 2 + line / 2
        band = slice(max(0, int(top + 0.2 * line)), max(0, int(bottom - 0.2 * line)))
        side = max(2, int(round(0.5 * line)))
        left, right = grey[band, max(0, x - side):max(0, x - 1)], grey[band, x + w + 1:x + w + side]
        if not left.size or not right.size:
            continue
        if abs(float(np.median(left)) - float(np.median(right))) > sides * max(1.0, paper_grey - text_grey):
            continue
        found.append((x - pad * line, top, x + w + pad * line, bottom))
    return clip_boxes(np.array(found, dtype=np.float64).reshape(-1, 4), width, height)
