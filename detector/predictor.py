"""The line detector as a predictor: input normalisation -> YOLO -> line-box post-processing.

``Detector(weights).detect(image)`` returns one :class:`~yocr.core.results.Detection` per printed line (in no
particular order: reading order is the pipeline's job). Inference
is rectangular: the page is scaled so that its long side is ``imgsz`` (never upscaled past the next multiple of 32)
and padded only to a multiple of the stride. Without an ``imgsz`` of the caller's, pages whose long side is over
``LARGE_PAGE_SIDE`` (photos of book pages) run at ``LARGE_PAGE_SCALE`` x the training size, as their print is
small, and smaller pages whose print is large run at their right size (:func:`right_size`: the glyphs ``GLYPH_PX``
high). For very large scans, ``tile`` splits the page into overlapping tiles of that many page pixels; lines cut by
a tile border are stitched back together.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from yocr import runtime as runtimes
from yocr.core.defaults import DETECTOR_CONF, DETECTOR_IOU, SCENE_CONF_SHARE
from yocr.core.geometry import clip_boxes, order_quad
from yocr.core.image import PageImage, to_bgr
from yocr.core.results import Detection, Detections
from yocr.detector import ultra
from yocr.errors import YocrError
from yocr.detector.boxes import TILE_OVERLAP, from_arrays, merge_line_boxes, tiles, touches_inner_border
from yocr.detector.ink import (
    SCENE_OUTSIDE, RoughInk, drop_blank, glyph_height, ink_mask, ink_outside, lone_segments, lost_lines, rough_ink,
    snap_to_ink, speck_size, split_at_gaps,
)
from yocr.detector.checkpoint import DEFAULT_WEIGHTS, SCENE_WEIGHTS, load_checkpoint

__all__ = ["Detector", "lineboxes_from_result"]

MAX_DET = 1000  # most boxes the model may return per page (or tile)
STRIDE = 32  # the network's largest stride: inference sizes are multiples of it
INK_MAX_SIDE = 1400  # pixels: the ink steps look at larger pages shrunk to this long side
# pages over LARGE_PAGE_SIDE run at LARGE_PAGE_SCALE x the training size unless the caller chose a size: on the
# 3,000-4,000 px book photos 1,920 px found 84.9 % of the lines at 0.26 s a page, 1,280 px 81.2 % at 0.12-0.17 s,
# 2,560 px 86.3 % at 0.60 s, tiles of 1,280 px 45.6 % at 1.1 s (model card); no real validation page is that large
LARGE_PAGE_SIDE = 2600
LARGE_PAGE_SCALE = 1.5
# a document page whose glyphs would be taller than GLYPH_PX at the usual size runs smaller, so that they are that
# tall (not under RIGHT_SIZE_FLOOR px), when that is at most RIGHT_SIZE_GAIN x the usual size (a smaller change
# saves little time): on the validation receipts (glyphs 16.5 px in the median at 1,280 px) the network's time fell
# from 0.075 to about 0.045 s a page (README); the forms' print is small and keeps its size
GLYPH_PX = 12
RIGHT_SIZE_FLOOR = 640
RIGHT_SIZE_GAIN = 0.85


def lineboxes_from_result(result: Any, offset: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """The one conversion from an ultralytics ``Results``: ``(boxes [N, 4] xyxy in page pixels, scores [N])``."""
    if result.boxes is None or len(result.boxes) == 0:
        return np.zeros((0, 4)), np.zeros(0)
    xyxy = result.boxes.xyxy.detach().cpu().numpy().astype(np.float64).reshape(-1, 4)
    conf = result.boxes.conf.detach().cpu().numpy().astype(np.float64).reshape(-1)
    xyxy[:, [0, 2]] += offset[0]
    xyxy[:, [1, 3]] += offset[1]
    return xyxy, conf


def inference_size(width: int, height: int, imgsz: int, stride: int = STRIDE) -> int:
    """The long-side size to run at: ``imgsz``, but not above the page's own long side (rounded up to the stride)."""
    own = int(np.ceil(max(width, height) / stride) * stride)
    return max(stride, min(int(imgsz), own))


def right_size(width: int, height: int, glyph: float | None, imgsz: int, stride: int = STRIDE) -> int | None:
    """The smaller long-side size at which a page whose glyphs are ``glyph`` px high (:func:`glyph_height`) shows
    them ``GLYPH_PX`` high, rounded up to the stride and not under ``RIGHT_SIZE_FLOOR``; None when that is over
    ``RIGHT_SIZE_GAIN`` x the usual :func:`inference_size` (small print, small pages) or the height is unknown."""
    usual = inference_size(width, height, imgsz, stride)
    if not glyph or glyph <= 0:
        return None
    want = max(RIGHT_SIZE_FLOOR, int(np.ceil(max(width, height) * GLYPH_PX / glyph / stride) * stride))
    return want if want <= RIGHT_SIZE_GAIN * usual else None


class InkView:
    """A page as the ink steps see it: shrunk to ``INK_MAX_SIDE`` when larger (a 4,000-px photo's mask costs 4 x
    less), and its rough ink (:func:`~yocr.detector.ink.rough_ink`), each made once when first asked for: the right
    size (:meth:`Detector.document_size`) and the ink steps after the network share them."""

    def __init__(self, page: PageImage):
        self.page = page
        self.scale = min(1.0, INK_MAX_SIDE / max(page.width, page.height))
        self._grey: np.ndarray | None = None
        self._rough: RoughInk | None = None

    @property
    def grey(self) -> np.ndarray:
        if self._grey is None:
            page, scale = self.page, self.scale
            self._grey = page.grey if scale == 1.0 else cv2.resize(
                page.grey, (max(1, round(page.width * scale)), max(1, round(page.height * scale))),
                interpolation=cv2.INTER_AREA)
        return self._grey

    @property
    def rough(self) -> RoughInk:
        if self._rough is None:
            self._rough = rough_ink(self.grey)
        return self._rough


# An oriented box turned less than this many degrees is cut as the axis-aligned box around it (margin and deskew of
# the document path); more turned, along its quad
QUAD_MIN_ANGLE = 0.0
# order_quad reads along a box's longer side: a box turned more than this (an upright digit or letter, taller than
# wide) is cut as the axis-aligned box around it, not on its side
QUAD_MAX_ANGLE = 45.0


# The axis-aligned detector's boxes of a photo of a scene that are boxy (a plate, a sign: narrower than this many
# times their height and at least this high) are kept over the oriented detector's quads inside them
BOXY_MAX_ASPECT = 4.0
BOXY_MIN_HEIGHT = 24
BOXY_COVER = 0.5


def with_boxy(oriented: Detections, axis: Detections) -> Detections:
    """``oriented`` with the boxy boxes of ``axis`` (same page) in place of the quads lying mostly inside them."""
    boxy = [d for d in axis if d.box.width < BOXY_MAX_ASPECT * d.box.height and d.box.height >= BOXY_MIN_HEIGHT]
    if not boxy:
        return oriented
    b = np.array([tuple(d.box) for d in boxy], dtype=np.float64)
    kept = list(boxy)
    for d in oriented:
        x0, y0, x1, y1 = d.box
        w = np.clip(np.minimum(x1, b[:, 2]) - np.maximum(x0, b[:, 0]), 0, None)
        h = np.clip(np.minimum(y1, b[:, 3]) - np.maximum(y0, b[:, 1]), 0, None)
        if (w * h).max() < BOXY_COVER * max((x1 - x0) * (y1 - y0), 1e-9):
            kept.append(d)
    return Detections(kept, scene=True)


def oriented_source(scene_weights: str | Path | None, default: bool) -> Path | None:
    """The oriented-box (OBB) detector that photos of scenes go to: ``scene_weights`` ("none" or "": none), or by
    default (None) the shipped ``SCENE_WEIGHTS`` where they exist, beside the shipped detector only (``default``).
    Weights the caller names are checked now (an OBB checkpoint); the model loads when a first scene needs it."""
    if scene_weights is None:
        return SCENE_WEIGHTS if default and SCENE_WEIGHTS.is_file() else None
    if str(scene_weights).strip().lower() in ("", "none"):
        return None
    ckpt = load_checkpoint(scene_weights)
    if ultra.yaml_task(ckpt["yaml"]) != "obb":
        raise YocrError(f"{scene_weights}: not an oriented-box (OBB) detector: --scene-weights takes one "
                        "(made with yocr detector train --model detector/yolo-lines-obb.yaml)")
    return Path(scene_weights)


def oriented_model(path: Path):
    """The OBB detector of ``path``, on PyTorch (ultralytics' OBB post-processing), threads as the run set them."""
    model = ultra.model_from_checkpoint(load_checkpoint(path))
    if model.task != "obb":
        raise YocrError(f"{path}: not an oriented-box (OBB) detector")
    runtimes.torch_threads()
    return model


class Detector:
    """Finds text lines on page images. Load once, then call :meth:`detect` per page."""

    def __init__(
        self,
        weights: str | Path | None = None,
        imgsz: int | None = None,
        conf: float = DETECTOR_CONF,
        iou: float = DETECTOR_IOU,
        device: str = "cpu",
        tile: int = 0,
        tile_overlap: float = TILE_OVERLAP,
        max_det: int = MAX_DET,
        merge: bool = True,
        snap: bool = True,
        lone: bool = True,  # box the text the network left out: lone segments and lost lines (detector/ink.py)
        runtime: str = "auto",
        scene_weights: str | Path | None = None,  # an oriented-box detector for photos of scenes (see oriented_model)
    ):
        path = Path(weights) if weights else DEFAULT_WEIGHTS
        self.scene_source, self._oriented = oriented_source(scene_weights, default=not weights), None
        opened = runtimes.open_onnx(path, runtime, arena=False) if runtimes.on_cpu(device) else None
        if opened is not None:  # the ONNX export beside the weights (yocr export), on onnxruntime
            from yocr.detector.onnx_yolo import OnnxYolo

            model = OnnxYolo(*opened, source=str(path))
            self.meta = {"imgsz": model.imgsz, "names": model.names, "meta": model.meta, "path": str(path)}
            # the int8 copy, where there is one, reads documents first; photos of scenes go to the fp32 network
            int8 = runtimes.open_int8(path, arena=False) if runtime == "auto" else None
            fast = OnnxYolo(*int8, source=str(runtimes.int8_beside(path))) if int8 else None
        else:
            ckpt = load_checkpoint(path)
            self.meta = {k: ckpt[k] for k in ("imgsz", "names", "meta", "path")}
            model, fast = ultra.model_from_checkpoint(ckpt), None
            runtimes.torch_threads()  # torch loads only now, after the run divided the CPUs among its workers
        self._setup(model, imgsz or int(self.meta["imgsz"]), conf, iou, device, tile, tile_overlap, max_det, merge)
        self.snap, self.lone, self.fast = snap, lone, fast
        self.large = 0 if imgsz else STRIDE * round(self.imgsz * LARGE_PAGE_SCALE / STRIDE)  # 1280 -> 1920
        self.right = not imgsz and not tile  # documents run at their right size (right_size) unless a size is chosen

    @classmethod
    def from_yolo(cls, yolo: Any, imgsz: int = 640, **options: Any) -> "Detector":
        """A detector around an ultralytics ``YOLO`` already in memory (tests, right after training)."""
        self = cls.__new__(cls)
        self.meta = {"imgsz": imgsz}
        defaults = dict(conf=DETECTOR_CONF, iou=DETECTOR_IOU, device="cpu", tile=0, tile_overlap=TILE_OVERLAP,
                        max_det=MAX_DET, merge=True)
        defaults.update(options)
        snap, lone = defaults.pop("snap", True), defaults.pop("lone", True)
        self._setup(yolo, imgsz, **defaults)
        self.snap, self.lone, self.fast, self.large, self.right = snap, lone, None, 0, False
        self.scene_source, self._oriented = None, None
        return self

    @property
    def oriented(self):
        """The oriented-box detector for photos of scenes (None: none), loaded on the first scene: a run over
        documents alone never loads it (nor PyTorch)."""
        if self._oriented is None and getattr(self, "scene_source", None) is not None:
            self._oriented = oriented_model(self.scene_source)
        return self._oriented

    def _setup(self, yolo, imgsz, conf, iou, device, tile, tile_overlap, max_det, merge) -> None:
        if not 0.0 <= conf <= 1.0 or not 0.0 <= iou <= 1.0:
            raise YocrError(f"--conf ({conf}) and --iou ({iou}) must lie in [0, 1]")
        if imgsz < 32 or tile < 0:
            raise YocrError(f"--imgsz ({imgsz}) must be at least 32 and --tile ({tile}) at least 0")
        self.yolo, self.imgsz, self.conf, self.iou, self.device = yolo, int(imgsz), conf, iou, device
        self.tile, self.tile_overlap, self.max_det, self.merge = int(tile), tile_overlap, max_det, merge
        self.runtime = "onnx" if hasattr(yolo, "session") else "torch"
        self.timings: dict[str, float] = {}  # seconds per step, added up until the caller resets it

    def _time(self, step: str, seconds: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    # pre-processing, model, post-processing
    def _predict(self, image: np.ndarray, offset: tuple[int, int] = (0, 0), fast: bool = False,
                 size: int | None = None, conf: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        imgsz = self.large if self.large and max(image.shape[:2]) > LARGE_PAGE_SIDE else self.imgsz
        size = size or inference_size(image.shape[1], image.shape[0], imgsz)
        conf = self.conf if conf is None else conf
        if self.runtime == "onnx":
            model = self.fast if fast and self.fast is not None else self.yolo
            boxes, scores = model.predict(image, size, conf, self.iou, self.max_det, self.timings)
            boxes[:, [0, 2]] += offset[0]
            boxes[:, [1, 3]] += offset[1]
            return boxes, scores
        (result,) = ultra.predict(self.yolo, [image], size, conf, self.iou, self.device, self.max_det)
        speed = getattr(result, "speed", None) or {}
        for step, key in (("detector_pre", "preprocess"), ("detector_net", "inference"), ("detector_nms", "postprocess")):
            self._time(step, (speed.get(key) or 0.0) / 1000)
        return lineboxes_from_result(result, offset)

    def raw(self, image_bgr: np.ndarray, fast: bool = False, size: int | None = None, conf: float | None = None,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes, scores and 'cut by a tile border' flags straight from the model (whole page or tiles); ``fast``:
        from the int8 copy where there is one; ``size``: the long side to run a whole page at (default: the usual);
        ``conf``: the score threshold (default: the detector's)."""
        height, width = image_bgr.shape[:2]
        if not self.tile or max(width, height) <= self.tile:
            boxes, scores = self._predict(image_bgr, fast=fast, size=size, conf=conf)
            return boxes, scores, np.zeros(len(boxes), bool)
        parts = []
        for t in tiles(width, height, self.tile, self.tile_overlap):
            x0, y0, x1, y1 = t
            boxes, scores = self._predict(np.ascontiguousarray(image_bgr[y0:y1, x0:x1]), (x0, y0), fast, conf=conf)
            parts.append((boxes, scores, touches_inner_border(boxes, t, width, height)))
        return tuple(np.concatenate(p) for p in zip(*parts))  # type: ignore[return-value]

    def postprocess(
        self, boxes: np.ndarray, scores: np.ndarray, cut: np.ndarray, width: int, height: int,
        ink: np.ndarray | None = None, grey: np.ndarray | None = None, ink_scale: float = 1.0,
    ) -> list[Detection]:
        """The boxes of a page after merging and the ink steps; ``ink`` and ``grey`` may be the page shrunk by
        ``ink_scale`` (large pages), the boxes stay in page pixels."""
        boxes = clip_boxes(boxes, width, height)
        keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        boxes, scores, cut = boxes[keep] * ink_scale, scores[keep], cut[keep]
        if ink is not None and len(boxes):
            boxes = snap_to_ink(boxes, ink)
        if self.merge:
            boxes, scores = merge_line_boxes(boxes, scores, cut=cut)
        if ink is not None and len(boxes):
            boxes, scores = split_at_gaps(boxes, scores, ink)
            boxes, scores = drop_blank(boxes, scores, ink)
        if ink is not None and grey is not None and self.lone and len(boxes):
            found = np.concatenate([lone_segments(boxes, ink, grey), lost_lines(boxes, ink, grey)])
            boxes = np.concatenate([boxes, found])
            scores = np.concatenate([scores, np.full(len(found), self.conf)])
        if ink_scale != 1.0:
            boxes = clip_boxes(boxes / ink_scale, width, height)
        return from_arrays(boxes, scores)

    def detect(self, image: PageImage | np.ndarray) -> Detections:
        """Line boxes (page pixels, with scores) of one page (a loaded page or a BGR or grey array); [] when none.
        ``scene`` is set on the result when the page is a photo of a scene (see :func:`ink_outside`).

        A page is first detected as a document: by the int8 copy of the network where there is one beside the weights
        (``yocr export --int8-pages``; runtime ``auto``), at its right size (:func:`right_size`; not with a size or
        tiles of the caller's, on pages over ``LARGE_PAGE_SIDE`` or without the ink steps). A page that turns out to
        be a photo of a scene, or on which that finds nothing, is detected again by the fp32 network at the usual
        size (without an int8 copy, only when it had run at a right size), keeping boxes down to ``SCENE_CONF_SHARE``
        of the score threshold on a photo of a scene (its small words and plates score low; the reader leaves out
        the unsure readings of such photos)."""
        page = image if isinstance(image, PageImage) else PageImage(to_bgr(image))
        fast = self.fast is not None and self.snap  # without the ink steps no page is known to be a scene
        view = InkView(page)
        size = self.document_size(view) if self.snap else None
        found = self._timed_post(view, *self.raw(page.bgr, fast=fast, size=size))
        if (not fast and size is None) or (len(found) and not found.scene):
            return self.scene_words(page, found, found) if found.scene else found
        boxes, scores, cut = self.raw(page.bgr, conf=self.conf * SCENE_CONF_SHARE)
        if not len(found):  # nothing found (a photo with one small plate, say): the fp32 network decides
            sure = scores >= self.conf
            found = self._timed_post(view, boxes[sure], scores[sure], cut[sure])
            if len(found) and not found.scene:
                return found  # a document, as its sure boxes say
            scene = self._timed_post(view, boxes, scores, cut)
            return self.scene_words(page, scene, found) if scene.scene else found
        # int8 finds the lines of documents as well as fp32 does, but fewer street words and plates (model card):
        # a photo of a scene is detected again by the fp32 network (kept as it is, like any scene's boxes)
        start = time.perf_counter()
        try:
            scene = Detections(self.postprocess(boxes, scores, cut, page.width, page.height), scene=True)
        finally:
            self._time("detector_post", time.perf_counter() - start)
        return self.scene_words(page, scene, found)

    def scene_words(self, page: PageImage, scene: Detections, sure: Detections) -> Detections:
        """A photo of a scene's lines: ``scene`` (the axis-aligned detector's, down to the scene threshold), or where
        there is an oriented-box detector its quads, with the boxy boxes that the axis-aligned detector found at the
        usual threshold (``sure``: plates, signs) in place of the quads inside them (:func:`with_boxy`: plates read
        better from those)."""
        if self.scene_source is None:
            return scene
        oriented = self.detect_oriented(page)
        return with_boxy(oriented, sure) if len(oriented) else scene  # nothing found: the axis-aligned boxes

    def detect_oriented(self, page: PageImage) -> Detections:
        """A photo of a scene's words as the oriented-box detector finds them, at the usual size and down to
        ``SCENE_CONF_SHARE`` of the score threshold: each a :class:`Detection` with its quadrilateral (clockwise from
        the text's top-left, :func:`~yocr.core.geometry.order_quad`) and the axis-aligned box around it."""
        model = self.oriented  # loaded on the first scene, not timed as the network
        start = time.perf_counter()
        size = inference_size(page.width, page.height, self.imgsz)
        (result,) = ultra.predict(model, [page.bgr], size, self.conf * SCENE_CONF_SHARE, self.iou,
                                  self.device, self.max_det)
        self._time("detector_net", time.perf_counter() - start)
        obb = getattr(result, "obb", None)
        if obb is None or not len(obb):
            return Detections([], scene=True)
        found = []
        for quad, score in zip(obb.xyxyxyxy.cpu().numpy(), obb.conf.cpu().numpy()):
            q = order_quad(quad)  # the crop follows it past the page's edge (replicated border); the box is clipped
            (x0, y0), (x1, y1) = q.min(axis=0).clip(0, None), np.minimum(q.max(axis=0), (page.width, page.height))
            if x1 - x0 >= 1 and y1 - y0 >= 1:
                angle = abs(np.degrees(np.arctan2(q[1, 1] - q[0, 1], q[1, 0] - q[0, 0])))
                turned = QUAD_MIN_ANGLE <= angle <= QUAD_MAX_ANGLE  # steeper: upright text taller than wide
                found.append(Detection((x0, y0, x1, y1), float(score), quad=tuple(map(tuple, q)) if turned else None))
        return Detections(found, scene=True)

    def document_size(self, view: InkView) -> int | None:
        """The long side to detect a page at as a document (:func:`right_size` of its glyphs' height, from the ink
        that the ink steps look at afterwards); None: the usual size."""
        page = view.page
        if not self.right or (self.large and max(page.width, page.height) > LARGE_PAGE_SIDE):
            return None
        start = time.perf_counter()
        try:
            return right_size(page.width, page.height, glyph_height(view.rough, view.scale), self.imgsz)
        finally:
            self._time("detector_pre", time.perf_counter() - start)

    def _timed_post(self, view: InkView, boxes: np.ndarray, scores: np.ndarray, cut: np.ndarray) -> Detections:
        start = time.perf_counter()
        try:
            return self._postprocess_page(view.page, boxes, scores, cut, view)
        finally:
            self._time("detector_post", time.perf_counter() - start)

    def _postprocess_page(self, page: PageImage, boxes: np.ndarray, scores: np.ndarray, cut: np.ndarray,
                          view: InkView | None = None) -> Detections:
        height, width = page.height, page.width
        if not self.snap or not len(boxes):
            return Detections(self.postprocess(boxes, scores, cut, width, height))
        view = view if view is not None else InkView(page)  # pages larger than INK_MAX_SIDE shrunk to it
        grey, scale = view.grey, view.scale
        clipped = clip_boxes(boxes, width, height) * scale
        heights = clipped[:, 3] - clipped[:, 1]
        ink = ink_mask(grey, speck_size(heights[heights > 0]), view.rough)
        if ink_outside(clipped, ink) > SCENE_OUTSIDE:  # a photo of a scene: the ink is not the text's
            return Detections(self.postprocess(boxes, scores, cut, width, height), scene=True)
        return Detections(self.postprocess(boxes, scores, cut, width, height, ink, grey, scale))
