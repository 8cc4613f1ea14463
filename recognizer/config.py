"""Typed configuration for the CRNN and its training; the CLI options mirror these fields one to one."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from yocr.core.defaults import REREAD_BELOW
from yocr.errors import YocrError


BACKBONES = ("vgg", "dws")
DWS_CHANNELS = (32, 64, 128, 192, 256)  # the depthwise-separable backbone's widths when none are given


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the network. ``channels`` are the widths of the five convolution stages; ``backbone`` is how they are
    built: "vgg" (plain 3 x 3 convolutions, the shipped models) or "dws" (depthwise-separable blocks, as in PP-OCR's
    mobile recognizer: more width for the same arithmetic; recognizer/model.py)."""

    height: int = 32
    channels: tuple[int, ...] = (32, 48, 80, 96, 128)
    hidden: int = 128
    lstm_layers: int = 1
    dropout: float = 0.1
    backbone: str = "vgg"

    def __post_init__(self) -> None:
        if self.height not in (32, 48, 64):
            raise YocrError(f"--height must be 32, 48 or 64, not {self.height}")
        if len(self.channels) != 5 or any(c < 4 for c in self.channels):
            raise YocrError(f"--channels must be five widths of at least 4, not {','.join(map(str, self.channels))}")
        if self.hidden < 8:
            raise YocrError(f"--hidden must be at least 8, not {self.hidden}")
        if self.lstm_layers < 1:
            raise YocrError(f"--lstm-layers must be at least 1, not {self.lstm_layers}")
        if self.backbone not in BACKBONES:
            raise YocrError(f"--backbone must be one of {', '.join(BACKBONES)}, not {self.backbone!r}")
        if not 0.0 <= self.dropout < 1.0:  # no option: only a checkpoint's stored config sets it
            raise YocrError(f"dropout must be in [0, 1), not {self.dropout}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        """The config stored in a checkpoint; one that cannot be is a ValueError (the loader names the file)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        if "channels" in kwargs:
            kwargs["channels"] = tuple(kwargs["channels"])
        try:
            return cls(**kwargs)
        except YocrError as exc:
            raise ValueError(f"stored model config: {exc}") from None


@dataclass
class TrainConfig:
    """Everything a training run needs; written to ``config.json`` in the run folder."""

    train: list[str] = field(default_factory=list)  # labels files (TRSynth-style ``name label`` or CSV)
    val: list[str] = field(default_factory=list)  # labels files; empty: hold out ``val_fraction`` of train
    out: str = "runs/recognizer"
    val_fraction: float = 0.1
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    workers: int = 2
    seed: int = 0
    augment: bool = True
    reframe: float = 0.0  # with augment: share of lines reframed first (data.augment.Reframe)
    charset: str = "ascii"  # "ascii", "extended" (ASCII + symbols + accented letters), "labels" or a file path
    oversample: list[str] = field(default_factory=list)  # "LABELS_FILE=K": that file's samples K times per epoch
    case_blind: list[str] = field(default_factory=list)  # labels files whose case is unreliable (loss ignores case)
    resume: bool = False
    init_weights: str = ""  # start from these weights (fine-tuning)
    device: str = "auto"
    max_width: int = 1024
    model: ModelConfig = field(default_factory=ModelConfig)
    max_steps_per_epoch: int = 0  # 0: whole epoch
    time_limit_min: float = 0.0  # 0: no limit

    def __post_init__(self) -> None:
        if not 0.0 <= self.val_fraction < 1.0:
            raise YocrError(f"--val-fraction must be in [0, 1), not {self.val_fraction}")
        for option, value in (("--epochs", self.epochs), ("--batch-size", self.batch_size)):
            if value < 1:
                raise YocrError(f"{option} must be at least 1, not {value}")
        if not 0.0 <= self.reframe <= 1.0:
            raise YocrError(f"--reframe must lie in [0, 1], not {self.reframe}")
        if self.reframe > 0 and not self.augment:
            raise YocrError("--reframe needs --augment")
        if self.lr <= 0:
            raise YocrError(f"--lr must be above 0, not {self.lr}")
        for option, value in (("--workers", self.workers), ("--max-steps-per-epoch", self.max_steps_per_epoch),
                              ("--time-limit-min", self.time_limit_min)):
            if value < 0:
                raise YocrError(f"{option} must be at least 0, not {value}")
        if self.max_width < 32:  # no option: the library's own
            raise YocrError(f"max_width must be at least 32, not {self.max_width}")
        for item in self.oversample:
            name, sep, k = item.rpartition("=")
            if not sep or not name or not k.isdigit() or int(k) < 1:
                raise YocrError(f"--oversample must be LABELS_FILE=K with an integer K >= 1, not {item!r}")

    def oversample_factors(self) -> dict[str, int]:
        """Resolved labels-file path -> how many times its samples appear per epoch."""
        from pathlib import Path

        out = {}
        for item in self.oversample:
            name, _, k = item.rpartition("=")
            out[str(Path(name).resolve())] = int(k)
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        return d


@dataclass(frozen=True)
class ReadConfig:
    """Options of ``yocr read``, one to one: which weights read the lines, and how."""

    weights: str | None = None  # recognizer weights (None: the shipped model)
    allow: str | None = None  # only output these characters
    batch_size: int = 64
    device: str = "auto"
    bands: bool = True  # also read the middle bands of boxy images and keep the most confident reading
    reread_below: float = REREAD_BELOW  # lines read less sure are read again in other framings (0: never)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise YocrError(f"--batch-size must be at least 1, not {self.batch_size}")
        if not 0.0 <= self.reread_below <= 1.0:
            raise YocrError(f"--reread-below must lie in [0, 1], not {self.reread_below}")
        if not self.device.strip():
            raise YocrError("--device must name a device ('auto', 'cpu', 'cuda' or 'cuda:N')")
