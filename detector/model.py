"""The line detector's network definition and its self-describing checkpoint (no ultralytics import here).

The network is YOLO11 at scale n with one class, ``text_line`` (``detector/yolo-lines.yaml``, shipped with the
package). A yocr detector checkpoint is a plain dictionary saved with ``torch.save`` and read back with
``torch.load(..., weights_only=True)``: the model YAML as text, the ``state_dict``, the class names, the training
image size and a few facts about the run. No pickled module is ever loaded from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from yocr.errors import CheckpointError

PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_YAML = PACKAGE_DIR / "yolo-lines.yaml"
DEFAULT_WEIGHTS = PACKAGE_DIR / "weights" / "yolo-lines.pt"
CLASS_NAMES = ("text_line",)
FORMAT = "yocr-line-detector"
VERSION = 1


def save_checkpoint(
    path: str | Path, state_dict: dict[str, torch.Tensor], yaml_text: str, imgsz: int, meta: dict[str, Any] | None = None
) -> Path:
    """Write a yocr detector checkpoint (floating-point weights stored as float16), through a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()) for k, v in state_dict.items()}
    ckpt = {
        "format": FORMAT,
        "version": VERSION,
        "yaml": yaml_text,
        "state_dict": weights,
        "names": list(CLASS_NAMES),
        "imgsz": int(imgsz),
        "meta": dict(meta or {}),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(ckpt, tmp)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path | None = None) -> dict[str, Any]:
    """Read a yocr detector checkpoint (default: the shipped weights) with ``weights_only=True``.

    Raises :class:`CheckpointError` naming the file when it is missing, unreadable or not a yocr detector checkpoint.
    """
    path = Path(path) if path else DEFAULT_WEIGHTS
    if not path.is_file():
        hint = (
            " (the shipped detector weights are not built yet: train with 'yocr detector train' or pass --weights)"
            if path == DEFAULT_WEIGHTS
            else ""
        )
        raise CheckpointError(f"{path}: detector weights not found{hint}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to unpickle safely means "not ours"
        raise CheckpointError(
            f"{path}: not a readable yocr detector checkpoint ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "ultralytics .pt files are converted by 'yocr detector train', never loaded directly"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a yocr detector checkpoint (no format '{FORMAT}')")
    if ckpt.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {ckpt['version']} is newer than this yocr ({VERSION})")
    for key in ("yaml", "state_dict", "imgsz"):
        if key not in ckpt:
            raise CheckpointError(f"{path}: checkpoint lacks '{key}'")
    ckpt["path"] = str(path)
    return ckpt
