"""Cutting line crops out of a page: a small margin around each box, and slightly rotated lines straightened."""

from __future__ import annotations

import cv2
import numpy as np

from yocr.core.geometry import CROP_MARGIN, crop
from yocr.recognizer.preprocess import to_grey

MAX_SKEW = 8.0  # degrees; steeper "lines" are left alone (vertical text, stamps, noise)
MIN_SKEW = 0.7  # below this a rotation costs more sharpness than it gains
MIN_INK_PIXELS = 30  # fewer ink pixels than this give no reliable angle
MAX_INK_SHARE = 0.6  # nor does a crop more than this share ink (a dark photo)
ROW_INK_SHARE = 0.02  # a row of the straightened crop holds text when this share of it is ink
TRIM_PAD = 0.15  # rows kept above and below the ink, as a share of the ink's height


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


def straighten(crop: np.ndarray) -> np.ndarray:
    """The crop rotated so its text runs horizontally, then trimmed to the rows that hold ink (when skewed)."""
    angle = skew_angle(crop)
    if not MIN_SKEW <= abs(angle) <= MAX_SKEW:
        return crop
    h, w = crop.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(crop, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    grey = to_grey(turned)
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    rows = np.nonzero(ink.sum(axis=1) > ROW_INK_SHARE * 255 * w)[0]
    if len(rows) < 4:
        return turned
    pad = max(2, int(TRIM_PAD * (rows[-1] - rows[0])))
    return turned[max(0, rows[0] - pad) : min(h, rows[-1] + pad + 1)]


def line_crops(page: np.ndarray, boxes, margin: float = CROP_MARGIN, deskew: bool = True) -> list[np.ndarray]:
    """Each box's crop (:func:`yocr.core.geometry.crop`), straightened when ``deskew``."""
    crops = [crop(page, box, margin) for box in boxes]
    return [straighten(c) for c in crops] if deskew else crops
