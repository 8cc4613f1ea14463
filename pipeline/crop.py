"""Cutting line crops out of a page: a small margin around each box, and slightly rotated lines straightened."""

from __future__ import annotations

import cv2
import numpy as np

from yocr.core.geometry import CROP_MARGIN, crop, crop_window
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
    return straighten_with_transform(crop)[0]


def straighten_with_transform(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`straighten`, and the affine map (2 x 3) from the straightened crop's pixels back to ``crop``'s."""
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    angle = skew_angle(crop)
    if not MIN_SKEW <= abs(angle) <= MAX_SKEW:
        return crop, identity
    h, w = crop.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(crop, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(rot)
    grey = to_grey(turned)
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    rows = np.nonzero(ink.sum(axis=1) > ROW_INK_SHARE * 255 * w)[0]
    if len(rows) < 4:
        return turned, back
    pad = max(2, int(TRIM_PAD * (rows[-1] - rows[0])))
    top = max(0, rows[0] - pad)
    back[:, 2] += back[:, 1] * top  # rows were cut off above
    return turned[top : min(h, rows[-1] + pad + 1)], back


def line_crops(page: np.ndarray, boxes, margin: float = CROP_MARGIN, deskew: bool = True) -> list[np.ndarray]:
    """Each box's crop (:func:`yocr.core.geometry.crop`), straightened when ``deskew``."""
    return [c for c, _ in line_crops_with_transforms(page, boxes, margin, deskew)]


def line_crops_with_transforms(page: np.ndarray, boxes, margin: float = CROP_MARGIN,
                               deskew: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`line_crops`, each with the affine map (2 x 3) from its pixels to the page's (through the margin and
    the straightening), so that what is found in a crop (word boxes) can be placed on the page."""
    out = []
    for box in boxes:
        xa, ya, _, _ = crop_window(box, page.shape[1], page.shape[0], margin)
        piece = crop(page, box, margin)
        piece, matrix = straighten_with_transform(piece) if deskew else (piece, np.eye(2, 3))
        matrix = np.array(matrix, dtype=np.float64)
        matrix[:, 2] += (xa, ya)
        out.append((piece, matrix))
    return out
