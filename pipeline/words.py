"""Word boxes on the page: each crop's words mapped back through the crop's geometry, joined per output line.

A recognizer gives word boxes in the pixels of the crop it read (:mod:`yocr.recognizer.words` for the CRNN,
Tesseract's own boxes for the fallback); the crop was cut from the page with a margin and maybe straightened, and
:func:`yocr.pipeline.crop.line_crops_with_transforms` records that as an affine map from crop to page pixels. A word's
page box is the bounding box of its mapped corners, clipped to its detected cell.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from yocr.core.results import Word


def to_page(words: Sequence[Word], matrix: np.ndarray, cell: Sequence[float]) -> tuple[Word, ...]:
    """``words`` (boxes in crop pixels) in page pixels through ``matrix`` (2 x 3, crop -> page), inside ``cell``."""
    cx0, cy0, cx1, cy1 = (float(v) for v in cell)
    out = []
    for w in words:
        x0, y0, x1, y1 = w.box
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ np.asarray(matrix, float).T
        xa, ya = corners.min(axis=0)
        xb, yb = corners.max(axis=0)
        xa, xb = min(max(xa, cx0), cx1), min(max(xb, cx0), cx1)
        ya, yb = min(max(ya, cy0), cy1), min(max(yb, cy0), cy1)
        if xb - xa < 1:  # read in the margin, outside the cell: a sliver at the nearer end
            xa, xb = (cx0, min(cx1, cx0 + 1)) if xa <= cx0 else (max(cx0, cx1 - 1), cx1)
        if yb - ya < 1:
            ya, yb = cy0, cy1
        out.append(replace(w, box=(xa, ya, xb, yb)))
    return tuple(out)


def after_cleaning(words: Sequence[Word], text: str) -> tuple[Word, ...]:
    """The words of a line whose text cleaning turned into ``text``: the same boxes where the words are unchanged or
    as many (their new texts), none where cleaning merged or split words (writers then share the line box out)."""
    tokens = text.split()
    if [w.text for w in words] == tokens:
        return tuple(words)
    if len(words) == len(tokens):
        return tuple(replace(w, text=t) for w, t in zip(words, tokens))
    return ()
