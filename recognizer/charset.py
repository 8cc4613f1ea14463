"""The character set: index <-> character tables, CTC blank, label encoding and greedy CTC decoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from yocr.core.alphabet import EXTENDED, PRINTABLE_ASCII
from yocr.errors import LabelError


# How much the chance of a left-out character lowers a reading's confidence (:meth:`Charset.ctc_greedy`). Measured on
# the validation crops with the v6 weights (calibration error, 0.75 against none; README): street words 0.062 ->
# 0.045, FUNSD words 0.051 -> 0.034, SROIE lines 0.027 -> 0.017, plates 0.058 -> 0.037, scene words 0.032 both.
MISSED_WEIGHT = 0.75


def missed_risk(probs: np.ndarray, best: np.ndarray, blank: int) -> float:
    """The largest, over the steps a greedy CTC reading left blank, of the probability left to characters other
    than the blank and the characters read on either side: the chance that the reading left a character out.

    At a blank step, the blank and the characters read on either side (a character spreads over several steps) are
    the reading; what probability is left is a character it does not have. 0 when no step, or every step, is blank.
    """
    steps = np.arange(len(best))
    gaps = best == blank
    if not gaps.any() or gaps.all():
        return 0.0
    read = np.flatnonzero(~gaps)
    before = read[np.clip(np.searchsorted(read, steps, side="right") - 1, 0, None)]  # nearest read step before ...
    after = read[np.clip(np.searchsorted(read, steps), None, len(read) - 1)]  # ... and after (clamped at the ends)
    left, right = best[before], best[after]
    taken = probs[steps, blank] + np.where(before < steps, probs[steps, left], 0.0)
    taken = taken + np.where((after > steps) & ~((before < steps) & (right == left)), probs[steps, right], 0.0)
    return float(np.clip(1.0 - taken[gaps], 0.0, 1.0).max())


@dataclass(frozen=True)
class Charset:
    """An ordered alphabet. Index 0 is the CTC blank; character ``i`` of :attr:`chars` has index ``i + 1``."""

    chars: str
    blank: int = 0
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.chars:
            raise LabelError("a charset needs at least one character")
        duplicates = sorted({c for c in self.chars if self.chars.count(c) > 1})
        if duplicates:
            raise LabelError(f"charset has duplicate characters: {''.join(duplicates)!r}")
        if any(c in "\n\r\t\f\v" for c in self.chars):
            raise LabelError("charset may not contain line breaks or tabs")
        object.__setattr__(self, "_index", {c: i + 1 for i, c in enumerate(self.chars)})

    @classmethod
    def default(cls) -> "Charset":
        return cls(PRINTABLE_ASCII)

    @classmethod
    def extended(cls) -> "Charset":
        """Printable ASCII plus typographic punctuation, currency and other symbols, and accented Latin letters."""
        return cls(EXTENDED)

    @classmethod
    def from_labels(cls, labels: Iterable[str]) -> "Charset":
        """The sorted set of characters that occur in ``labels``."""
        seen = set()
        for label in labels:
            seen.update(label)
        seen -= set("\n\r\t\f\v")
        return cls("".join(sorted(seen)))

    @property
    def num_classes(self) -> int:
        """Number of model outputs: the characters plus the blank."""
        return len(self.chars) + 1

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self._index

    def unknown(self, text: str) -> str:
        """The characters of ``text`` that are not in the charset, in order of first appearance."""
        return "".join(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str) -> list[int]:
        """Indices of the characters of ``text``; raises :class:`LabelError` naming any unknown characters."""
        missing = self.unknown(text)
        if missing:
            raise LabelError(f"characters not in the charset: {missing!r} (in {text!r})")
        return [self._index[c] for c in text]

    def decode_indices(self, indices: Iterable[int]) -> str:
        """Characters for raw indices (no CTC collapsing); the blank is skipped."""
        return "".join(self.chars[i - 1] for i in indices if i != self.blank)

    def ctc_greedy(self, probs: np.ndarray) -> tuple[str, float]:
        """Greedy CTC decoding of one sequence of per-step probabilities ``[T, C]``.

        Takes the best class at each step, collapses repeats, removes blanks. The confidence is the probability of
        the least sure character (each character scored at its best step): a line is only right when every character
        is, and on the shipped model's validation crops this minimum tracks the share of exactly-right lines (the
        geometric mean of the characters' probabilities was over-confident: 0.93 for lines 65 % right). It is at
        most one minus :data:`MISSED_WEIGHT` times the largest chance that a character was left out
        (:func:`missed_risk`): lines read with every character sure but one dropped (a word's final full stop or
        comma at the crop's edge) were the over-confident ones. An empty reading gets the mean blank probability.
        Always in [0, 1].
        """
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[1] != self.num_classes:
            raise ValueError(f"expected probabilities of shape [T, {self.num_classes}], got {probs.shape}")
        if probs.shape[0] == 0:
            return "", 0.0
        best = probs.argmax(axis=1)
        best_p = probs[np.arange(len(best)), best]
        keep = best != self.blank
        keep[1:] &= best[1:] != best[:-1]
        text = "".join(self.chars[i - 1] for i in best[keep])
        # A character spread over several steps: use its best step's probability.
        char_scores = []
        for i in np.flatnonzero(keep):
            j = i
            p = best_p[i]
            while j + 1 < len(best) and best[j + 1] == best[i]:
                j += 1
                p = max(p, best_p[j])
            char_scores.append(p)
        if not char_scores:
            return "", float(np.clip(best_p.mean(), 0.0, 1.0))
        conf = min(min(char_scores), 1.0 - MISSED_WEIGHT * missed_risk(probs, best, self.blank))
        return text, float(np.clip(conf, 0.0, 1.0))

    def ctc_steps(self, probs: np.ndarray) -> list[tuple[int, int, float]]:
        """Where :meth:`ctc_greedy` read each character of its text: ``(first step, last step, probability)`` per
        character (the run of steps that emitted it, and its best step's probability), for word boxes."""
        probs = np.asarray(probs)
        if len(probs) == 0:
            return []
        best = probs.argmax(axis=1)
        best_p = probs[np.arange(len(best)), best].astype(np.float64)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(best)) + 1])  # runs of one class
        ends = np.concatenate([starts[1:] - 1, [len(best) - 1]])
        peaks = np.maximum.reduceat(best_p, starts).clip(0.0, 1.0)
        keep = best[starts] != self.blank
        return [(int(a), int(b), float(p)) for a, b, p in zip(starts[keep], ends[keep], peaks[keep])]

    def restrict_mask(self, allow: str) -> np.ndarray:
        """A boolean mask over classes keeping the blank and the characters of ``allow``."""
        missing = "".join(c for c in dict.fromkeys(allow) if c not in self._index)
        if missing:
            raise LabelError(f"--allow has characters the model cannot output: {missing!r}")
        mask = np.zeros(self.num_classes, dtype=bool)
        mask[self.blank] = True
        for c in allow:
            mask[self._index[c]] = True
        return mask

    def case_fold_groups(self) -> tuple[np.ndarray, np.ndarray, "Charset"]:
        """Map every class to a case-folded class, for a loss that is blind to letter case.

        Returns ``(first, second, folded)``: folded class ``k`` is the sum of classes ``first[k]`` and
        ``second[k]`` (``second[k] == -1`` where only one class folds onto it); ``folded`` is the folded charset.
        """
        folded_chars = "".join(dict.fromkeys(c.upper() if c.upper() in self._index else c for c in self.chars))
        folded = Charset(folded_chars)
        first = np.full(folded.num_classes, -1, dtype=np.int64)
        second = np.full(folded.num_classes, -1, dtype=np.int64)
        first[0] = self.blank
        for c, i in self._index.items():
            k = folded._index[c.upper() if c.upper() in self._index else c]
            if first[k] < 0:
                first[k] = i
            else:
                second[k] = i
        return first, second, folded

    def to_text(self) -> str:
        return self.chars

