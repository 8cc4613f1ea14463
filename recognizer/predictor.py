"""The recognizer as a predictor: pre-processing -> CRNN -> greedy CTC decoding, in width-sorted batches.

The network runs on ONNX Runtime when ``crnn.onnx`` (written by ``yocr export``) sits beside the weights and matches
them, on PyTorch otherwise (``runtime`` chooses); torch is imported only for the PyTorch path.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yocr import runtime as runtimes
from yocr.recognizer import checkpoint
from yocr.recognizer.charset import Charset
from yocr.recognizer.reread import reread
from yocr.recognizer.preprocess import READ_MAX_WIDTH, normalise, stack, to_grey
from yocr.core.results import Reading
from yocr.recognizer.words import with_words

if TYPE_CHECKING:
    import torch


def pick_device(device: str = "auto") -> "torch.device":
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float32)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def decode_probs(probs: np.ndarray, charset: Charset, mask: np.ndarray | None = None) -> list[Reading]:
    """Greedy CTC readings of probabilities ``[B, T, C]``; ``mask`` keeps only some classes (renormalised)."""
    if mask is not None:
        probs = probs * mask
        probs /= probs.sum(axis=-1, keepdims=True).clip(1e-12)
    return [Reading(*charset.ctc_greedy(p)) for p in probs]


def decode_batch(logits: "torch.Tensor | np.ndarray", charset: Charset, mask: np.ndarray | None = None) -> list[Reading]:
    """Greedy CTC readings of logits ``[B, T, C]`` (a torch tensor or an array)."""
    if not isinstance(logits, np.ndarray):
        logits = logits.detach().float().cpu().numpy()
    return decode_probs(softmax(logits), charset, mask)


# Horizontal bands (top, bottom as fractions of the height) that ``Recognizer.read(..., bands=True)`` also tries on
# images that are not line-shaped, and the shape and size that make an image one.
READ_BANDS = ((0.1, 0.9), (0.2, 0.8), (0.25, 0.75), (0.1, 0.8))
BAND_MAX_ASPECT = 4.0
BAND_MIN_HEIGHT = 24
# with the reread on, every reading of such an image (whole and bands) is read again and voted on, whatever its
# confidence: the surest of its readings is then chosen among vote shares, not among raw confidences, which put a
# confidently wrong band of a word first (scene words read in bands 0.889 -> 0.916, plates 0.636 -> 0.659; README)
BAND_REREAD_BELOW = 1.0


def shift_words(reading: Reading, dy: float) -> Reading:
    """``reading`` with its word boxes moved down by ``dy`` pixels (a band's offset in its image)."""
    if not dy or not reading.words:
        return reading
    return replace(reading, words=tuple(replace(w, box=w.box.shifted(0.0, dy)) for w in reading.words))


class Recognizer:
    """Reads single-line images. Load once, call :meth:`read` with any number of images."""

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "auto",
        batch_size: int = 64,
        allow: str | None = None,
        max_width: int = READ_MAX_WIDTH,
        runtime: str = "auto",
        words: bool = True,
        reread_below: float = 0.0,
    ):
        path = Path(weights) if weights else checkpoint.default_weights()
        opened = runtimes.open_onnx(path, runtime) if runtimes.on_cpu(device) else None
        # runtime auto, on a CPU with VNNI: the int8 copy beside the weights (yocr export writes it), when current
        int8 = runtimes.open_int8(path, remake="yocr export") if opened is not None and runtime == "auto" else None
        self.int8 = int8 is not None
        if opened is not None:
            from yocr.recognizer.onnx_crnn import OnnxCRNN

            self.net = OnnxCRNN(*(int8 or opened), source=str(runtimes.int8_beside(path) if int8 else path))
            self.model, self.charset, self.meta, self.device = None, self.net.charset, self.net.meta, "cpu"
            self._height = self.net.height
        else:
            self.net = None
            self.model, self.charset, self.meta = checkpoint.load(path)
            self.device = pick_device(device)
            self.model.to(self.device)
            runtimes.torch_threads()  # torch may load only now, after the run divided the CPUs among its workers
            self._height = self.model.config.height
        self.batch_size = batch_size
        self.words = words  # word boxes in each reading (False: the text and its confidence only)
        self.max_width = max_width
        self.mask = self.charset.restrict_mask(allow) if allow else None
        # lines read surer than this are kept; the others are read again in other framings (recognizer/reread.py)
        self.reread_below = reread_below

    @property
    def height(self) -> int:
        return self._height

    @property
    def runtime(self) -> str:
        """What runs the network: ``onnx-int8``, ``onnx`` or ``torch``."""
        return ("onnx-int8" if self.int8 else "onnx") if self.net is not None else "torch"

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        return normalise(to_grey(image), self.height, self.max_width)

    def logits(self, lines: list[np.ndarray]) -> np.ndarray:
        """The network's logits ``[B, T, C]`` for normalised lines (one batch)."""
        x = stack(lines)
        if self.net is not None:
            return self.net(x)
        import torch

        with torch.inference_mode():
            return self.model(torch.from_numpy(x).to(self.device)).float().cpu().numpy()

    def read(self, images: list[np.ndarray], bands: bool = False, again: bool = True) -> list[Reading]:
        """One :class:`Reading` per image (uint8 grey or BGR arrays), in input order.

        ``bands`` also reads horizontal bands (:data:`READ_BANDS`) of each image that is not line-shaped (narrower
        than :data:`BAND_MAX_ASPECT` times its height: a whole plate, a sign, a label) and keeps the most confident
        reading: the network sees lines 32 px high, and in a whole plate the number is only the middle half of it.
        Word boxes stay in the image's pixels. With ``again``, images read less surely than ``reread_below`` are
        read again in other framings (:meth:`reread`); with bands too, every reading of a boxy image is
        (:data:`BAND_REREAD_BELOW`).
        """
        if not bands:
            return self._read(images) if again else self._read_once(images)
        crops, origin, belows = [], [], []
        for i, image in enumerate(images):
            height, width = image.shape[:2]
            boxy = width < BAND_MAX_ASPECT * height and height >= BAND_MIN_HEIGHT
            crops.append(image)
            origin.append((i, 0))
            for top, bottom in READ_BANDS if boxy else ():
                y0 = int(top * height)
                crops.append(image[y0 : int(bottom * height)])
                origin.append((i, y0))
            belows += [BAND_REREAD_BELOW if boxy else self.reread_below] * (len(crops) - len(belows))
        readings = self._read_once(crops)
        if again and self.reread_below > 0:
            readings = reread(crops, readings, self._read_once, belows)
        best: list[tuple[int, Reading] | None] = [None] * len(images)
        for (i, y0), reading in zip(origin, readings):
            # the surest reading, but never an empty one over text: blanks everywhere score high
            if best[i] is None or (bool(reading.text.strip()), reading.confidence) > (
                    bool(best[i][1].text.strip()), best[i][1].confidence):  # type: ignore[index]
                best[i] = (y0, reading)
        return [shift_words(reading, y0) for y0, reading in best]  # type: ignore[misc]

    def reread(self, images: list[np.ndarray], readings: list[Reading]) -> list[Reading]:
        """``readings`` of ``images``, those less sure than ``reread_below`` read again in other framings and
        replaced by the reading they agree on (:mod:`yocr.recognizer.reread`)."""
        return reread(images, readings, self._read_once, self.reread_below) if self.reread_below > 0 else readings

    def _read(self, images: list[np.ndarray]) -> list[Reading]:
        return self.reread(images, self._read_once(images))

    def _read_once(self, images: list[np.ndarray]) -> list[Reading]:
        if not images:
            return []
        lines = [self.preprocess(im) for im in images]
        out: list[Reading | None] = [None] * len(lines)
        for idx in width_buckets([ln.shape[1] for ln in lines], self.batch_size):
            probs = softmax(self.logits([lines[i] for i in idx]))
            for k, (i, reading) in enumerate(zip(idx, decode_probs(probs, self.charset, self.mask))):
                out[i] = with_words(reading, probs[k], self.charset, lines[i], images[i], self.mask) if self.words \
                    else reading
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
