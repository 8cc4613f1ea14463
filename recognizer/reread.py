"""Unsure lines read again in other framings, and the reading the framings agree on kept.

A CRNN's reading of a crop turns on where the crop's edges fall and how wide its glyphs come out at the network's
input height: a street word cut a little loose, or a narrow font squeezed, is read wrong with confidence. A line
read with confidence under a threshold is read again framed three other ways (:data:`LOOKS`: trimmed tighter,
stretched, squeezed); each reading votes for its text with its confidence, and the text with the most votes wins.
Its confidence is the votes it got over the number of readings, so framings that disagree make a line less sure
(the old confidence was over-confident exactly there). Measured on the validation crops (README, recognizer card).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import cv2
import numpy as np

from yocr.core.results import Reading, Word

MIN_SIDE = 12  # crops with a side this short or shorter are not trimmed
# only crops of a few words are read again: on long lines of documents the squeezed framing loses word spaces and the
# trims cut off end characters, and their word F1 fell (README)
MAX_ASPECT = 8.0


@dataclass(frozen=True)
class Look:
    """One framing of a crop: ``trim_x`` and ``trim_y`` of its height cut off each side and the top and bottom, then
    its width scaled by ``stretch``."""

    trim_x: float = 0.0
    trim_y: float = 0.0
    stretch: float = 1.0

    def frame(self, image: np.ndarray) -> "Framed | None":
        """``image`` framed this way (None where a trim would leave too little, or where the framing would be the
        image itself)."""
        h, w = image.shape[:2]
        dx, dy = int(h * self.trim_x), int(h * self.trim_y)
        if (self.trim_x or self.trim_y) and (min(h, w) <= MIN_SIDE or w - 2 * dx < MIN_SIDE or h - 2 * dy < 2):
            return None
        if not (dx or dy) and self.stretch == 1.0:
            return None
        crop = image[dy : h - dy, dx : w - dx]
        if self.stretch != 1.0:
            new_w = max(2, int(round(crop.shape[1] * self.stretch)))
            interp = cv2.INTER_LINEAR if self.stretch > 1 else cv2.INTER_AREA
            crop = cv2.resize(crop, (new_w, crop.shape[0]), interpolation=interp)
        return Framed(crop, float(dx), float(dy), crop.shape[1] / max(1, w - 2 * dx))


@dataclass(frozen=True)
class Framed:
    """A framed crop and how its pixels map back: ``x = x0 + x' / sx``, ``y = y0 + y'``."""

    image: np.ndarray
    x0: float
    y0: float
    sx: float

    def unframe(self, reading: Reading) -> Reading:
        """``reading`` of this framing with its word boxes in the pixels of the original crop."""
        if not reading.words:
            return reading
        words = tuple(replace(w, box=(self.x0 + w.box.x0 / self.sx, self.y0 + w.box.y0,
                                      self.x0 + w.box.x1 / self.sx, self.y0 + w.box.y1)) for w in reading.words)
        return replace(reading, words=words)


# the framings an unsure line is read in besides its own: trimmed (1/12 of its height off each side),
# stretched 1.3 x and squeezed 0.8 x
LOOKS = (Look(trim_x=1 / 12, trim_y=1 / 12), Look(stretch=1.3), Look(stretch=0.8))


def vote(readings: Sequence[Reading]) -> tuple[int, float]:
    """The index of the winning reading (``readings[0]`` when it has the most-voted text; else the surest of those
    that have it) and the winner's share of the votes: its confidences' sum over the readings' number. Blank
    readings vote only when all are blank: a blank scores high, and would otherwise erase a line's text."""
    votes: dict[str, float] = defaultdict(float)
    texts = any(r.text.strip() for r in readings)
    for r in readings:
        if r.text.strip() or not texts:
            votes[r.text] += r.confidence
    text = max(votes, key=votes.__getitem__)  # ties: the first text voted for, the original reading's
    share = votes[text] / len(readings)
    same = [i for i, r in enumerate(readings) if r.text == text]
    best = 0 if same[0] == 0 else max(same, key=lambda i: readings[i].confidence)
    return best, float(min(1.0, share))


def reread(images: Sequence[np.ndarray], readings: list[Reading], read: Callable[[list[np.ndarray]], list[Reading]],
           below: float | Sequence[float], looks: Sequence[Look] = LOOKS) -> list[Reading]:
    """``readings`` of ``images`` with each one surer less than ``below`` (one threshold, or one per image) replaced
    by the vote of it and its readings in ``looks`` (all read in one call of ``read``)."""
    belows = [float(below)] * len(images) if np.isscalar(below) else [float(b) for b in below]  # type: ignore[arg-type]
    framed: list[tuple[int, Framed]] = []
    for i, reading in enumerate(readings):
        h, w = images[i].shape[:2]
        if reading.confidence < belows[i] and w <= MAX_ASPECT * h:
            framed += [(i, look_i) for look_i in (look.frame(images[i]) for look in looks) if look_i is not None]
    if not framed:
        return readings
    again: dict[int, list[Reading]] = defaultdict(list)
    for (i, look_i), reading in zip(framed, read([look_i.image for _, look_i in framed])):
        again[i].append(look_i.unframe(reading))
    out = list(readings)
    for i, more in again.items():
        candidates = [readings[i], *more]
        best, share = vote(candidates)
        out[i] = _with_confidence(candidates[best], share)
    return out


def _with_confidence(reading: Reading, confidence: float) -> Reading:
    """``reading`` with its confidence (and its words', which cannot be surer than their line) set to at most
    ``confidence``."""
    words = tuple(Word(w.text, w.box, min(w.confidence, confidence)) for w in reading.words)
    return replace(reading, confidence=confidence, words=words)
