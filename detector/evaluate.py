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

import cv2
import numpy as np

from yocr.data.annotations import AnnotatedPage, funsd_pages, sroie_pages
from yocr.data.rows import Box, merge_rows
from yocr.data.yolo import FUNSD_VAL_COUNT, SROIE_VAL
from yocr.errors import ImageLoadError, YocrError
from yocr.metrics import f1_score, ratio


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` [N, 4] with every box of ``b`` [M, 4] (xyxy)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = iw.clip(0) * ih.clip(0)
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_boxes(pred: Sequence[Box], truth: Sequence[Box], iou_threshold: float = 0.5) -> list[tuple[int, int, float]]:
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

    def add(self, pred: Sequence[Box], truth: Sequence[Box], seconds: float, iou_threshold: float = 0.5) -> None:
        self.pages += 1
        self.true_positives += len(match_boxes(pred, truth, iou_threshold))
        self.predictions += len(pred)
        self.truths += len(truth)
        self.seconds += seconds

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(precision=self.precision, recall=self.recall, f1=self.f1, seconds_per_page=self.seconds_per_page)
        return d


def truth_boxes(page: AnnotatedPage, gap: float = 1.0) -> list[Box]:
    return [r.box for r in merge_rows(page.regions, gap)]


def evaluate_detector(
    detector,
    pages: Sequence[AnnotatedPage],
    name: str = "",
    gap: float = 1.0,
    iou_threshold: float = 0.5,
    progress: Callable[[], None] | None = None,
    warmup: bool = True,
) -> DetectionScores:
    """Score ``detector`` (anything with ``detect(image_bgr) -> [LineBox]``) on annotated pages.

    With ``warmup`` the first page is run once, untimed, so that model set-up does not count as page time.
    """
    scores = DetectionScores(name=name)
    for n, page in enumerate(pages):
        image = cv2.imread(str(page.image), cv2.IMREAD_COLOR)
        if image is None:
            raise ImageLoadError(page.image, "not found" if not Path(page.image).exists() else "not a readable image")
        if warmup and n == 0:
            detector.detect(image)
        start = time.perf_counter()
        lines = detector.detect(image)
        elapsed = time.perf_counter() - start
        scores.add([ln.box for ln in lines], truth_boxes(page, gap), elapsed, iou_threshold)
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
