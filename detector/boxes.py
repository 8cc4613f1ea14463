"""Line-box geometry of the detector's output, in plain numpy: duplicates merged, tiles and their borders.

YOLO's NMS keeps boxes that overlap little in IoU terms but are the same printed line: a whole line and a piece of
it, or two halves of a line cut by a tile border. :func:`merge_line_boxes` joins boxes of the same row (the row rule
of :mod:`yocr.core.geometry`, but with ``DUPLICATE_OVERLAP``: nearly the same height band) that overlap horizontally by
more than ``min_overlap`` x the narrower width; boxes flagged as cut by a tile border join any same-row box they touch
or overlap. The lines of a photographed, curled or slanted page have tall axis-aligned boxes that overlap their
neighbours above and below by half their height or more: they stay apart (except where ``--tile`` cut one of them
at a seam: a cut box still joins any box of its row, so a tiled slanted page can lose lines). The checks against the page's ink are in
:mod:`yocr.detector.ink`.
"""

from __future__ import annotations

import numpy as np

from yocr.core.geometry import ROW_OVERLAP, Box, same_row_matrix
from yocr.core.results import Detection

TILE_OVERLAP = 0.2  # share of a tile that overlaps its neighbour
TILE_BORDER = 2.0  # pixels: a box this close to an inner tile border may be cut by it
# two boxes overlapping horizontally are one line only when their vertical overlap exceeds this share of the smaller
# height: 0.5 joined the stacked lines of slanted pages (book photos: line recall 0.545 -> 0.812 with 0.9)
DUPLICATE_OVERLAP = 0.9


def from_arrays(boxes: np.ndarray, scores: np.ndarray) -> list[Detection]:
    """The detector's output objects from ``boxes`` [N, 4] and ``scores`` [N]."""
    return [Detection(Box.of(b), float(s)) for b, s in zip(boxes, scores)]


def _horizontal_overlaps(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Width shared by every pair of boxes (negative when apart), and the narrower width of each pair."""
    x0, x1 = boxes[:, 0], boxes[:, 2]
    w = x1 - x0
    hz = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    return hz, np.minimum(w[:, None], w[None, :])


def merge_line_boxes(
    boxes: np.ndarray,
    scores: np.ndarray,
    *,
    row_overlap: float = ROW_OVERLAP,
    min_overlap: float = 0.5,
    duplicate_overlap: float = DUPLICATE_OVERLAP,
    cut: np.ndarray | None = None,
    max_rounds: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    """Merge boxes that are the same line; returns ``(boxes [M, 4], scores [M])`` with ``M <= N``.

    Two boxes are the same line when they share a height band (vertical overlap > ``duplicate_overlap`` x the
    smaller height) and overlap horizontally by more than ``min_overlap`` x the narrower width; when either is
    flagged in ``cut`` (a box touching an inner tile border) sharing a row (``row_overlap``) and any horizontal
    contact are enough. Groups are joined transitively into
    their union box with the highest score, and the process repeats until nothing changes.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    cut = np.zeros(len(boxes), bool) if cut is None else np.asarray(cut, bool).reshape(-1)
    for _ in range(max_rounds):
        n = len(boxes)
        if n < 2:
            break
        hz, min_w = _horizontal_overlaps(boxes)
        either_cut = cut[:, None] | cut[None, :]
        needed = np.where(either_cut, -1.0, min_overlap * min_w)
        rows = np.where(either_cut, same_row_matrix(boxes, row_overlap), same_row_matrix(boxes, duplicate_overlap))
        same = rows & (hz > needed)
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


def tiles(width: int, height: int, size: int, overlap: float = TILE_OVERLAP) -> list[tuple[int, int, int, int]]:
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
    boxes: np.ndarray, tile: tuple[int, int, int, int], width: int, height: int, margin: float = TILE_BORDER
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
