"""``yocr export``: both models to ONNX, written beside their ``.pt`` weights, for inference on ONNX Runtime.

Each ONNX file records the sha256 of the ``.pt`` it came from; inference uses it only while the ``.pt`` is unchanged
(:mod:`yocr.runtime`), and ``tests/test_onnx.py`` fails while a shipped ``.onnx`` is stale. After replacing shipped
weights, run ``yocr export`` again.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from yocr.errors import YocrError

MODELS = ("detector", "recognizer")


def export_models(
    models: tuple[str, ...] = MODELS, detector_weights: str | Path | None = None,
    recognizer_weights: str | Path | None = None, int8_pages: tuple[str | Path, ...] = (),
) -> list[Path]:
    """Export the named models (default: both, shipped weights); returns the ONNX files written. ``int8_pages``: also
    an int8 copy of the detector, calibrated on these pages."""
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise YocrError(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(MODELS)}")
    if int8_pages and "detector" not in models:
        raise YocrError("--int8-pages quantises the detector: leave out --only, or add --only detector")
    written = []
    if "recognizer" in models:
        from yocr.recognizer.onnx_crnn import export, export_int8

        written.append(export(recognizer_weights))
        written.append(export_int8(recognizer_weights))
    if "detector" in models:
        from yocr.detector.onnx_yolo import export, export_int8

        written.append(export(detector_weights))
        if int8_pages:
            written.append(export_int8(list(int8_pages), detector_weights))
    return written


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        only: List[str] = typer.Option([], help="Export only this model: 'detector' or 'recognizer' (repeatable)."),
        detector_weights: Optional[Path] = typer.Option(None, help="Detector weights (default: shipped)."),
        recognizer_weights: Optional[Path] = typer.Option(None, help="Recognizer weights (default: shipped)."),
        int8_pages: List[Path] = typer.Option(
            [], help="Also write an int8 copy of the detector (yolo-lines.int8.onnx), calibrated on these pages "
                     "(repeatable; a few training pages of each kind). It reads documents; scenes go to fp32."),
    ) -> None:
        """Write both models to ONNX beside their .pt weights (crnn.onnx, yolo-lines.onnx); yocr then runs them on
        ONNX Runtime. Run it again after replacing weights: a stale .onnx is ignored (PyTorch runs instead)."""
        from yocr.console import err, fail

        for page in int8_pages:
            if not page.is_file():
                fail(YocrError(f"{page}: calibration page not found"))
        try:
            for path in export_models(tuple(only) or MODELS, detector_weights, recognizer_weights, tuple(int8_pages)):
                err.print(f"wrote {path}", highlight=False)
        except (YocrError, OSError, ValueError, RuntimeError) as exc:  # onnx and onnxruntime raise the last two
            fail(exc)
