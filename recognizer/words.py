"""Word boxes from CTC: where in a line crop each word was read.

Greedy CTC emits each character at some output steps (:meth:`Charset.ctc_steps`); one step covers
``WIDTH_STRIDE`` columns of the normalised line. A character owns the columns from halfway to its left neighbour to
halfway to its right neighbour (the line's ends for the first and last); a word owns its characters' columns, and
its box is the ink in those columns. The box is then scaled from the normalised line back to the crop the
recognizer was given (undoing :func:`~yocr.recognizer.preprocess.normalise`'s resize) and fitted to the word's ink at
the crop's own resolution (rows with a mere speck of ink left out); mapping the crop to the page is the pipeline's
job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from yocr.core.results import Reading, Word
from yocr.recognizer.preprocess import WIDTH_STRIDE, to_grey

INK = 0.5  # a pixel of the normalised line (0 ink .. 1 paper) darker than this is ink
ROW_INK = 0.05  # a row of a word holds its ink when at least this share of the word's width (2 px or more) is ink


def split_words(text: str) -> list[tuple[int, int]]:
    """``(first, last)`` character indices of each run of non-space characters of ``text``."""
    spans, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isspace():
            if start is not None:
                spans.append((start, i - 1))
                start = None
        elif start is None:
            start = i
    return spans


def word_boxes(text: str, steps: Sequence[tuple[int, int, float]], line: np.ndarray, stride: int,
               crop_size: tuple[int, int], crop: np.ndarray | None = None) -> tuple[Word, ...]:
    """The words of one reading with their boxes in the pixels of the crop the recognizer was given.

    ``text`` and ``steps`` are one greedy CTC decoding (one ``(first step, last step, probability)`` per character
    of ``text``), ``line`` the normalised line it came from (``H x W``, ink dark), ``stride`` the columns per step and
    ``crop_size`` the crop's ``(width, height)``. With the ``crop`` itself, each box is then fitted to the word's ink
    at the crop's own resolution (the normalised line has about a pixel per column). A word's confidence is its
    least sure character's probability.
    """
    if len(steps) != len(text):
        raise ValueError(f"{len(steps)} steps for {len(text)} characters")
    fine = None if crop is None else ink_mask(crop)
    spans = split_words(text)
    if not spans:
        return ()
    height, width = line.shape[:2]
    centres = np.array([(first + last + 1) / 2 * stride for first, last, _ in steps], float).clip(0, width)
    bounds = np.concatenate([[0.0], (centres[1:] + centres[:-1]) / 2, [float(width)]])
    ink = np.asarray(line) < INK
    sx, sy = crop_size[0] / width, crop_size[1] / height
    words = []
    for first, last in spans:
        a, b = int(np.floor(bounds[first])), int(np.ceil(bounds[last + 1]))
        cols = np.flatnonzero(ink[:, a:b].any(axis=0))
        if len(cols):
            x0, x1 = a + cols[0], a + cols[-1] + 1
        else:  # no ink where the word was read: the columns of its characters' steps
            x0, x1 = steps[first][0] * stride, min(width, (steps[last][1] + 1) * stride)
        rows = np.flatnonzero(ink[:, x0:x1].any(axis=1))
        y0, y1 = (rows[0], rows[-1] + 1) if len(rows) else (0, height)
        box = (x0 * sx, y0 * sy, x1 * sx, y1 * sy)
        if fine is not None and len(cols):
            box = _fit_to_ink(fine, box)
        conf = float(min(p for _, _, p in steps[first : last + 1]))
        words.append(Word(text[first : last + 1], box, conf))
    return tuple(words)


def ink_mask(crop: np.ndarray) -> np.ndarray:
    """The crop's ink at its own resolution, by :func:`~yocr.recognizer.preprocess.normalise`'s rule: paper told by
    the border, contrast between the 1st and 99th percentiles, ink darker than :data:`INK` of the way to paper
    (percentiles from the histogram: this runs on every crop)."""
    grey = to_grey(crop)
    cdf = np.cumsum(np.bincount(grey.ravel(), minlength=256)) / max(1, grey.size)
    lo, hi = float(np.searchsorted(cdf, 0.01)), float(np.searchsorted(cdf, 0.99))
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) < (lo + hi) / 2:  # light text on a dark ground
        return grey > hi - INK * max(8.0, hi - lo)
    return grey < lo + INK * max(8.0, hi - lo)


def _fit_to_ink(ink: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """``box`` (crop pixels, from the normalised line) fitted to the ink of ``ink`` (the crop's ink mask) in its
    columns, give or take a pixel; unchanged where that finds no ink."""
    h, w = ink.shape
    a, b = max(0, int(np.floor(box[0])) - 1), min(w, int(np.ceil(box[2])) + 1)
    cols = np.flatnonzero(ink[:, a:b].any(axis=0))
    if not len(cols):
        return box
    x0, x1 = a + cols[0], a + cols[-1] + 1
    counts = ink[:, x0:x1].sum(axis=1)
    rows = np.flatnonzero(counts >= max(2, ROW_INK * (x1 - x0)))  # a speck or a neighbour's serif is no row of text
    if not len(rows):
        rows = np.flatnonzero(counts)
    return float(x0), float(rows[0]), float(x1), float(rows[-1] + 1)


def with_words(reading: Reading, probs: np.ndarray, charset, line: np.ndarray, crop: np.ndarray,
               mask: np.ndarray | None = None) -> Reading:
    """``reading`` (the greedy decoding of ``probs`` [T, C], masked by ``mask``) with its word boxes in the pixels of
    the ``crop`` whose normalised ``line`` the network read."""
    if mask is not None:
        probs = probs * mask
    steps = charset.ctc_steps(probs)
    if len(steps) != len(reading.text):
        return reading
    size = (crop.shape[1], crop.shape[0])
    return replace(reading, words=word_boxes(reading.text, steps, line, WIDTH_STRIDE, size, crop))
