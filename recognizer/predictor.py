"""The recognizer as a predictor: pre-processing -> CRNN -> greedy CTC decoding, in width-sorted batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from yocr.recognizer import checkpoint
from yocr.recognizer.charset import Charset
from yocr.recognizer.model import CRNN
from yocr.recognizer.preprocess import batch, normalise, to_grey
from yocr.core.results import Reading


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def decode_batch(logits: torch.Tensor, charset: Charset, mask: np.ndarray | None = None) -> list[Reading]:
    """Greedy CTC readings of logits ``[B, T, C]``; ``mask`` keeps only some classes (renormalised)."""
    probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    if mask is not None:
        probs = probs * mask
        probs /= probs.sum(axis=-1, keepdims=True).clip(1e-12)
    return [Reading(*charset.ctc_greedy(p)) for p in probs]


class Recognizer:
    """Reads single-line images. Load once, call :meth:`read` with any number of images."""

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "auto",
        batch_size: int = 64,
        allow: str | None = None,
        max_width: int = 1600,
    ):
        self.model, self.charset, self.meta = checkpoint.load(weights)
        self.device = pick_device(device)
        self.model.to(self.device)
        self.batch_size = batch_size
        self.max_width = max_width
        self.mask = self.charset.restrict_mask(allow) if allow else None

    @classmethod
    def from_model(cls, model: CRNN, charset: Charset, device: str = "cpu", batch_size: int = 64) -> "Recognizer":
        self = cls.__new__(cls)
        self.model, self.charset, self.meta = model.eval(), charset, {}
        self.device = pick_device(device)
        self.batch_size, self.max_width, self.mask = batch_size, 1600, None
        return self

    @property
    def height(self) -> int:
        return self.model.config.height

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        return normalise(to_grey(image), self.height, self.max_width)

    @torch.inference_mode()
    def read(self, images: list[np.ndarray]) -> list[Reading]:
        """One :class:`Reading` per image (uint8 grey or BGR arrays), in input order."""
        if not images:
            return []
        lines = [self.preprocess(im) for im in images]
        out: list[Reading | None] = [None] * len(lines)
        for idx in width_buckets([ln.shape[1] for ln in lines], self.batch_size):
            x = batch([lines[i] for i in idx]).to(self.device)
            for i, reading in zip(idx, decode_batch(self.model(x), self.charset, self.mask)):
                out[i] = reading
        return out  # type: ignore[return-value]


def width_buckets(widths: list[int], batch_size: int, ratio: float = 1.5, slack: int = 16) -> list[list[int]]:
    """Indices grouped into batches of similar width (sorted; the widest at most ``ratio`` x the narrowest + slack),
    so little time goes into the padding of short lines batched with long ones."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i in np.argsort(widths, kind="stable"):
        if current and (len(current) >= batch_size or widths[i] > ratio * widths[current[0]] + slack):
            groups.append(current)
            current = []
        current.append(int(i))
    if current:
        groups.append(current)
    return groups
