"""Line image pre-processing shared by training and reading: grey, polarity, contrast, fixed height, padding."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    import torch

#: The width of the input covered by one output step of the CRNN (its convolutions halve the width twice); batches
#: are padded to a multiple of it.
WIDTH_STRIDE = 4

#: Widest normalised line the recognizer reads (longer lines are squeezed to it). Training crops are capped at
#: ``TrainConfig.max_width`` (1024) instead, to bound batch memory; reading keeps long receipt and form lines legible.
READ_MAX_WIDTH = 1600


def to_grey(image: np.ndarray) -> np.ndarray:
    """A uint8 ``H x W`` grey image from grey, BGR or BGRA uint8 input (or 16-bit, scaled down)."""
    if image.dtype == np.uint16:
        image = (image / 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3:
        if image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
        elif image.shape[2] == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        else:
            image = image[:, :, 0]
    return image


def percentiles(image: np.ndarray, qs) -> np.ndarray:
    """``np.percentile(image, qs)`` of a uint8 image (its default, linear method), the same float64 values from the
    image's histogram: 4 x faster on a line crop, where the sort was a tenth of the cutting and reading time."""
    cum = np.cumsum(np.bincount(image.ravel(), minlength=256))
    n = int(cum[-1])
    virtual = np.asarray(qs, dtype=np.float64) / 100 * (n - 1)
    below = np.floor(virtual)
    gamma = virtual - below
    a = np.searchsorted(cum, below, side="right").astype(np.float64)  # the sorted pixels' values at those ranks
    b = np.searchsorted(cum, np.minimum(below + 1, n - 1), side="right").astype(np.float64)
    return np.where(gamma >= 0.5, b - (b - a) * (1 - gamma), a + (b - a) * gamma)  # numpy's own interpolation


def normalise(grey: np.ndarray, height: int, max_width: int) -> np.ndarray:
    """Float32 ``height x W`` in [0, 1] with dark ink on light paper, the aspect ratio kept (W <= max_width).

    Light-on-dark lines are inverted (the border pixels tell the paper), and the contrast is stretched between the
    1st and 99th percentiles so faint print and grey paper look like the training data.
    """
    h, w = grey.shape[:2]
    if h < 2 or w < 2:
        grey = np.full((2, 2), 255, np.uint8) if grey.size == 0 else cv2.resize(grey, (max(w, 2), max(h, 2)))
        h, w = grey.shape
    new_w = int(round(w * height / h))
    new_w = int(np.clip(new_w, 8, max_width))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    small = cv2.resize(grey, (new_w, height), interpolation=interp)
    img = small.astype(np.float32)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    lo, hi = percentiles(small, (1, 99)) if small.dtype == np.uint8 else np.percentile(img, (1, 99))
    if np.median(border) < (lo + hi) / 2:
        img = 255.0 - img
        lo, hi = 255.0 - hi, 255.0 - lo
    if hi - lo < 8:
        hi = lo + 8
    return np.clip((img - lo) / (hi - lo), 0.0, 1.0)


def stack(images: list[np.ndarray], pad_to_multiple: int = WIDTH_STRIDE) -> np.ndarray:
    """Normalised lines as one float32 array ``[B, 1, H, W_max]``, padded on the right with paper (1.0)."""
    height = images[0].shape[0]
    width = max(im.shape[1] for im in images)
    width = -(-width // pad_to_multiple) * pad_to_multiple
    out = np.ones((len(images), 1, height, width), dtype=np.float32)
    for i, im in enumerate(images):
        out[i, 0, :, : im.shape[1]] = im
    return out


def batch(images: list[np.ndarray], pad_to_multiple: int = WIDTH_STRIDE) -> "torch.Tensor":
    """:func:`stack` as a torch tensor (training)."""
    import torch

    return torch.from_numpy(stack(images, pad_to_multiple))
