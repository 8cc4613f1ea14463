"""Text metrics: character and word error rates (edit distances from rapidfuzz)."""

from __future__ import annotations

from typing import Iterable

from rapidfuzz.distance import Levenshtein


def fold(text: str, case_sensitive: bool = True) -> str:
    return text if case_sensitive else text.casefold()


def char_errors(prediction: str, truth: str) -> int:
    return Levenshtein.distance(prediction, truth)


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


def exact_accuracy(predictions: Iterable[str], truths: Iterable[str], case_sensitive: bool = True) -> float:
    pairs = list(zip(predictions, truths, strict=True))
    if not pairs:
        return 0.0
    return sum(fold(p, case_sensitive) == fold(t, case_sensitive) for p, t in pairs) / len(pairs)
