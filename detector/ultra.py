"""The one place that imports ultralytics: offline set-up, building models from YAML, training and prediction.

Before ultralytics is imported, :func:`configure` sets ``YOLO_OFFLINE=1`` and points ``YOLO_CONFIG_DIR`` at a
writable yocr folder (``$YOCR_CACHE/ultralytics``, default ``~/.cache/yocr/ultralytics``), and places a Debian font
there as ``Arial.ttf`` / ``Arial.Unicode.ttf`` so that ultralytics' font check never downloads. Models are built
from YAML, never from a downloaded ``yolo*.pt``, and trained with ``amp=False`` (AMP's check downloads a model).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from yocr.detector.checkpoint import CLASS_NAMES, safe_model_yaml
from yocr.errors import CheckpointError, YocrError

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
)


def cache_dir() -> Path:
    """yocr's writable cache: ``$YOCR_CACHE`` or ``~/.cache/yocr``, falling back to the temporary folder."""
    root = Path(os.environ.get("YOCR_CACHE") or Path.home() / ".cache" / "yocr").expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    root = Path(tempfile.gettempdir()) / f"yocr-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _place_fonts(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    source = next((Path(p) for p in _FONT_CANDIDATES if Path(p).is_file()), None)
    if source is None:
        return  # ultralytics then falls back to matplotlib's fonts; it only downloads when online
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = folder / name
        if not target.exists():
            shutil.copyfile(source, target)


def configure() -> Path:
    """Prepare the environment ultralytics reads at import; returns its user config folder. Idempotent."""
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["ULTRALYTICS_SAFE_LOAD"] = "1"  # never eval() a YAML's activation (yocr also checks every YAML first)
    os.environ.setdefault("YOLO_CONFIG_DIR", str(cache_dir() / "ultralytics"))
    config_dir = Path(os.environ["YOLO_CONFIG_DIR"]).expanduser() / "Ultralytics"  # ultralytics adds this level
    _place_fonts(config_dir)
    if "ultralytics" in sys.modules:  # imported before us: make sure its actual folder has the fonts too
        from ultralytics.utils import USER_CONFIG_DIR

        _place_fonts(Path(USER_CONFIG_DIR))
        config_dir = Path(USER_CONFIG_DIR)
    return config_dir


def _ultralytics():
    configure()
    import ultralytics
    from ultralytics.utils import SETTINGS

    if SETTINGS.get("sync", False):
        SETTINGS.update({"sync": False})  # no analytics, whatever the machine's settings say
    _restore_pil_open()
    return ultralytics


def _restore_pil_open() -> None:
    """Undo ultralytics' patch of ``PIL.Image.open``, which tries to pip-install a HEIF plugin whenever Pillow cannot
    identify a file: yocr must never install anything, and a non-image must fail with a plain error."""
    from PIL import Image

    try:
        from ultralytics.utils import patches
    except ImportError:
        return
    original = getattr(patches, "_image_open", None)
    if original is not None and Image.open is not original:
        Image.open = original


def device_arg(device: str) -> str:
    """yocr's device names (``auto``, ``cpu``, ``cuda``, ``cuda:N``) in ultralytics' terms (``cpu``, ``0``, ``N``)."""
    import torch

    device = str(device).strip().lower()
    if device in ("auto", ""):
        return "0" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        return "0"
    if device.startswith("cuda:"):
        return device.split(":", 1)[1]
    return device


def build_model(model_yaml: str | Path):
    """A fresh, untrained ultralytics ``YOLO`` from a model YAML file, checked by :func:`safe_model_yaml` first."""
    path = Path(model_yaml)
    if not path.is_file():
        raise YocrError(f"{path}: model YAML not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YocrError(f"{path}: model YAML cannot be read ({exc})") from None
    return _build_checked(safe_model_yaml(text, str(path)))


def yaml_task(yaml_text: str) -> str:
    """ultralytics' task of a model YAML: ``obb`` when its head is the oriented-box ``OBB`` module, else ``detect``."""
    import yaml

    head = (yaml.safe_load(yaml_text) or {}).get("head") or [[]]
    last = head[-1] if isinstance(head[-1], (list, tuple)) else []
    return "obb" if len(last) > 2 and last[2] == "OBB" else "detect"


def _build_checked(checked_yaml: str):
    YOLO = _ultralytics().YOLO
    return YOLO(str(_yaml_file(checked_yaml)), task=yaml_task(checked_yaml))


def _yaml_file(yaml_text: str) -> Path:
    """The checkpoint's model YAML as a file (ultralytics builds models from files), content-addressed in the cache."""
    digest = hashlib.sha256(yaml_text.encode("utf-8")).hexdigest()[:16]
    path = cache_dir() / "models" / f"lines-{digest}.yaml"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(yaml_text, encoding="utf-8")
        tmp.replace(path)
    return path


def model_from_checkpoint(ckpt: dict[str, Any]):
    """An ultralytics ``YOLO`` built from a yocr checkpoint's YAML, with its weights loaded (float32, eval mode)."""
    yolo = _build_checked(safe_model_yaml(ckpt["yaml"], str(ckpt.get("path", "checkpoint"))))
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in ckpt["state_dict"].items()}
    try:
        yolo.model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{ckpt.get('path', 'checkpoint')}: weights do not fit its model YAML ({exc})") from None
    yolo.model.names = dict(enumerate(ckpt.get("names") or CLASS_NAMES))
    yolo.model.float().eval()
    return yolo


def load_run_weights(path: str | Path, task: str = "detect"):
    """An ultralytics ``YOLO`` from a ``.pt`` of one of our own training runs (last.pt / best.pt, for resuming)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: training checkpoint not found")
    return _ultralytics().YOLO(str(path), task=task)


def train(yolo, **kwargs: Any):
    """Run ultralytics training on ``yolo`` (offline, ``amp=False``); returns the ``YOLO`` holding the best weights."""
    kwargs.setdefault("amp", False)
    kwargs.setdefault("verbose", False)
    yolo.train(**kwargs)
    return yolo


def init_from(yolo, weights_yolo) -> None:
    """Make ``yolo.train`` start from ``weights_yolo``'s weights (fine-tuning) instead of a fresh initialisation.

    Weights of another task (axis-aligned weights for an oriented-box model) go in layer by layer wherever the
    shapes agree: all but the head's new branch."""
    if type(yolo.model) is not type(weights_yolo.model):
        yolo.model.load(weights_yolo.model)
        yolo.ckpt = {"yocr_init": True}
        return
    yolo.model = weights_yolo.model
    yolo.ckpt = {"yocr_init": True}  # ultralytics then hands the loaded module to the trainer as its weights


def predict(yolo, images: list[np.ndarray], imgsz: int, conf: float, iou: float, device: str, max_det: int) -> list:
    """ultralytics ``Results`` for BGR uint8 images (letterboxed to ``imgsz`` on the long side, minimal padding)."""
    return yolo.predict(
        source=images, imgsz=imgsz, conf=conf, iou=iou, device=device_arg(device), max_det=max_det, verbose=False,
        save=False,
    )


def version() -> str:
    return _ultralytics().__version__


def export_onnx(yolo, out: str | Path, imgsz: int) -> Path:
    """Write ``yolo`` to ONNX at ``out`` with dynamic batch, height and width (ultralytics' exporter, on the CPU,
    simplified with onnxslim; every package it checks for is a yocr dependency, so nothing is installed)."""
    out = Path(out)
    written = Path(
        yolo.export(format="onnx", imgsz=imgsz, dynamic=True, simplify=True, device="cpu", verbose=False)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(written), str(out))
    return out
