"""Checks of line boxes against the page's ink: ends snapped to the text, boxes cut at wide blank runs, boxes over
blank patches dropped, and lone short segments the model left out boxed.

The ink is a 0/1 mask from an adaptive threshold (:func:`ink_mask`), without ruling lines and scanner specks. Rows here
follow the training targets' rule (:func:`yocr.data.rows.merge_rows`): a gap over 1.0 x the line height separates two
lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yocr.core.geometry import clip_boxes

INK_BLOCK = 31  # adaptive threshold window, pixels
INK_OFFSET = 15  # grey levels darker than the window mean that count as ink
MIN_RULE = 40  # shortest ruling line, pixels (longer on large pages: RULE_SHARE of the long side)
RULE_SHARE = 40
MIN_SPECK = 2  # smallest blob area that can be noise
MIN_LINE = 4  # pixels: boxes lower than this are not judged against the ink


def components(mask: np.ndarray):
    """OpenCV's 8-connected components with their stats, by the block-based BBDT algorithm: the same labels and stats
    as the default, about 3 x faster on one thread on a 2000 x 1414 receipt (7 ms against 19 ms)."""
    import cv2

    return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)


class RoughInk:
    """A page's ink before the specks are sorted out (:func:`rough_ink`), and its blobs (:func:`components`) once
    asked for: what :func:`ink_mask` starts from and :func:`glyph_height` measures, made once per page."""

    def __init__(self, ink: np.ndarray):
        self.ink = ink  # 0/1 uint8
        self._blobs: tuple[int, np.ndarray, np.ndarray] | None = None

    def blobs(self) -> tuple[int, np.ndarray, np.ndarray]:
        """``(count, labels, stats)`` of the ink's 8-connected blobs (label 0: the background)."""
        if self._blobs is None:
            count, labels, stats, _ = components(self.ink)
            self._blobs = (count, labels, stats)
        return self._blobs


def rough_ink(image_bgr: np.ndarray) -> RoughInk:
    """Dark-on-light ink of a page (adaptive threshold, so uneven light does not flood it) without its ruling lines
    (long horizontal and vertical runs: forms and tables), with its blobs."""
    import cv2

    grey = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    ink = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, INK_BLOCK,
                                INK_OFFSET)
    span = rule_span(ink.shape)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, span), np.uint8))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((span, 1), np.uint8))
    ink &= 1 - rules
    return RoughInk(ink)


def ink_mask(image_bgr: np.ndarray, speck: int = 0, rough: RoughInk | None = None) -> np.ndarray:
    """Dark-on-light ink of a page (:func:`rough_ink`, or ``rough`` where the caller has it), as a 0/1 uint8 array.

    Connected blobs of fewer than ``speck`` pixels (scanner noise, paper texture) are not ink unless they lie next to
    a larger blob (punctuation) or in a flat row of such blobs (a dot leader): on a noisy scan they otherwise sit close
    enough together to pull a line box out into the blank margin (see :func:`snap_to_ink`).
    """
    import cv2

    rough = rough if rough is not None else rough_ink(image_bgr)
    ink = rough.ink
    if speck > 1:
        count, labels, stats = rough.blobs()
        inked = ink.astype(bool)

        def blobs_touching(mask: np.ndarray) -> np.ndarray:  # labels with a pixel in mask (bincount: no sort)
            return np.bincount(labels[mask], minlength=count) > 0

        large = stats[:, cv2.CC_STAT_AREA] >= speck
        large[0] = False
        solid = np.take(large.astype(np.uint8), labels)
        # a small blob next to a glyph is punctuation (a full stop, the dot of an i): keep those within twice the
        # speck's side of a larger blob
        unit = int(np.ceil(np.sqrt(speck)))
        near = cv2.dilate(solid, np.ones((4 * unit + 1, 4 * unit + 1), np.uint8))
        keep = large | blobs_touching(near.astype(bool) & inked)
        # a flat row of small blobs, each within four speck sides of the next, is a dot leader ("Total ..... 9.90"),
        # not noise: keep rows at least twelve sides long and at most two high
        small = np.take((~keep).astype(np.uint8), labels) & ink
        rows = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((1, 4 * unit + 1), np.uint8))
        _, row_labels, row_stats, _ = components(rows)
        leader = (row_stats[:, cv2.CC_STAT_WIDTH] >= 12 * unit) & (row_stats[:, cv2.CC_STAT_HEIGHT] <= 2 * unit)
        leader[0] = False
        keep |= blobs_touching(np.take(leader, row_labels) & small.astype(bool))
        keep[0] = False
        ink = np.take(keep.astype(np.uint8), labels)
    return ink.copy() if ink is rough.ink else ink


def rule_span(shape: tuple[int, ...]) -> int:
    """Runs of ink at least this long (in pixels) count as ruling lines in :func:`rough_ink`, not as text."""
    return max(MIN_RULE, max(shape[:2]) // RULE_SHARE)


MIN_GLYPHS = 20  # fewer glyph-like blobs than this tell no height


def glyph_height(rough: RoughInk, scale: float = 1.0) -> float | None:
    """The median height (page pixels) of the glyph-like blobs of a page's ink, or None when it has too few of them.

    ``rough`` is the ink of the page shrunk by ``scale`` (the ink steps' copy: nothing new to compute). Glyph-like
    blobs are, in that copy's pixels, at least 4 pixels and at most a tenth of its height high, at most 3 x as wide as
    high, and fill at least 15 % of their box (not specks, frames or whole inked regions). On the validation receipts
    it gives 14-31 px (5th to 95th percentile), on the forms 9-11 px, on 300-dpi book scans 23-30 px."""
    import cv2

    count, _, stats = rough.blobs()
    stats = stats[1:count]
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    glyph = (h >= 4) & (h <= rough.ink.shape[0] / 10) & (w <= 3 * h) & (area >= 0.15 * w * h)
    if np.count_nonzero(glyph) < MIN_GLYPHS:
        return None
    return float(np.median(h[glyph])) / scale


def speck_size(line_heights: np.ndarray, fraction: float = 0.15) -> int:
    """Blob area (pixels) below which ink is noise: a square of ``fraction`` x the median line height, at least 2."""
    heights = np.asarray(line_heights, dtype=np.float64).reshape(-1)
    if not len(heights):
        return MIN_SPECK
    return max(MIN_SPECK, int(round((fraction * float(np.median(heights))) ** 2)))


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
        if h < MIN_LINE or x1 - x0 < 2:
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
    the box's score; the outer edges stay where they were, inner edges sit on the ink. A cut found in the middle band
    must also be a blank run wider than the rule over the box's full height (an L's foot or a 1's flag reaches into
    the gap between two words); the cuts go into such runs, so that no piece loses the ink of its glyphs, and ink
    between two of them (a mark low or high in the row) is a piece of its own, as it would be in the middle band.
    Returns ``(boxes, scores)``.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    out_boxes: list[tuple[float, float, float, float]] = []
    out_scores: list[float] = []
    if len(boxes) != len(scores):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores")
    for (x0, y0, x1, y1), score in zip(boxes, scores):
        h = y1 - y0
        cols = inked_columns(ink, y0, y1, x0, x1, band) if h >= MIN_LINE else np.zeros(0, np.int64)
        # blank columns between consecutive inked ones: np.diff - 1
        cuts = np.nonzero(np.diff(cols) - 1 > gap * h)[0] if len(cols) > 1 else []
        lefts, rights = [x0], []
        full = inked_columns(ink, y0, y1, x0, x1, 0.0) if len(cuts) else cols  # every row of the box
        for i in cuts:  # the blank run must hold over the box's full height too, and the pieces keep all their ink
            stops = np.concatenate([[cols[i]], full[(full > cols[i]) & (full < cols[i + 1])], [cols[i + 1]]])
            for k in np.nonzero(np.diff(stops) - 1 > gap * h)[0]:  # ink between two such runs is a piece of its own
                rights.append(float(stops[k] + 1))
                lefts.append(float(stops[k + 1]))
        rights.append(x1)
        if len(lefts) == 1:
            out_boxes.append((x0, y0, x1, y1))
            out_scores.append(score)
            continue
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


SCENE_OUTSIDE = 0.6  # a page with more of its ink than this outside its line boxes is a photo of a scene


def ink_outside(boxes: np.ndarray, ink: np.ndarray) -> float:
    """The share of the page's ink that lies outside every box (0 when there is no ink).

    On scans of documents nearly all ink is text, inside the line boxes (at most a third outside on forms, with
    their rulings removed); on photos of streets, cars and shop fronts the threshold inks everything with an edge,
    and 80-99 % of it lies outside the few text boxes. There the ink steps have nothing to go by.
    """
    total = int(ink.sum())
    if not total:
        return 0.0
    covered = np.zeros(ink.shape, np.uint8)
    for x0, y0, x1, y1 in np.round(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)).astype(int):
        covered[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = 1
    return 1.0 - int((ink & covered).sum()) / total


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


@dataclass(frozen=True)
class LoneRule:
    """When uncovered ink becomes a line box of its own (see :func:`lone_segments`); lengths are x the row's height."""

    gap: float = 1.0  # farther than this from any other ink of its row
    low: float = 0.55  # at least this tall ...
    high: float = 1.0  # ... and at most this tall
    max_width: float = 2.0  # at most this wide
    pad: float = 0.1  # the new box's margin left and right
    border: int = 3  # pixels: blobs this close to the page border are scanner edges and shadows
    faint: float = 0.5  # ink no lighter than this share of the way from the typical ink grey to the paper grey
    stack: float = 0.15  # no uncovered ink this far above or below it
    sides: float = 0.25  # greys left and right of it differ by at most this x the page's contrast
    join: float = 0.4  # glyphs closer than this x the median line height are one segment
    fill: float = 0.15  # its ink fills at least this share of its rectangle
    band: float = 0.2  # the top and bottom share of the row left out when comparing its sides
    side: float = 0.5  # width of the strip looked at on each side
    box_pad: int = 2  # pixels around existing boxes that do not count as uncovered


def lone_segments(boxes: np.ndarray, ink: np.ndarray, grey: np.ndarray, rule: LoneRule = LoneRule()) -> np.ndarray:
    """Boxes for short inked segments standing alone in a row that has line boxes, which the detector left out.

    The detector misses tiny lone segments more than anything else: a receipt's quantity "1" set apart from its row
    (a ":" is not recovered: its dots are too small). Under the row rule (:func:`yocr.data.rows.merge_rows`) such a
    segment is a line of its own when it is more than ``gap`` x the line height from any other ink of its row.
    Uncovered ink (``ink`` outside ``boxes``, its glyphs joined across gaps under ``join`` x the median line height)
    becomes a line box when it

    - lies in the row of a box (its centre between that box's top and bottom), more than ``gap`` x that box's height
      from it and from any other ink of the row;
    - is ``low``..``high`` x that box's height tall and at most ``max_width`` x as wide (boxes include some margin
      above and below the glyphs), and its ink (after joining the glyphs) fills at least ``fill`` of its rectangle;
    - does not touch the page border (scanner edges, shadows) and has no uncovered ink within ``stack`` x the height
      above or below it (vertical text, drawings);
    - is as dark as text: the median grey of its ink is no more than ``faint`` of the way from the page's typical
      ink grey to its paper grey (bleed-through, smudges and faded stamps are lighter);
    - has the same background on both sides: the median greys just left and right of it differ by at most
      ``sides`` x the page's paper-to-ink contrast (on a photo, the dark side of a page's edge against the table
      it lies on is 'ink' too).

    The new box is as tall as the row's box, centred on the segment (rows on a skewed page are not level), and as
    wide as the segment plus ``pad`` x the height on each side, clipped to the page. Nothing is added on pages where
    the threshold does not see the text (:func:`sees_text`). Returns the new boxes only, ``(n, 4)``.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if grey.shape != ink.shape:
        raise ValueError(f"grey image {grey.shape} and ink mask {ink.shape} differ in shape")
    heights = boxes[:, 3] - boxes[:, 1]
    if not len(boxes) or np.median(heights) < MIN_LINE or not sees_text(boxes, ink):
        return np.zeros((0, 4), np.float64)
    free, closed, candidates = _uncovered_segments(boxes, ink, heights, rule)
    text_grey, paper_grey = float(np.median(grey[ink > 0])), float(np.median(grey))
    found = []
    for x, y, w, h, _ in candidates:
        box = _lone_box(boxes, ink, grey, free, closed, (x, y, w, h), text_grey, paper_grey, rule)
        if box is not None:
            found.append(box)
    height, width = ink.shape
    return clip_boxes(np.array(found, dtype=np.float64).reshape(-1, 4), width, height)


def _uncovered_segments(boxes: np.ndarray, ink: np.ndarray, heights: np.ndarray, rule: LoneRule):
    """The ink outside every box (``free``), its glyphs joined (``closed``), and the joined blobs that some row
    could accept as ``(x, y, w, h, area)`` rows (pages can have thousands of blobs: the rest are dropped at once)."""
    import cv2

    height, width = ink.shape
    free = uncovered(boxes, ink, rule.box_pad)
    join = max(1, int(rule.join * np.median(heights)))
    closed = cv2.morphologyEx(free, cv2.MORPH_CLOSE, np.ones((1, join), np.uint8))
    count, _, stats, _ = components(closed)
    x, y, w, h, area = stats[1:count].T
    b = rule.border
    plausible = (x > b) & (y > b) & (x + w < width - b) & (y + h < height - b)
    plausible &= (area >= rule.fill * w * h) & (h >= rule.low * heights.min()) & (h <= rule.high * heights.max())
    plausible &= w <= rule.max_width * heights.max()
    return free, closed, stats[1:count][plausible]


def _lone_box(boxes, ink, grey, free, closed, blob, text_grey: float, paper_grey: float, rule: LoneRule):
    """The line box for one uncovered blob ``(x, y, w, h)``, or None when it fails a test of :func:`lone_segments`."""
    x, y, w, h = blob
    centre = y + h / 2
    row = np.nonzero((boxes[:, 1] < centre) & (centre < boxes[:, 3]))[0]
    if not len(row):
        return None
    distance = np.maximum.reduce([boxes[row, 0] - (x + w), x - boxes[row, 2], np.zeros(len(row))])
    x0, y0, x1, y1 = boxes[row[int(np.argmin(distance))]]
    line = y1 - y0
    if not (rule.low * line <= h <= rule.high * line) or w > rule.max_width * line or distance.min() <= rule.gap * line:
        return None
    if len(inked_columns(ink, y0, y1, x - rule.gap * line, x - 2)):
        return None
    if len(inked_columns(ink, y0, y1, x + w + 2, x + w + rule.gap * line)):
        return None
    reach = int(np.ceil(rule.stack * line))
    if closed[max(0, y - reach):y, x:x + w].any() or closed[y + h:y + h + reach, x:x + w].any():
        return None
    glyphs = grey[y:y + h, x:x + w][free[y:y + h, x:x + w] > 0]
    if not len(glyphs) or np.median(glyphs) > text_grey + rule.faint * (paper_grey - text_grey):
        return None
    top, bottom = y + h / 2 - line / 2, y + h / 2 + line / 2
    if not _same_background(grey, x, w, top, bottom, line, paper_grey - text_grey, rule):
        return None
    return (x - rule.pad * line, top, x + w + rule.pad * line, bottom)


def _same_background(grey, x, w, top, bottom, line, contrast: float, rule: LoneRule) -> bool:
    """Whether the strips just left and right of a segment have about the same grey (not a page edge on a photo)."""
    band = slice(max(0, int(top + rule.band * line)), max(0, int(bottom - rule.band * line)))
    side = max(2, int(round(rule.side * line)))
    left, right = grey[band, max(0, x - side):max(0, x - 1)], grey[band, x + w + 1:x + w + side]
    if not left.size or not right.size:
        return False
    return abs(float(np.median(left)) - float(np.median(right))) <= rule.sides * max(1.0, contrast)


@dataclass(frozen=True)
class LostRule:
    """When uncovered ink is a whole line the detector left out of a column of lines (see :func:`lost_lines`);
    lengths are x the page's median line-box height."""

    min_width: float = 4.0  # at least this wide (shorter pieces are :func:`lone_segments`' business)
    low: float = 0.45  # at least this tall ...
    high: float = 1.0  # ... and at most this tall: one line, not two
    fill: float = 0.3  # its ink, words joined, fills at least this share of its rectangle
    join: float = 1.0  # words closer than this are one line (the row rule of the training targets)
    reach: float = 1.0  # a line box within this distance above or below it ...
    overlap: float = 0.5  # ... spans at least this share of its width
    faint: float = 0.5  # as dark as text (as in :class:`LoneRule`)
    glyph: float = 0.3  # its blobs of ink are this tall in the median: glyphs, not a dashed rule or a halftone tint
    pad: float = 0.1  # the new box's margin left and right
    box_pad: int = 2  # pixels around existing boxes that do not count as uncovered


def lost_lines(boxes: np.ndarray, ink: np.ndarray, grey: np.ndarray, rule: LostRule = LostRule()) -> np.ndarray:
    """Boxes for whole lines of text that the detector left out between the lines it found.

    On dense pages the network now and then skips one line of a paragraph, or boxes only part of it. Uncovered ink
    (``ink`` outside ``boxes``, words joined across gaps under ``join`` x the median line height) becomes a line box
    when it is ``min_width`` x that height wide or more, ``low``..``high`` x as tall, fills ``fill`` of its rectangle,
    is as dark as text (as :func:`lone_segments` tests it), is made of glyphs (its blobs of ink are ``glyph`` x the
    height tall in the median, where a dashed rule's or a halftone tint's are specks), and a line box lies within
    ``reach`` x the height above or below it across ``overlap`` of its width: a line among lines of the same column,
    not a logo, a drawing or a signature standing apart. A line taken counts as a found line for the ink around it,
    so a paragraph the network skipped whole is taken line by line from the lines found above or below it. The new box is as tall as the median line box, centred on the ink, and as wide as the
    ink plus ``pad`` x the height on each side. Nothing is added where the threshold does not see the text
    (:func:`sees_text`). Returns the new boxes only, ``(n, 4)``.
    """
    import cv2

    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if grey.shape != ink.shape:
        raise ValueError(f"grey image {grey.shape} and ink mask {ink.shape} differ in shape")
    if not len(boxes) or np.median(boxes[:, 3] - boxes[:, 1]) < MIN_LINE or not sees_text(boxes, ink):
        return np.zeros((0, 4), np.float64)
    line = float(np.median(boxes[:, 3] - boxes[:, 1]))
    free = uncovered(boxes, ink, rule.box_pad)
    closed = cv2.morphologyEx(free, cv2.MORPH_CLOSE, np.ones((1, max(1, int(rule.join * line))), np.uint8))
    stats = _banded_blobs(closed, rule.fill * rule.min_width * line, int(rule.high * line))
    x, y, w, h, area = stats.T
    plausible = (w >= rule.min_width * line) & (h >= rule.low * line) & (h <= rule.high * line)
    plausible &= area >= rule.fill * w * h
    greys: list[float] = []  # the page's typical ink and paper greys, once a segment needs them
    pending, known, found = [tuple(int(v) for v in b[:4]) for b in stats[plausible]], boxes, []
    while pending:  # a line taken makes its neighbours lines among lines too: a whole skipped paragraph is found
        near = [b for b in pending if _among_lines(known, *b, line, rule)]
        if not near:
            break
        pending = [b for b in pending if b not in near]
        taken = [(x - rule.pad * line, y + h / 2 - line / 2, x + w + rule.pad * line, y + h / 2 + line / 2)
                 for x, y, w, h in near if _text_like(grey, ink, free, (x, y, w, h), line, greys, rule)]
        found += taken
        known = np.concatenate([known, np.array(taken, dtype=np.float64).reshape(-1, 4)])
    height, width = ink.shape
    return clip_boxes(np.array(found, dtype=np.float64).reshape(-1, 4), width, height)


def _text_like(grey: np.ndarray, ink: np.ndarray, free: np.ndarray, blob: tuple[int, int, int, int], line: float,
               greys: list[float], rule: LostRule) -> bool:
    """Whether uncovered ink ``(x, y, w, h)`` is as dark as text and made of glyphs (:func:`lost_lines`); ``greys``
    caches the page's ink and paper greys."""
    import cv2

    x, y, w, h = blob
    if not greys:
        greys += [float(np.median(grey[ink > 0])), float(np.median(grey))]
    glyphs = grey[y:y + h, x:x + w][free[y:y + h, x:x + w] > 0]
    if not len(glyphs) or np.median(glyphs) > greys[0] + rule.faint * (greys[1] - greys[0]):
        return False
    blobs = components(np.ascontiguousarray(free[y:y + h, x:x + w]))[2][1:, cv2.CC_STAT_HEIGHT]
    return bool(len(blobs)) and float(np.median(blobs)) >= rule.glyph * line


def _banded_blobs(mask: np.ndarray, least: float, tallest: int) -> np.ndarray:
    """``(x, y, w, h, area)`` of every blob of ``mask`` at most ``tallest`` rows high that crosses a row of the mask
    with ``least`` pixels or more, as :func:`components` over the whole mask finds them (and maybe other whole blobs
    near them), from the bands of rows around such rows only (a receipt has a few, a page of lines a dozen; the whole
    mask took 4 ms). A blob touching the edge of its band may go on beyond it and is left out: the blobs sought lie
    at least ``tallest`` rows inside."""
    heavy = np.count_nonzero(mask, axis=1) >= least
    if not heavy.any():
        return np.zeros((0, 5), np.int64)
    reach = 2 * tallest + 1
    near = np.convolve(heavy.astype(np.int32), np.ones(2 * reach + 1, np.int32))[reach:reach + len(heavy)] > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], near.astype(np.int8), [0]])))
    out = []
    for top, bottom in zip(edges[::2], edges[1::2]):
        count, _, stats, _ = components(np.ascontiguousarray(mask[top:bottom]))
        stats = stats[1:count].astype(np.int64)
        inside = ((stats[:, 1] > 0) | (top == 0)) & ((stats[:, 1] + stats[:, 3] < bottom - top) | (bottom == len(mask)))
        stats[:, 1] += top
        out.append(stats[inside])
    return np.concatenate(out)


def uncovered(boxes: np.ndarray, ink: np.ndarray, pad: int) -> np.ndarray:
    """The ink outside every box (each grown by ``pad`` pixels)."""
    free = ink.copy()
    for x0, y0, x1, y1 in np.round(boxes).astype(int):
        free[max(0, y0 - pad):max(0, y1 + pad + 1), max(0, x0 - pad):max(0, x1 + pad + 1)] = 0
    return free


def _among_lines(boxes: np.ndarray, x: int, y: int, w: int, h: int, line: float, rule: LostRule) -> bool:
    """Whether a line box lies just above or below the ink ``(x, y, w, h)``, across most of its width."""
    gap = np.maximum(boxes[:, 1] - (y + h), y - boxes[:, 3])
    shared = np.minimum(boxes[:, 2], x + w) - np.maximum(boxes[:, 0], x)
    return bool(np.any((gap <= rule.reach * line) & (shared >= rule.overlap * w)))
