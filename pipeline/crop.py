"""Cutting line crops out of a page: a small margin around each box, and slightly rotated lines straightened.

A slanted line's axis-aligned box also holds pieces of the lines above and below it, all the more on a photographed
page whose lines are packed (their boxes overlap). Such a crop is turned by the angle at which the ink's row profile
is sharpest (the angle of all the lines in it, not the principal axis of the ink, which the neighbours' pieces pull
towards the box's diagonal) and cut between the lines to the band that holds the box's centre: the line the box
was found for. A box that holds several whole slanted lines is first split into one box per line
(:func:`split_stacked`). On 30 synthetic photographed book pages these took yocr's word F1 from 0.33 to 0.73;
receipts and forms (whose boxes seldom overlap) keep their readings or gain (forms 0.778 to 0.800).

Known limit: :func:`split_stacked` finds lines at rows with under 2 % ink, the crowded cut at valleys between line
cores; where blurred, tightly set lines never fall under 2 %, a box holding several of them is not split and its
crop keeps only its middle line. Splitting at the cores too was measured and read worse (book pages 0.708 against
0.721, forms 0.785 against 0.800).
"""

from __future__ import annotations

import cv2
import numpy as np

from yocr.core.geometry import CROP_MARGIN, QUAD_MARGIN, Box, crop, crop_window, iou_matrix, rectify_quad
from yocr.core.results import Detection, Detections
from yocr.recognizer.preprocess import percentiles, to_grey

MAX_SKEW = 8.0  # degrees; steeper "lines" are left alone (vertical text, stamps, noise)
MIN_SKEW = 0.7  # below this a rotation costs more sharpness than it gains
MIN_INK_PIXELS = 30  # fewer ink pixels than this give no reliable angle
MAX_INK_SHARE = 0.6  # nor does a crop more than this share ink (a dark photo)
ROW_INK_SHARE = 0.02  # a row of the straightened crop holds text when this share of it is ink
FAINT_INK_SHARE = 0.003  # rows beside the band with this share of ink (descenders, accents) join it ...
FAINT_REACH = 0.4  # ... up to this share of the band's height on each side
TRIM_PAD = 0.08  # rows kept above and below the band, as a share of its height
CORE_SHARE = 0.3  # a line's core rows hold this share of the 90th percentile of a crop's row ink, or more
JOIN_GAP = 0.35  # cores closer than this share of their height belong to one line
PACKED_OVERLAP = 0.1  # a box whose height overlaps another box by more than this share is packed among lines
ANGLE_STEP, ANGLE_FINE = 0.5, 0.1  # degrees: the coarse search over +-MAX_SKEW, then +-ANGLE_STEP around the best
ANGLE_POINTS = 2000  # ink pixels the angle search looks at (an even sample of them)
SPLIT_DUPLICATE_IOU = 0.5  # a line split out of a box that overlaps a kept box this much is that box's line
STACKED_SHARE = 0.5  # a band with this share of the heaviest band's ink is a whole line of its own


def skew_angle(crop: np.ndarray) -> float:
    """The angle (degrees, image coordinates) of the text in a line crop, from the principal axis of its ink."""
    grey = to_grey(crop)
    if grey.shape[0] < 8 or grey.shape[1] < 3 * grey.shape[0] // 2:
        return 0.0
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    if len(xs) < MIN_INK_PIXELS or len(xs) > MAX_INK_SHARE * ink.size:
        return 0.0
    xs = xs - xs.mean()
    ys = ys - ys.mean()
    cov = np.array([[np.mean(xs * xs), np.mean(xs * ys)], [np.mean(xs * ys), np.mean(ys * ys)]])
    vals, vecs = np.linalg.eigh(cov)
    vx, vy = vecs[:, np.argmax(vals)]
    if vx < 0:
        vx, vy = -vx, -vy
    return float(np.degrees(np.arctan2(vy, vx)))


def _ink(grey: np.ndarray) -> np.ndarray:
    """Ink pixels (255) of a crop, uneven light (a shadow across a photographed page) divided out first: each pixel
    over the paper around it (a max filter, after turning light-on-dark text dark), then Otsu's threshold."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    lo, hi = percentiles(grey, (1, 99))
    if np.median(border) < (lo + hi) / 2:
        grey = 255 - grey
    k = int(np.clip(grey.shape[0] // 6, 5, 31)) | 1
    paper = cv2.dilate(grey, np.ones((k, k), np.uint8)).astype(np.float32)
    level = np.clip(grey.astype(np.float32) * 255.0 / np.maximum(paper, 1.0), 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(level, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def _sharpest(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> float:
    """The angle (degrees) among ``angles`` at which the ink points' row profile is sharpest (sum of squares)."""
    t = np.radians(angles)[:, None]
    proj = ys[None, :] * np.cos(t) - xs[None, :] * np.sin(t)
    lo = proj.min()
    bins = int(proj.max() - lo) + 2
    idx = (proj - lo).astype(np.int64) + (np.arange(len(angles)) * bins)[:, None]
    hist = np.bincount(idx.ravel(), minlength=bins * len(angles)).reshape(len(angles), bins).astype(np.float64)
    return float(angles[int(np.argmax((hist * hist).sum(axis=1)))])


def _turn(crop: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """``crop`` warped by ``rot``, the corners it uncovers filled with its paper colour (not its edge rows
    smeared outwards: those are pieces of the neighbouring lines)."""
    sample = crop[::4, ::4]  # every 16th pixel tells the paper as well, 15 x faster on a long line
    channels = [sample[:, :, c] for c in range(sample.shape[2])] if sample.ndim == 3 else [sample]
    level = percentiles if sample.dtype == np.uint8 else np.percentile  # the histogram needs 8-bit pixels
    value = tuple(float(level(c, (90,))[0]) for c in channels)
    return cv2.warpAffine(crop, rot, (crop.shape[1], crop.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=value if len(value) > 1 else value[0])


def text_angle(crop: np.ndarray) -> float:
    """The angle (degrees, as :func:`skew_angle`) of the text lines in a crop, pieces of neighbours included: the
    angle, within +-``MAX_SKEW``, at which the rows of ink are sharpest."""
    ink = _ink(to_grey(crop))
    ys, xs = np.nonzero(ink)
    if len(xs) < MIN_INK_PIXELS or len(xs) > MAX_INK_SHARE * ink.size:
        return 0.0
    step = max(1, len(xs) // ANGLE_POINTS)
    xs, ys = xs[::step] - xs.mean(), ys[::step] - ys.mean()
    coarse = _sharpest(xs, ys, np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, ANGLE_STEP))
    fine = np.arange(coarse - ANGLE_STEP, coarse + ANGLE_STEP + 1e-9, ANGLE_FINE)
    return _sharpest(xs, ys, fine[np.abs(fine) <= MAX_SKEW + 1e-9])


def packed(boxes) -> np.ndarray:
    """For each box, whether its height overlaps a box beside it (sharing some width) by more than
    ``PACKED_OVERLAP`` of its own height: the boxes of slanted, closely set lines do."""
    b = np.asarray([list(x) for x in boxes], dtype=np.float64).reshape(-1, 4)
    if len(b) < 2:
        return np.zeros(len(b), bool)
    height = np.maximum(b[:, 3] - b[:, 1], 1e-6)
    ox = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    oy = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    share = np.where((ox > 0) & (oy > 0), oy / height[:, None], 0.0)
    np.fill_diagonal(share, 0.0)
    return share.max(axis=1) > PACKED_OVERLAP


class Look:
    """What the line cutting learns of one crop, each computed once when first asked for: the principal-axis skew,
    the text angle, and the crop turned by that angle with its ink. :func:`split_stacked` and the crops cut after it
    look at the same boxes' crops; :class:`Looks` hands both the same ``Look`` (on receipts a third of the cutting
    time was spent twice)."""

    def __init__(self, piece: np.ndarray):
        self.piece = piece
        self._skew: float | None = None
        self._angle: float | None = None
        self._turned: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def skew(self) -> float:
        if self._skew is None:
            self._skew = skew_angle(self.piece)
        return self._skew

    def angle(self) -> float:
        if self._angle is None:
            self._angle = text_angle(self.piece)
        return self._angle

    def turned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rotation (2 x 3) by :meth:`angle` about the centre, the crop turned by it, and its ink."""
        if self._turned is None:
            h, w = self.piece.shape[:2]
            rot = cv2.getRotationMatrix2D((w / 2, h / 2), self.angle(), 1.0)
            turned = _turn(self.piece, rot)
            self._turned = rot, turned, _ink(to_grey(turned))
        return self._turned


class Looks:
    """One page's :class:`Look` per box and margin (the crop is the same: the page's pixels in the same window).
    The key holds no page: use one ``Looks`` per page, as :meth:`yocr.pipeline.reader.Reader.read_page` does."""

    def __init__(self) -> None:
        self._seen: dict[tuple[float, ...], Look] = {}

    def of(self, page: np.ndarray, box, margin: float) -> Look:
        key = (*(float(v) for v in box), float(margin))
        if key not in self._seen:
            self._seen[key] = Look(crop(page, box, margin))
        return self._seen[key]


def straighten(crop: np.ndarray, crowded: bool = False) -> np.ndarray:
    """The crop turned so its text runs horizontally and cut down to its line (when skewed or ``crowded``)."""
    return straighten_with_transform(crop, crowded)[0]


def straighten_with_transform(crop: np.ndarray | Look, crowded: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`straighten`, and the affine map (2 x 3) from the straightened crop's pixels back to ``crop``'s
    (a crop, or its :class:`Look`).

    A crop is left alone unless its ink leans by ``MIN_SKEW`` to ``MAX_SKEW`` degrees or it is ``crowded`` (its box
    is :func:`packed` among others). Then it is turned by :func:`text_angle` (when that is at least ``MIN_SKEW``)
    and cut: a crowded crop to the band between line cores that holds its middle row (:func:`_bands`), another to
    the run of ink rows with the most ink, widened through faint rows (descenders, accents)."""
    look = crop if isinstance(crop, Look) else Look(crop)
    crop = look.piece
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    h, w = crop.shape[:2]
    if h < 8 or w < 3 * h // 2 or not (crowded or MIN_SKEW <= abs(look.skew()) <= MAX_SKEW):
        return crop, identity
    if abs(look.angle()) >= MIN_SKEW:
        rot, crop, ink = look.turned()
        back = cv2.invertAffineTransform(rot)
    else:
        back, ink = identity, _ink(to_grey(crop))
    profile = ink.sum(axis=1) / 255.0
    if crowded:  # pieces of neighbours above and below: cut between the lines
        bands = _bands(profile, w)
        band = _own_band(bands, h) if bands else None
    else:
        band = _main_band(profile, w)
    if band is None:
        return crop, back
    top, bottom = band
    back = np.array(back, dtype=np.float64)
    back[:, 2] += back[:, 1] * top  # rows were cut off above
    return crop[top:bottom], back


def _main_band(profile: np.ndarray, width: int) -> tuple[int, int] | None:
    """Rows ``[top, bottom)`` of the run of ink rows with the most ink, widened through faint rows and padded."""
    on = profile > ROW_INK_SHARE * width
    if on.sum() < 4:
        return None
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    r0, r1 = max(zip(edges[::2], edges[1::2]), key=lambda r: profile[r[0] : r[1]].sum())
    r1 -= 1
    reach = int(FAINT_REACH * (r1 - r0)) + 1
    faint = profile > FAINT_INK_SHARE * width
    low, high = max(0, r0 - reach), min(len(profile) - 1, r1 + reach)
    while r1 < high and faint[r1 + 1]:
        r1 += 1
    while r0 > low and faint[r0 - 1]:
        r0 -= 1
    pad = max(2, int(TRIM_PAD * (r1 - r0)))
    return max(0, r0 - pad), min(len(profile), r1 + pad + 1)


def _own_band(bands: list[tuple[int, int, float, int]], height: int) -> tuple[int, int]:
    """The band holding the crop's middle row (the box's own line: the crop is cut and turned about the box's
    centre), or the band nearest to it."""
    middle = height / 2
    top, bottom, _, _ = min(bands, key=lambda b: 0.0 if b[0] <= middle < b[1] else min(abs(b[0] - middle), abs(b[1] - middle)))
    return top, bottom


def _bands(profile: np.ndarray, width: int) -> list[tuple[int, int, float, int]]:
    """The lines of a level crop from its row profile of ink: ``(top, bottom, ink, core height)`` each, top to bottom.

    A line's core is a run of rows with much ink (over ``ROW_INK_SHARE`` of the width and over ``CORE_SHARE`` of the
    profile's 90th percentile, so that the faint rows between photographed lines do not join them; runs closer than
    ``JOIN_GAP`` of their height are one line, as the bars of capitals are). Between two lines the band ends at the
    row with the least ink; the first and last bands reach through faint rows (descenders, accents) up to
    ``FAINT_REACH`` of their core's height, padded by ``TRIM_PAD``."""
    on = profile > max(ROW_INK_SHARE * width, CORE_SHARE * np.percentile(profile, 90))
    if on.sum() < 4:
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    runs: list[list[int]] = []
    for a, b in zip(edges[::2], edges[1::2]):
        if runs and a - runs[-1][1] < JOIN_GAP * max(b - a, runs[-1][1] - runs[-1][0]):
            runs[-1][1] = int(b)
        else:
            runs.append([int(a), int(b)])
    cuts = [a + int(np.argmin(profile[a:b])) for (_, a), (b, _) in zip(runs[:-1], runs[1:])]
    faint = profile > FAINT_INK_SHARE * width
    bands = []
    for k, (a, b) in enumerate(runs):
        top, bottom = (cuts[k - 1] if k else None), (cuts[k] + 1 if k < len(cuts) else None)
        reach = int(FAINT_REACH * (b - a)) + 1
        if top is None:
            top = a
            while top > max(0, a - reach) and faint[top - 1]:
                top -= 1
            top = max(0, top - max(2, int(TRIM_PAD * (b - a))))
        if bottom is None:
            bottom = b
            while bottom < min(len(profile), b + reach) and faint[bottom]:
                bottom += 1
            bottom = min(len(profile), bottom + max(2, int(TRIM_PAD * (b - a))))
        bands.append((top, bottom, float(profile[a:b].sum()), b - a))
    return bands


def split_stacked(page: np.ndarray, found: Detections, margin: float = CROP_MARGIN,
                  looks: Looks | None = None) -> Detections:
    """``found`` with each box that holds several whole lines (slanted lines that the detector boxed together, as
    on a photographed page) replaced by one box per line, same score; other boxes as they are.

    Only boxes that are skewed or :func:`packed` are looked at: turned by :func:`text_angle`, their row profile
    shows one band of ink rows per line (rows over ``ROW_INK_SHARE`` of the width), and a box is split when at least
    two bands carry ``STACKED_SHARE`` of the heaviest band's ink and half its height (a neighbour's corner or a ruled
    line carries less). Each new box is the page box around its band's ink, turned back. ``looks`` keeps what was
    learnt of each crop for the crops cut afterwards (:func:`line_crops_with_transforms`)."""
    looks = looks if looks is not None else Looks()
    crowded = packed([d.box for d in found])
    kept, parts = [], []
    for d, busy in zip(found, crowded):
        pieces = [] if d.quad is not None else _stacked_parts(page, d.box, bool(busy), margin, looks)
        parts.extend(Detection(b, d.score) for b in pieces) if pieces else kept.append(d)
    if not parts:
        return found
    for d in parts:  # a line split out of one box may be another box's line already
        if not kept or iou_matrix([d.box], [k.box for k in kept]).max() <= SPLIT_DUPLICATE_IOU:
            kept.append(d)
    return Detections(kept, scene=found.scene)


def _stacked_parts(page: np.ndarray, box, crowded: bool, margin: float, looks: Looks) -> list[Box]:
    look = looks.of(page, box, margin)
    h, w = look.piece.shape[:2]
    if h < 16 or w < 3 * h // 2 or not (crowded or MIN_SKEW <= abs(look.skew()) <= MAX_SKEW):
        return []
    rot, _, ink = look.turned()
    profile = ink.sum(axis=1) / 255.0
    on = profile > ROW_INK_SHARE * w
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2]))
    if len(runs) < 2:
        return []
    mass = np.array([profile[a:b].sum() for a, b in runs])
    heaviest = runs[int(np.argmax(mass))]
    lines = [(a, b) for (a, b), m in zip(runs, mass)
             if m >= STACKED_SHARE * mass.max() and b - a >= (heaviest[1] - heaviest[0]) / 2]
    if len(lines) < 2:
        return []
    back = cv2.invertAffineTransform(rot)
    xa, ya, _, _ = crop_window(box, page.shape[1], page.shape[0], margin)
    out = []
    for a, b in lines:
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        corners = np.array([[cols[0], a], [cols[-1] + 1, a], [cols[-1] + 1, b], [cols[0], b]], np.float64)
        moved = corners @ back[:, :2].T + back[:, 2] + (xa, ya)
        x0, y0 = moved.min(axis=0)
        x1, y1 = moved.max(axis=0)
        out.append(Box(max(0.0, x0), max(0.0, y0), min(float(page.shape[1]), x1), min(float(page.shape[0]), y1)))
    return out


def line_crops(page: np.ndarray, boxes, margin: float = CROP_MARGIN, deskew: bool = True) -> list[np.ndarray]:
    """Each box's crop (:func:`yocr.core.geometry.crop`), straightened when ``deskew``."""
    return [c for c, _ in line_crops_with_transforms(page, boxes, margin, deskew)]


def line_crops_with_transforms(page: np.ndarray, boxes, margin: float = CROP_MARGIN, deskew: bool = True,
                               looks: Looks | None = None, quads=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`line_crops`, each with the affine map (2 x 3) from its pixels to the page's (through the margin and
    the straightening), so that what is found in a crop (word boxes) can be placed on the page. ``boxes`` are all
    the boxes of the page: whether a box is :func:`packed` depends on the others. ``looks``: what
    :func:`split_stacked` learnt of the same crops. ``quads``: for each box, an oriented detector's quadrilateral
    or None; a line with one is cut along it and warped to horizontal (:func:`~yocr.core.geometry.rectify_quad`,
    ``QUAD_MARGIN``: as the street words the recognizer trained on were cut)."""
    out = []
    boxes = list(boxes)
    crowded = packed(boxes)
    looks = looks if looks is not None else Looks()
    quads = list(quads) if quads is not None else [None] * len(boxes)
    for box, busy, quad in zip(boxes, crowded, quads):
        if quad is not None:
            out.append(rectify_quad(page, quad, QUAD_MARGIN))
            continue
        xa, ya, _, _ = crop_window(box, page.shape[1], page.shape[0], margin)
        look = looks.of(page, box, margin)
        piece, matrix = straighten_with_transform(look, bool(busy)) if deskew else (look.piece, np.eye(2, 3))
        matrix = np.array(matrix, dtype=np.float64)
        matrix[:, 2] += (xa, ya)
        out.append((piece, matrix))
    return out
