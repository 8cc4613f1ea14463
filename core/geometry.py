"""Boxes in page pixels: one :class:`Box` type, the one same-row rule, IoU, and the one crop-with-margin.

A box is ``(x0, y0, x1, y1)`` with ``x0 < x1`` and ``y0 < y1``, in pixels of the page it lies on. :class:`Box` is a
named tuple, so plain 4-tuples and boxes mix freely (``x0, y0, x1, y1 = box`` works on both).
"""

from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

import numpy as np

ROW_OVERLAP = 0.5  # two boxes share a row when their vertical overlap exceeds this share of the smaller height
CROP_MARGIN = 0.15  # a line crop is its box grown by this share of the box height on every side
QUAD_MARGIN = 0.12  # a quadrilateral's crop grows by this share of its height on every side (street words)
EMPTY_CROP = 8  # side of the blank (white) crop returned for a box that lies outside the image

BoxLike = Sequence[float]  # a Box or any (x0, y0, x1, y1) sequence


class Box(NamedTuple):
    """An axis-aligned box ``(x0, y0, x1, y1)`` in page pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def of(cls, box: BoxLike) -> "Box":
        """``box`` (any 4-sequence) as a :class:`Box` of floats."""
        x0, y0, x1, y1 = box
        return cls(float(x0), float(y0), float(x1), float(y1))

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre_y(self) -> float:
        return (self.y0 + self.y1) / 2

    def clip(self, width: float, height: float) -> "Box":
        """The box inside a ``width`` x ``height`` page."""
        return Box(min(max(self.x0, 0.0), width), min(max(self.y0, 0.0), height),
                   min(max(self.x1, 0.0), width), min(max(self.y1, 0.0), height))

    def scaled(self, factor: float) -> "Box":
        """The box in a page ``factor`` times larger."""
        return Box(self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor)

    def shifted(self, dx: float, dy: float) -> "Box":
        """The box moved by ``(dx, dy)``."""
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def rounded(self, digits: int = 1) -> list[float]:
        """The coordinates rounded for JSON."""
        return [round(float(v), digits) for v in self]


def union(boxes: Iterable[BoxLike]) -> Box:
    """The smallest box holding all ``boxes`` (at least one)."""
    boxes = list(boxes)
    if not boxes:
        raise ValueError("union needs at least one box")
    return Box(float(min(b[0] for b in boxes)), float(min(b[1] for b in boxes)),
               float(max(b[2] for b in boxes)), float(max(b[3] for b in boxes)))


def vertical_overlap(a: BoxLike, b: BoxLike) -> float:
    """Height shared by two boxes (negative when they are apart vertically)."""
    return float(min(a[3], b[3]) - max(a[1], b[1]))


def same_row(a: BoxLike, b: BoxLike, min_overlap: float = ROW_OVERLAP) -> bool:
    """The row rule: two boxes share a row when their vertical overlap exceeds ``min_overlap`` x the smaller height."""
    return vertical_overlap(a, b) > min_overlap * min(a[3] - a[1], b[3] - b[1])


def same_row_matrix(boxes: np.ndarray, min_overlap: float = ROW_OVERLAP) -> np.ndarray:
    """:func:`same_row` for every pair of ``boxes`` [N, 4] at once: a boolean [N, N] (the diagonal included)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    overlap = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    h = b[:, 3] - b[:, 1]
    return overlap > min_overlap * np.minimum(h[:, None], h[None, :])


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` [N, 4] with every box of ``b`` [M, 4]."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = iw.clip(0) * ih.clip(0)
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    union_area = area_a[:, None] + area_b[None, :] - inter
    return np.where(union_area > 0, inter / np.where(union_area > 0, union_area, 1), 0.0)


def iou(a: BoxLike, b: BoxLike) -> float:
    return float(iou_matrix(np.asarray([a]), np.asarray([b]))[0, 0])


def clip_boxes(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Boxes [N, 4] clipped to a ``width`` x ``height`` page (a copy)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).copy()
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, width)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, height)
    return b


def crop_window(box: BoxLike, width: int, height: int, margin: float = CROP_MARGIN) -> tuple[int, int, int, int]:
    """The pixel window ``(xa, ya, xb, yb)`` of :func:`crop`: ``box`` grown by ``margin`` x its height (at least one
    pixel's worth) on every side, outward to whole pixels, clipped to the image; empty when it lies outside."""
    x0, y0, x1, y1 = box
    m = margin * max(1.0, y1 - y0)
    xa, ya = max(0, int(np.floor(x0 - m))), max(0, int(np.floor(y0 - m)))
    xb, yb = min(width, int(np.ceil(x1 + m))), min(height, int(np.ceil(y1 + m)))
    return xa, ya, xb, yb


def crop(image: np.ndarray, box: BoxLike, margin: float = CROP_MARGIN) -> np.ndarray:
    """The one line crop, used by training crops, inference and the benchmarks alike (a view into ``image``).

    A box outside the image gives a blank white ``EMPTY_CROP`` square (with the image's channels).
    """
    h, w = image.shape[:2]
    xa, ya, xb, yb = crop_window(box, w, h, margin)
    if xb <= xa or yb <= ya:
        return np.full((EMPTY_CROP, EMPTY_CROP) + image.shape[2:], 255, np.uint8)
    return image[ya:yb, xa:xb]


def order_quad(points) -> np.ndarray:
    """A quadrilateral's 4 corners (any order; a rotated box's) clockwise from the text's top-left, taking its longer
    side as the direction of reading, left to right: the corner order :func:`rectify_quad` expects."""
    p = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = p.mean(axis=0)
    edges = np.roll(p, -1, axis=0) - p
    along = edges[int(np.argmax(np.linalg.norm(edges, axis=1)))]
    along = along / max(float(np.linalg.norm(along)), 1e-9)
    if along[0] < 0 or (along[0] == 0 and along[1] > 0):
        along = -along
    down = np.array([-along[1], along[0]])  # image y points down: the reading direction turned clockwise
    a, b = (p - centre) @ along, (p - centre) @ down
    corners = [int(np.argmin(np.where((a < 0) == left, np.where((b < 0) == top, 0.0, 1.0), 2.0)
                               + 1e-6 * np.abs(a)))
               for left, top in ((True, True), (False, True), (False, False), (True, False))]
    if len(set(corners)) < 4:  # a degenerate quad: by angle around the centre, starting top-left
        order = np.argsort(np.arctan2(b, a))
        start = int(np.argmin(a + b))
        order = np.roll(order, -int(np.flatnonzero(order == start)[0]))
        return p[order]
    return p[corners]


def rectify_quad(image: np.ndarray, points, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The quadrilateral ``points`` (clockwise from the text's top-left) warped to an upright rectangle, grown by
    ``margin`` x its height on every side (taking in the image around it, as a detector's crop does), and the affine
    map (2 x 3) that best takes the crop's pixels back to the image's (exact for a rectangle or a parallelogram)."""
    import cv2

    p = np.asarray(points, dtype=np.float32).reshape(4, 2)
    top, bottom = np.linalg.norm(p[1] - p[0]), np.linalg.norm(p[2] - p[3])
    left, right = np.linalg.norm(p[3] - p[0]), np.linalg.norm(p[2] - p[1])
    w, h = max(top, bottom, 1.0), max(left, right, 1.0)
    m = margin * h
    dst = np.array([[m, m], [m + w, m], [m + w, m + h], [m, m + h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(p, dst)
    size = (int(round(w + 2 * m)), int(round(h + 2 * m)))
    crop = cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back, _ = cv2.estimateAffine2D(dst, p, method=cv2.LMEDS) if len(p) == 4 else (None, None)
    if back is None:
        back = cv2.getAffineTransform(dst[:3], p[:3])
    return crop, back.astype(np.float64)
