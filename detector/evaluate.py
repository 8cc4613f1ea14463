"""Detection benchmark: precision, recall and F1 of line boxes at IoU 0.5, and seconds per page.

Ground truth is the pages' regions merged into lines with :func:`~yocr.data.rows.merge_rows` (the rule the training
data is made with). Predictions and truths are matched one to one, greedily by decreasing IoU, a pair counting when
its IoU is at least ``iou_threshold``.

The fixed benchmark sets (``../shared/data/README.md``): SROIE receipts 526-625 and the last 30 FUNSD forms.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from yocr.core.defaults import MATCH_IOU, ROW_GAP
from yocr.core.geometry import BoxLike, iou_matrix
from yocr.core.image import load_image
from yocr.core.splits import FUNSD_VAL_COUNT, SROIE_VAL
from yocr.data.annotations import AnnotatedPage, funsd_pages, sroie_pages
from yocr.data.rows import merge_rows
from yocr.errors import YocrError
from yocr.metrics import f1_score, ratio


def match_boxes(pred: Sequence[BoxLike], truth: Sequence[BoxLike], iou_threshold: float = MATCH_IOU) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching: pairs ``(pred index, truth index, IoU)`` by decreasing IoU >= ``iou_threshold``."""
    ious = iou_matrix(np.asarray(pred), np.asarray(truth))
    if ious.size == 0:
        return []
    pi, ti = np.nonzero(ious >= iou_threshold)
    order = np.argsort(-ious[pi, ti], kind="stable")
    used_p, used_t, pairs = set(), set(), []
    for k in order:
        p, t = int(pi[k]), int(ti[k])
        if p in used_p or t in used_t:
            continue
        used_p.add(p)
        used_t.add(t)
        pairs.append((p, t, float(ious[p, t])))
    return pairs


@dataclass
class DetectionScores:
    """Counts and rates of one benchmark set."""

    name: str = ""
    pages: int = 0
    true_positives: int = 0
    predictions: int = 0
    truths: int = 0
    seconds: float = 0.0  # detection time only (no image loading)

    @property
    def precision(self) -> float:
        return ratio(self.true_positives, self.predictions)

    @property
    def recall(self) -> float:
        return ratio(self.true_positives, self.truths)

    @property
    def f1(self) -> float:
        return f1_score(self.precision, self.recall)

    @property
    def seconds_per_page(self) -> float:
        return ratio(self.seconds, self.pages)

    def add(self, pred: Sequence[BoxLike], truth: Sequence[BoxLike], seconds: float, iou_threshold: float = MATCH_IOU) -> None:
        self.pages += 1
        self.true_positives += len(match_boxes(pred, truth, iou_threshold))
        self.predictions += len(pred)
        self.truths += len(truth)
        self.seconds += seconds

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(precision=self.precision, recall=self.recall, f1=self.f1, seconds_per_page=self.seconds_per_page)
        return d


def truth_boxes(page: AnnotatedPage, gap: float = ROW_GAP) -> list[BoxLike]:
    return [r.box for r in merge_rows(page.regions, gap)]


def evaluate_detector(
    detector,
    pages: Sequence[AnnotatedPage],
    name: str = "",
    gap: float = ROW_GAP,
    iou_threshold: float = MATCH_IOU,
    progress: Callable[[], None] | None = None,
    warmup: bool = True,
) -> DetectionScores:
    """Score ``detector`` (anything with ``detect(page image) -> [Detection]``) on annotated pages.

    With ``warmup`` the first page is run once, untimed, so that model set-up does not count as page time.
    """
    scores = DetectionScores(name=name)
    for n, page in enumerate(pages):
        image = load_image(page.image)
        if warmup and n == 0:
            detector.detect(image)
        start = time.perf_counter()
        lines = detector.detect(image)
        elapsed = time.perf_counter() - start
        scores.add([d.box for d in lines], truth_boxes(page, gap), elapsed, iou_threshold)
        if progress:
            progress()
    return scores


def benchmark_sets(
    data: str | Path | None = None, sroie: str | Path | None = None, funsd: str | Path | None = None, limit: int = 0
) -> dict[str, list[AnnotatedPage]]:
    """The fixed validation sets: ``sroie`` receipts 526-625 and the last 30 ``funsd`` forms.

    ``data`` is a folder holding ``sroie-train/`` and ``funsd-train/``; ``sroie``/``funsd`` name them directly.
    ``limit`` keeps the first pages of each set (0: all).
    """
    if data:
        data = Path(data)
        sroie = sroie or (data / "sroie-train" if (data / "sroie-train").is_dir() else None)
        funsd = funsd or (data / "funsd-train" if (data / "funsd-train").is_dir() else None)
    sets: dict[str, list[AnnotatedPage]] = {}
    if sroie:
        if not Path(sroie).is_dir():
            raise YocrError(f"{sroie}: SROIE folder not found")
        sets["sroie"] = sroie_pages(sroie, *SROIE_VAL)
    if funsd:
        if not Path(funsd).is_dir():
            raise YocrError(f"{funsd}: FUNSD folder not found")
        sets["funsd"] = funsd_pages(funsd, only_last=FUNSD_VAL_COUNT)
    if not sets:
        raise YocrError(f"{data or 'no data folder'}: no sroie-train/ or funsd-train/ found (or give --sroie/--funsd)")
    if limit:
        sets = {k: v[:limit] for k, v in sets.items()}
    return sets
