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
