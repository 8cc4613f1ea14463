"""Cutting line crops out of a page: a small margin around each box, and slightly rotated lines straightened."""

from __future__ import annotations

import cv2
import numpy as np

from yocr.recognizer.preprocess import to_grey

MAX_SKEW = 8.0  # degrees; steeper "lines" are left alone (vertical text, stamps, noise)
MIN_SKEW = 0.7  # below this a rotation costs more sharpness than it gains


def crop_box(page: np.ndarray, box: tuple[float, float, float, float], margin: float = 0.15) -> np.ndarray:
    """``box`` grown by ``margin`` times its height on every side, clipped to the page (as in training crops)."""
    h, w = page.shape[:2]
    x0, y0, x1, y1 = box
    m = margin * max(1.0, y1 - y0)
    xa, ya = max(0, int(np.floor(x0 - m))), max(0, int(np.floor(y0 - m)))
    xb, yb = min(w, int(np.ceil(x1 + m))), min(h, int(np.ceil(y1 + m)))
    if xb <= xa or yb <= ya:
        return np.full((8, 8, 3), 255, np.uint8)
    return page[ya:yb, xa:xb]


def skew_angle(crop: np.ndarray) -> float:
    """The angle (degrees, image coordinates) of the text in a line crop, from the principal axis of its ink."""
    grey = to_grey(crop)
    if grey.shape[0] < 8 or grey.shape[1] < 3 * grey.shape[0] // 2:
        return 0.0
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    if len(xs) < 30 or len(xs) > 0.6 * ink.size:
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
    rows = np.nonzero(ink.sum(axis=1) > 0.02 * 255 * w)[0]
    if len(rows) < 4:
        return turned
    pad = max(2, int(0.15 * (rows[-1] - rows[0])))
    return turned[max(0, rows[0] - pad) : min(h, rows[-1] + pad + 1)]


def line_crops(page: np.ndarray, boxes, margin: float = 0.15, deskew: bool = True) -> list[np.ndarray]:
    crops = [crop_box(page, box, margin) for box in boxes]
    return [straighten(c) for c in crops] if deskew else crops
