"""Text metrics: character and word error rates (edit distances from rapidfuzz), word precision/recall/F1."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from rapidfuzz.distance import Levenshtein


def fold(text: str, case_sensitive: bool = True) -> str:
    return text if case_sensitive else text.casefold()


def normalize(text: str, case_sensitive: bool = True, ignore: str = "", alnum_only: bool = False) -> str:
    """``text`` as it is scored: case folded unless ``case_sensitive``, the characters of ``ignore`` dropped, and with
    ``alnum_only`` every character that is neither a letter, a digit nor white space dropped ("12.50" -> "1250")."""
    text = fold(text, case_sensitive)
    if ignore:
        text = text.translate({ord(c): None for c in fold(ignore, case_sensitive)})
    if alnum_only:
        text = "".join(c for c in text if c.isalnum() or c.isspace())
    return text


def cer(predictions: Iterable[str], truths: Iterable[str], case_sensitive: bool = True) -> float:
    """Total character edits over total truth characters (0 when both are empty)."""
    edits = chars = 0
    for p, t in zip(predictions, truths, strict=True):
        p, t = fold(p, case_sensitive), fold(t, case_sensitive)
        edits += Levenshtein.distance(p, t)
        chars += len(t)
    return edits / chars if chars else float(edits > 0)


def wer(predictions: Iterable[str], truths: Iterable[str], case_sensitive: bool = True) -> float:
    """Total word edits over total truth words."""
    edits = words = 0
    for p, t in zip(predictions, truths, strict=True):
        pw, tw = fold(p, case_sensitive).split(), fold(t, case_sensitive).split()
        edits += Levenshtein.distance(pw, tw)
        words += len(tw)
    return edits / words if words else float(edits > 0)


def exact_matches(predictions: Iterable[str], truths: Iterable[str], case_sensitive: bool = True) -> list[bool]:
    """Whether each prediction equals its truth (letter case folded unless ``case_sensitive``)."""
    return [fold(p, case_sensitive) == fold(t, case_sensitive) for p, t in zip(predictions, truths, strict=True)]


def exact_accuracy(predictions: Iterable[str], truths: Iterable[str], case_sensitive: bool = True) -> float:
    matches = exact_matches(predictions, truths, case_sensitive)
    return ratio(sum(matches), len(matches))


def ratio(part: float, whole: float) -> float:
    """``part / whole``, 0 when ``whole`` is 0 (precision with no predictions, recall with no truths)."""
    return part / whole if whole else 0.0


def f1_score(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall, 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


class PrecisionRecall:
    """Precision, recall and F1 of anything that counts ``matches()``: (matched, predicted, true)."""

    def matches(self) -> tuple[float, float, float]:
        raise NotImplementedError

    @property
    def precision(self) -> float:
        matched, predicted, _ = self.matches()
        return ratio(matched, predicted)

    @property
    def recall(self) -> float:
        matched, _, truth = self.matches()
        return ratio(matched, truth)

    @property
    def f1(self) -> float:
        return f1_score(self.precision, self.recall)


@dataclass(frozen=True)
class WordCounts(PrecisionRecall):
    """Words of a prediction matched against a truth as multisets of whitespace tokens (order does not count)."""

    matched: int = 0
    predicted: int = 0
    truth: int = 0

    def matches(self) -> tuple[float, float, float]:
        return self.matched, self.predicted, self.truth

    def __add__(self, other: "WordCounts") -> "WordCounts":
        return WordCounts(self.matched + other.matched, self.predicted + other.predicted, self.truth + other.truth)


def word_counts(prediction: str, truth: str, case_sensitive: bool = True) -> WordCounts:
    """How many of the prediction's words are found in the truth, each truth word used at most as often as it occurs."""
    p = Counter(fold(prediction, case_sensitive).split())
    t = Counter(fold(truth, case_sensitive).split())
    return WordCounts(sum((p & t).values()), sum(p.values()), sum(t.values()))


def word_scores(predictions: Iterable[str], truths: Iterable[str], case_sensitive: bool = True) -> WordCounts:
    """Word counts summed over pages: ``.precision``, ``.recall`` and ``.f1`` are micro-averaged."""
    total = WordCounts()
    for p, t in zip(predictions, truths, strict=True):
        total += word_counts(p, t, case_sensitive)
    return total


CONFIDENCE_EDGES = (0.0, 0.5, 0.8, 0.9, 0.99, 1.0)


@dataclass(frozen=True)
class ConfidenceBin:
    """Lines whose confidence lies in ``[low, high)`` (the last bin includes 1.0) and how many were read exactly."""

    low: float
    high: float
    lines: int
    mean_confidence: float
    exact: float  # share of these lines read exactly right


def calibration(
    confidences: Iterable[float], correct: Iterable[bool], edges: Iterable[float] = CONFIDENCE_EDGES
) -> tuple[list[ConfidenceBin], float]:
    """Confidence bins and the expected calibration error (lines-weighted mean of |exact share - mean confidence|).

    A calibrated engine's lines at confidence 0.9 are right 90 % of the time; the error is 0 for a perfect one.
    Confidences are clipped to [0, 1] (NaN counts as 0). Empty bins are left out; the error is 0 when there are no
    lines.
    """
    conf = [min(1.0, max(0.0, float(c))) if math.isfinite(float(c)) else 0.0 for c in confidences]
    ok = [bool(c) for c in correct]
    if len(conf) != len(ok):
        raise ValueError(f"{len(conf)} confidences for {len(ok)} lines")
    edges = list(edges)
    bins, gap = [], 0.0
    for k, (low, high) in enumerate(zip(edges, edges[1:])):
        last = k == len(edges) - 2
        members = [i for i, c in enumerate(conf) if low <= c < high or (last and c >= high)]
        if not members:
            continue
        mean = sum(conf[i] for i in members) / len(members)
        exact = sum(ok[i] for i in members) / len(members)
        bins.append(ConfidenceBin(low, high, len(members), mean, exact))
        gap += len(members) * abs(exact - mean)
    return bins, gap / len(conf) if conf else 0.0
