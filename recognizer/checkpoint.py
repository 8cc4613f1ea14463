"""Self-describing checkpoints: weights + charset text + model config (+ metadata), loaded with weights_only."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yocr.errors import CheckpointError
from yocr.recognizer.charset import Charset
from yocr.recognizer.config import ModelConfig

if TYPE_CHECKING:
    from yocr.recognizer.model import CRNN

FORMAT = "yocr-crnn/1"
DEFAULT_WEIGHTS = "crnn.pt"


def default_weights() -> Path:
    """The recognizer weights shipped inside the package."""
    return Path(str(resources.files("yocr.recognizer") / "weights" / DEFAULT_WEIGHTS))


def save(path: str | Path, model: "CRNN", charset: Charset, meta: dict[str, Any] | None = None, **extra: Any) -> None:
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "charset": charset.to_text(),
        "model_config": model.config.to_dict(),
        "meta": meta or {},
        **extra,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_state(path: str | Path) -> dict[str, Any]:
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a bad file
        raise CheckpointError(f"{path}: not a readable weights file ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a yocr recognizer checkpoint (expected format {FORMAT})")
    return state


def load(path: str | Path | None = None) -> tuple["CRNN", Charset, dict[str, Any]]:
    """Model (in eval mode), charset and metadata from a checkpoint; the shipped default when ``path`` is None."""
    from yocr.recognizer.model import CRNN

    path = Path(path) if path else default_weights()
    state = load_state(path)
    charset = Charset(state["charset"])
    model = CRNN(charset.num_classes, ModelConfig.from_dict(state["model_config"]))
    try:
        model.load_state_dict(state["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the stored config ({exc})") from None
    return model.eval(), charset, state.get("meta", {})
