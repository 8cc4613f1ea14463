"""The CRNN on ONNX Runtime: export from a checkpoint (dynamic batch and width), and the network as a callable.

The exported file carries what a checkpoint carries, as ONNX metadata: the charset text, the model config, and the
sha256 of the ``.pt`` it came from (:data:`yocr.runtime.SOURCE_KEY`). :class:`OnnxCRNN` needs neither torch nor the
``.pt`` to read lines.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from yocr.errors import CheckpointError
from yocr.recognizer.charset import Charset
from yocr import runtime

FORMAT = "yocr-crnn-onnx/1"
OPSET = 17
INT8_OPS = ["LSTM", "MatMul"]  # quantised in the int8 copy (export_int8)


def export(weights: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Write the CRNN of ``weights`` (default: shipped) to ONNX, beside it unless ``out`` is given; returns the path."""
    import torch

    from yocr.recognizer import checkpoint

    weights = Path(weights) if weights else checkpoint.default_weights()
    model, charset, meta = checkpoint.load(weights)
    example = torch.ones(2, 1, model.config.height, 96)

    def build(tmp: Path) -> None:
        with warnings.catch_warnings():  # the tracer's notes on the input check and the LSTM's initial state
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model.eval(), (example,), str(tmp), input_names=["images"], output_names=["logits"],
                opset_version=OPSET, dynamic_axes={"images": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "steps"}},
                dynamo=False,
            )

    info = {
        "yocr_charset": charset.to_text(),
        "yocr_model_config": json.dumps(model.config.to_dict()),
        "yocr_meta": json.dumps(meta, default=str),
    }
    return runtime.write_onnx(Path(out) if out else runtime.onnx_beside(weights), build, weights, FORMAT, info)


def export_int8(weights: str | Path | None = None, out: str | Path | None = None) -> Path:
    """An int8 copy of the CRNN's ONNX export (``crnn.int8.onnx`` beside the weights unless ``out`` is given):
    onnxruntime's dynamic quantisation of the BiLSTM and the output layer (int8 weights, activations quantised per
    batch as it runs, so no calibration set), the convolutions left in float: quantising them too (static, calibrated
    on training crops) added 3 % more lines/s and was left out. The fp32 export must exist and be current (``yocr
    export``); the int8 file records the same source sha256, so it goes stale with it."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from yocr.core.io import atomic_target
    from yocr.recognizer import checkpoint

    weights = Path(weights) if weights else checkpoint.default_weights()
    runtime.open_onnx(weights, "onnx")  # the current fp32 export, or a clear error
    source = runtime.onnx_beside(weights)
    target = Path(out) if out else runtime.int8_beside(weights)
    with atomic_target(target) as tmp:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, op_types_to_quantize=INT8_OPS)
        model = onnx.load(str(tmp))
        del model.metadata_props[:]
        model.metadata_props.extend(onnx.load(str(source)).metadata_props)  # the source sha256 and yocr's keys
        entry = model.metadata_props.add()
        entry.key, entry.value = "yocr_int8", "dynamic: " + ", ".join(INT8_OPS)
        onnx.save(model, str(tmp))
    return target


class OnnxCRNN:
    """The exported CRNN: ``[B, 1, H, W]`` float32 in [0, 1] (ink dark) -> logits ``[B, T, C]`` as a numpy array."""

    def __init__(self, session: Any, meta: dict[str, str], source: str = "<onnx>"):
        if meta.get("yocr_format") != FORMAT:
            raise CheckpointError(f"{source}: not a yocr recognizer ONNX file (expected format {FORMAT})")
        self.session = session
        self.charset = Charset(meta["yocr_charset"])
        self.config = json.loads(meta["yocr_model_config"])
        self.meta = json.loads(meta.get("yocr_meta") or "{}")
        self.height = int(self.config["height"])

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"images": np.ascontiguousarray(images, dtype=np.float32)})[0]
