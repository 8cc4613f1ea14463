"""The line detector's network definition and its self-describing checkpoint (no ultralytics import here).

The network is YOLO11 at scale n with one class, ``text_line`` (``detector/yolo-lines.yaml``, shipped with the
package). A yocr detector checkpoint is a plain dictionary saved with ``torch.save`` and read back with
``torch.load(..., weights_only=True)``: the model YAML as text, the ``state_dict``, the class names, the training
image size and a few facts about the run. No pickled module is ever loaded from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yocr.errors import CheckpointError

if TYPE_CHECKING:
    import torch

PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_YAML = PACKAGE_DIR / "yolo-lines.yaml"
DEFAULT_WEIGHTS = PACKAGE_DIR / "weights" / "yolo-lines.pt"
# an oriented-box detector (ultralytics OBB task) for photos of scenes, used where it is shipped (yocr run's default)
SCENE_WEIGHTS = PACKAGE_DIR / "weights" / "yolo-lines-obb.pt"
CLASS_NAMES = ("text_line",)
FORMAT = "yocr-line-detector"
VERSION = 1


def save_checkpoint(
    path: str | Path, state_dict: dict[str, "torch.Tensor"], yaml_text: str, imgsz: int, meta: dict[str, Any] | None = None
) -> Path:
    """Write a yocr detector checkpoint (floating-point weights stored as float16), through a temporary file."""
    import torch

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
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: detector weights file is empty")
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to unpickle safely means "not ours"
        first = (str(exc).splitlines() or [""])[0][:200]
        raise CheckpointError(
            f"{path}: not a readable yocr detector checkpoint ({type(exc).__name__}: {first}); "
            "ultralytics .pt files are converted by 'yocr detector train', never loaded directly"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a yocr detector checkpoint (no format '{FORMAT}')")
    if ckpt.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {ckpt['version']} is newer than this yocr ({VERSION})")
    for key in ("yaml", "state_dict", "imgsz"):
        if key not in ckpt:
            raise CheckpointError(f"{path}: checkpoint lacks '{key}'")
    if not isinstance(ckpt["yaml"], str) or not isinstance(ckpt["state_dict"], dict):
        raise CheckpointError(f"{path}: checkpoint's 'yaml' must be text and 'state_dict' a mapping")
    ckpt["yaml"] = safe_model_yaml(ckpt["yaml"], str(path))
    ckpt["path"] = str(path)
    return ckpt


# --- Model YAML validation: a checkpoint's YAML is data, never code ----------------------------------------------
# ultralytics' model builder eval()s a YAML's ``activation:`` entry and looks layer module names up in its own
# globals, so a shared weights file could otherwise run code. Every YAML that reaches ultralytics (checkpoints and
# ``--model`` files) passes through :func:`safe_model_yaml`: keys, module names, activations and argument values are
# checked against allowlists, and what ultralytics reads is a fresh dump of the checked data (no tags, no comments).

YAML_KEYS = frozenset(
    {"nc", "depth_multiple", "width_multiple", "scales", "scale", "backbone", "head", "activation", "kpt_shape",
     "ch", "channels", "end2end", "reg_max", "yaml_file"}
)
ALLOWED_ACTIVATIONS = frozenset(
    {"nn.SiLU()", "nn.ReLU()", "nn.ReLU6()", "nn.LeakyReLU(0.1)", "nn.Hardswish()", "nn.GELU()", "nn.Mish()",
     "nn.Identity()"}
)
ALLOWED_MODULES = frozenset(
    {"Conv", "Conv2", "ConvTranspose", "DWConv", "DWConvTranspose2d", "GhostConv", "RepConv", "Focus", "Bottleneck",
     "BottleneckCSP", "C1", "C2", "C2f", "C3", "C3x", "C3TR", "C3Ghost", "C3k2", "C2fAttn", "C2PSA", "C2fPSA", "PSA",
     "SCDown", "C2fCIB", "RepNCSPELAN4", "ELAN1", "ADown", "AConv", "SPPELAN", "SPP", "SPPF", "A2C2f", "HGStem",
     "HGBlock", "ResNetLayer", "GhostBottleneck", "CBLinear", "CBFuse", "Concat", "Detect", "OBB", "Segment",
     "Pose", "Classify", "v10Detect", "nn.Upsample", "nn.Identity", "TorchVision", "Index"}
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
_MAX_LAYERS = 200


def _check_arg(value: Any, where: str) -> None:
    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        if not _NAME.match(value):  # plain names only: "nearest", "nc"; never an expression
            raise CheckpointError(f"{where}: argument {value!r} is not allowed in a model YAML")
        return
    if isinstance(value, list) and len(value) <= 16:
        for v in value:
            _check_arg(v, where)
        return
    raise CheckpointError(f"{where}: argument {value!r} is not allowed in a model YAML")


def _check_layer(layer: Any, where: str) -> None:
    if not (isinstance(layer, list) and len(layer) == 4):
        raise CheckpointError(f"{where}: a layer must be [from, repeats, module, args], got {layer!r}")
    source, repeats, module, args = layer
    sources = source if isinstance(source, list) else [source]
    if not sources or not all(isinstance(s, int) and not isinstance(s, bool) for s in sources):
        raise CheckpointError(f"{where}: 'from' must be an integer or a list of integers, got {source!r}")
    if not (isinstance(repeats, int) and not isinstance(repeats, bool) and 1 <= repeats <= 64):
        raise CheckpointError(f"{where}: 'repeats' must be an integer from 1 to 64, got {repeats!r}")
    if module not in ALLOWED_MODULES:
        raise CheckpointError(f"{where}: module {module!r} is not an allowed ultralytics block")
    if not isinstance(args, list):
        raise CheckpointError(f"{where}: 'args' must be a list, got {args!r}")
    for a in args:
        _check_arg(a, where)


def safe_model_yaml(text: str, source: str = "model YAML") -> str:
    """The model YAML ``text`` checked against yocr's allowlists and re-serialised; raises :class:`CheckpointError`
    naming ``source`` for anything that is not a plain YOLO architecture (an expression, an unknown block, a tag)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CheckpointError(f"{source}: model YAML does not parse ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{source}: model YAML is not a mapping")
    unknown = sorted(str(k) for k in data if k not in YAML_KEYS)
    if unknown:
        raise CheckpointError(f"{source}: model YAML has keys that are not allowed: {', '.join(unknown)}")
    activation = data.get("activation")
    if activation is not None and activation not in ALLOWED_ACTIVATIONS:
        raise CheckpointError(
            f"{source}: activation {str(activation)[:80]!r} is not allowed (allowed: {', '.join(sorted(ALLOWED_ACTIVATIONS))})"
        )
    for key in ("nc", "ch", "channels", "reg_max"):
        if key in data and not (isinstance(data[key], int) and not isinstance(data[key], bool) and 0 < data[key] <= 1000):
            raise CheckpointError(f"{source}: '{key}' must be a positive integer, got {data[key]!r}")
    for key in ("depth_multiple", "width_multiple"):
        if key in data and not (isinstance(data[key], (int, float)) and 0 < data[key] <= 4):
            raise CheckpointError(f"{source}: '{key}' must be a number in (0, 4], got {data[key]!r}")
    for key in ("end2end",):
        if key in data and not isinstance(data[key], bool):
            raise CheckpointError(f"{source}: '{key}' must be true or false, got {data[key]!r}")
    if "scales" in data:
        scales = data["scales"]
        if not isinstance(scales, dict) or not all(
            isinstance(k, str) and _NAME.match(k) and isinstance(v, list) and len(v) == 3
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            for k, v in scales.items()
        ):
            raise CheckpointError(f"{source}: 'scales' must map scale letters to [depth, width, max_channels]")
    if "scale" in data and not (isinstance(data["scale"], str) and _NAME.match(data["scale"])):
        raise CheckpointError(f"{source}: 'scale' must be a scale letter, got {data['scale']!r}")
    if "kpt_shape" in data:
        _check_arg(data["kpt_shape"], f"{source}: kpt_shape")
    if "yaml_file" in data and not (isinstance(data["yaml_file"], str) and len(data["yaml_file"]) < 300):
        raise CheckpointError(f"{source}: 'yaml_file' must be a short string")
    layers = 0
    for part in ("backbone", "head"):
        entries = data.get(part)
        if not isinstance(entries, list) or not entries:
            raise CheckpointError(f"{source}: model YAML needs a non-empty '{part}' list")
        for i, layer in enumerate(entries):
            _check_layer(layer, f"{source}: {part}[{i}]")
        layers += len(entries)
    if layers > _MAX_LAYERS:
        raise CheckpointError(f"{source}: model YAML has {layers} layers (at most {_MAX_LAYERS})")
    return yaml.safe_dump(data, sort_keys=False)
