"""The line detector on ONNX Runtime: export (ultralytics' exporter, dynamic height and width) and inference with the
same pre- and post-processing as ultralytics' predictor, in numpy and OpenCV (no torch, no ultralytics at run time).

Pre-processing is ultralytics' rectangular letterbox: the page scaled so that its long side is the inference size,
padded with grey (114) to a multiple of the stride, centred. Post-processing: boxes above the score threshold,
greedy non-maximum suppression at the IoU threshold, at most ``max_det``, mapped back to page pixels and clipped.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from yocr import runtime
from yocr.errors import CheckpointError

FORMAT = "yocr-line-detector-onnx/1"
PAD_VALUE = 114


def export(weights: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Write the detector of ``weights`` (default: shipped) to ONNX, beside it unless ``out`` is given."""
    from yocr.detector import ultra
    from yocr.detector.checkpoint import DEFAULT_WEIGHTS, load_checkpoint

    weights = Path(weights) if weights else DEFAULT_WEIGHTS
    ckpt = load_checkpoint(weights)
    imgsz = int(ckpt["imgsz"])
    info = {
        "yocr_imgsz": str(imgsz),
        "yocr_names": json.dumps(list(ckpt.get("names") or [])),
        "yocr_meta": json.dumps(ckpt.get("meta") or {}, default=str),
    }
    return runtime.write_onnx(
        Path(out) if out else runtime.onnx_beside(weights), weights=weights, fmt=FORMAT, info=info, keep_own=True,
        build=lambda tmp: ultra.export_onnx(ultra.model_from_checkpoint(ckpt), tmp, imgsz),
    )


HEAD_PREFIX = "/model.23/"  # ultralytics' name for the Detect head of yolo-lines.yaml (its 24th layer)


class _CalibrationPages:
    """onnxruntime's calibration reader over pages prepared exactly as :class:`OnnxYolo` prepares them."""

    def __init__(self, pages: list[Path], imgsz: int, stride: int):
        from yocr.detector.predictor import inference_size

        self.items = []
        for path in pages:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise CheckpointError(f"{path}: calibration page cannot be read as an image")
            size = inference_size(image.shape[1], image.shape[0], imgsz, stride)
            self.items.append({"images": to_input(letterbox(image, size, stride)[0])})
        self.index = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        self.index += 1
        return self.items[self.index - 1] if self.index <= len(self.items) else None

    def rewind(self) -> None:
        self.index = 0


def export_int8(pages: list[str | Path], weights: str | Path | None = None, out: str | Path | None = None) -> Path:
    """An int8 copy of the detector's ONNX export (``NAME.int8.onnx`` beside the weights unless ``out`` is given):
    onnxruntime's static quantisation, QDQ, per-channel int8 weights, uint8 activations calibrated (min-max) on
    ``pages``; the box decoding of the Detect head stays in float. The fp32 export must exist and be current (``yocr
    export``); the int8 file records the same source sha256, so it goes stale with it."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from yocr.core.io import atomic_target
    from yocr.detector.checkpoint import DEFAULT_WEIGHTS
    from yocr.detector.predictor import STRIDE

    weights = Path(weights) if weights else DEFAULT_WEIGHTS
    if not pages:
        raise CheckpointError("int8 export needs calibration pages (a few training pages of each kind)")
    opened = runtime.open_onnx(weights, "onnx")  # the current fp32 export, or a clear error
    source = runtime.onnx_beside(weights)
    imgsz = int(opened[1].get("yocr_imgsz", 1280))
    target = Path(out) if out else runtime.int8_beside(weights)
    with atomic_target(target) as tmp:
        prepared = tmp.with_name(tmp.name + ".prep.onnx")
        try:
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
            graph = onnx.load(str(prepared)).graph
            decode = [n.name for n in graph.node
                      if n.name.startswith(HEAD_PREFIX) and "/cv2." not in n.name and "/cv3." not in n.name]
            if not decode:  # another model layout: quantising its box decoding would go unnoticed
                raise CheckpointError(f"{source}: no Detect head named {HEAD_PREFIX}* to keep in float")
            quantize_static(str(prepared), str(tmp), _CalibrationPages([Path(p) for p in pages], imgsz, STRIDE),
                            quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, nodes_to_exclude=decode)
        finally:
            prepared.unlink(missing_ok=True)
        model = onnx.load(str(tmp))
        del model.metadata_props[:]
        model.metadata_props.extend(onnx.load(str(source)).metadata_props)  # the source sha256 and yocr's keys
        entry = model.metadata_props.add()
        entry.key, entry.value = "yocr_int8_pages", json.dumps([Path(p).name for p in pages])
        onnx.save(model, str(tmp))
    return target


def letterbox(image: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, float, float, float, float]:
    """ultralytics' rectangular letterbox: the padded image and ``(gain_x, gain_y, pad_x, pad_y)``."""
    h, w = image.shape[:2]
    r = min(size / h, size / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    dw, dh = (size - new_w) % stride / 2, (size - new_h) % stride / 2
    if (new_w, new_h) != (w, h):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    return image, new_w / w, new_h / h, float(left), float(top)


def to_input(image: np.ndarray) -> np.ndarray:
    """BGR uint8 ``H x W x 3`` -> RGB float32 ``[1, 3, H, W]`` in [0, 1]."""
    x = np.ascontiguousarray(image[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32)
    x *= 1.0 / 255.0
    return x[None]


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best score first (torchvision's rule: drop IoU > ``iou``)."""
    order = np.argsort(-scores, kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        h = np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter) <= iou]
    return np.asarray(keep, dtype=np.int64)


class OnnxYolo:
    """The exported detector: :meth:`predict` gives ``(boxes [N, 4] xyxy in page pixels, scores [N])`` for a BGR page."""

    def __init__(self, session: Any, meta: dict[str, str], source: str = "<onnx>"):
        if meta.get("yocr_format") != FORMAT:
            raise CheckpointError(f"{source}: not a yocr detector ONNX file (expected format {FORMAT})")
        self.session = session
        self.input = session.get_inputs()[0].name
        self.stride = int(float(meta.get("stride", 32)))
        self.imgsz = int(meta["yocr_imgsz"])
        self.names = json.loads(meta.get("yocr_names") or "[]") or list(ast.literal_eval(meta.get("names", "{}")).values())
        self.meta = json.loads(meta.get("yocr_meta") or "{}")

    def network(self, x: np.ndarray) -> np.ndarray:
        """Raw output ``[1, 4 + classes, anchors]`` for an input ``[1, 3, H, W]``."""
        return self.session.run(None, {self.input: x})[0]

    def predict(self, image: np.ndarray, size: int, conf: float, iou: float, max_det: int,
                timings: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Boxes and scores of one BGR page at inference size ``size``; ``timings`` gets the three steps' seconds."""
        import time

        t0 = time.perf_counter()
        padded, gain_x, gain_y, pad_x, pad_y = letterbox(image, size, self.stride)
        x = to_input(padded)
        t1 = time.perf_counter()
        out = self.network(x)[0]
        t2 = time.perf_counter()
        boxes, scores = decode(out, conf, iou, max_det)
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - pad_x) / gain_x
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - pad_y) / gain_y
        h, w = image.shape[:2]
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        if timings is not None:
            timings["detector_pre"] = timings.get("detector_pre", 0.0) + t1 - t0
            timings["detector_net"] = timings.get("detector_net", 0.0) + t2 - t1
            timings["detector_nms"] = timings.get("detector_nms", 0.0) + time.perf_counter() - t2
        return boxes.astype(np.float64), scores.astype(np.float64)


def decode(out: np.ndarray, conf: float, iou: float, max_det: int, max_nms: int = 30000) -> tuple[np.ndarray, np.ndarray]:
    """Network output ``[4 + classes, anchors]`` (centre x, centre y, w, h, class scores) -> NMS-kept xyxy and scores."""
    scores = out[4:].max(axis=0)
    keep = scores > conf
    xywh, scores = out[:4, keep].T, scores[keep]
    if len(scores) > max_nms:
        top = np.argsort(-scores, kind="stable")[:max_nms]
        xywh, scores = xywh[top], scores[top]
    boxes = np.empty_like(xywh)
    boxes[:, :2] = xywh[:, :2] - xywh[:, 2:] / 2
    boxes[:, 2:] = xywh[:, :2] + xywh[:, 2:] / 2
    kept = nms(boxes, scores, iou)[:max_det]
    return boxes[kept], scores[kept]
