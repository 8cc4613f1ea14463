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
from yocr.detector.config import DetectorOptions
from yocr.errors import YocrError
from yocr.metrics import PrecisionRecall, ratio


@dataclass(frozen=True)
class EvalConfig(DetectorOptions):
    """Options of ``yocr detector eval``, one to one: the detector's (:class:`DetectorOptions`) and the sets scored."""

    data: Path | None = None  # a folder holding sroie-train/ and funsd-train/ (and ic15-train/, plates-us/)
    sroie: Path | None = None  # SROIE folder (receipts 526-625 are scored)
    funsd: Path | None = None  # FUNSD folder (the last 30 forms are scored)
    yolo: tuple[Path, ...] = ()  # YOLO folders whose val split is scored too
    limit: int = 0  # score only the first N pages of each set (0: all)
    json_out: Path | None = None  # also write the figures as JSON here

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "yolo", tuple(Path(p) for p in self.yolo))
        if self.limit < 0:
            raise YocrError(f"--limit must be at least 0, not {self.limit}")

    def sets(self) -> dict[str, list[AnnotatedPage]]:
        """The annotated pages to score, by set name (see :func:`benchmark_sets`)."""
        return benchmark_sets(self.data, self.sroie, self.funsd, self.limit, yolo=self.yolo, scene=True)


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
class DetectionScores(PrecisionRecall):
    """Counts and rates of one benchmark set."""

    name: str = ""
    pages: int = 0
    true_positives: int = 0
    predictions: int = 0
    truths: int = 0
    seconds: float = 0.0  # detection time only (no image loading)

    def matches(self) -> tuple[float, float, float]:
        return self.true_positives, self.predictions, self.truths

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


DONT_CARE = "###"  # a region's text that marks it "don't care" (ICDAR: text too blurred to read)
DONT_CARE_COVER = 0.5  # a prediction lying this much inside a don't-care region is neither right nor wrong

#: How each benchmark set's ground truth is made: receipts and forms merge a row's segments into lines
#: (``ROW_GAP``); street words and plates are boxes of their own (``None``).
SET_GAPS = {"sroie": ROW_GAP, "funsd": ROW_GAP, "ic15": None, "plates": None}


def truth_boxes(page: AnnotatedPage, gap: float | None = ROW_GAP) -> list[BoxLike]:
    regions = [r for r in page.regions if r.text != DONT_CARE]
    return [r.box for r in (merge_rows(regions, gap) if gap is not None else regions)]


def drop_dont_care(pred: Sequence[BoxLike], page: AnnotatedPage) -> list[BoxLike]:
    """Predictions that do not lie (by at least ``DONT_CARE_COVER`` of their area) inside a don't-care region."""
    ignore = np.asarray([r.box for r in page.regions if r.text == DONT_CARE], dtype=np.float64).reshape(-1, 4)
    if not len(pred) or not len(ignore):
        return list(pred)
    p = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    w = np.clip(np.minimum(p[:, None, 2], ignore[None, :, 2]) - np.maximum(p[:, None, 0], ignore[None, :, 0]), 0, None)
    h = np.clip(np.minimum(p[:, None, 3], ignore[None, :, 3]) - np.maximum(p[:, None, 1], ignore[None, :, 1]), 0, None)
    area = np.clip((p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1]), 1e-9, None)
    covered = (w * h / area[:, None]).max(axis=1) >= DONT_CARE_COVER
    return [b for b, c in zip(pred, covered) if not c]


def evaluate_detector(
    detector,
    pages: Sequence[AnnotatedPage],
    name: str = "",
    gap: float | None = ROW_GAP,
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
        scores.add(drop_dont_care([d.box for d in lines], page), truth_boxes(page, gap), elapsed, iou_threshold)
        if progress:
            progress()
    return scores


def benchmark_sets(
    data: str | Path | None = None, sroie: str | Path | None = None, funsd: str | Path | None = None, limit: int = 0,
    yolo: Sequence[str | Path] = (), scene: bool = False,
) -> dict[str, list[AnnotatedPage]]:
    """The fixed validation sets: ``sroie`` receipts 526-625, the last 30 ``funsd`` forms, and where the data folder
    has them and ``scene`` is set, the ``ic15`` street photos 901-1000 (legible words; ``###`` regions don't care) and the ``plates``
    validation photos (every fifth by name; the plate box).

    ``data`` is a folder holding ``sroie-train/``, ``funsd-train/`` (and ``ic15-train/``, ``plates-us/``);
    ``sroie``/``funsd`` name them directly. ``limit`` keeps the first pages of each set (0: all).
    """
    sets: dict[str, list[AnnotatedPage]] = {}
    if data:
        data = Path(data)
        sroie = sroie or (data / "sroie-train" if (data / "sroie-train").is_dir() else None)
        funsd = funsd or (data / "funsd-train" if (data / "funsd-train").is_dir() else None)
        if scene:
            sets.update(scene_sets(data))
    if sroie:
        if not Path(sroie).is_dir():
            raise YocrError(f"{sroie}: SROIE folder not found")
        sets["sroie"] = sroie_pages(sroie, *SROIE_VAL)
    if funsd:
        if not Path(funsd).is_dir():
            raise YocrError(f"{funsd}: FUNSD folder not found")
        sets["funsd"] = funsd_pages(funsd, only_last=FUNSD_VAL_COUNT)
    for root in yolo:
        from yocr.data.yolo import yolo_folder_pages

        pages = yolo_folder_pages(root, "val")
        if not pages:
            raise YocrError(f"{root}: no images under images/val: not a YOLO folder with a val split")
        sets[Path(root).name] = pages
        SET_GAPS.setdefault(Path(root).name, None)  # a YOLO folder's boxes are the lines as they are
    if not sets:
        raise YocrError(f"{data or 'no data folder'}: no sroie-train/ or funsd-train/ found (or give --sroie/--funsd/--yolo)")
    if limit:
        sets = {k: v[:limit] for k, v in sets.items()}
    order = ("sroie", "funsd", "ic15", "plates")
    return {k: sets[k] for k in sorted(sets, key=lambda k: order.index(k) if k in order else len(order))}


def scene_sets(data: Path) -> dict[str, list[AnnotatedPage]]:
    """The street-photo and plate validation sets of a data folder, where present."""
    from yocr.data.annotations import Region
    from yocr.data.scene import DONT_CARE as QUAD_DONT_CARE, ic15_pages, plate_pages

    sets: dict[str, list[AnnotatedPage]] = {}
    if (data / "ic15-train" / "img").is_dir():
        sets["ic15"] = [
            AnnotatedPage(path, tuple(
                Region(tuple(float(v) for v in (q.points[:, 0].min(), q.points[:, 1].min(), q.points[:, 0].max(),
                                                 q.points[:, 1].max())),
                       DONT_CARE if q.text == QUAD_DONT_CARE else q.text)
                for q in quads
            ))
            for path, _, quads in ic15_pages(data / "ic15-train", "val")
        ]
    if (data / "plates-us").is_dir():
        sets["plates"] = [
            AnnotatedPage(path, tuple(Region(b, number) for b in boxes))
            for path, boxes, number in plate_pages(data / "plates-us", "val")
        ]
    return sets
