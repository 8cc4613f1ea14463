"""Training of the line detector: a typed config, ultralytics' trainer, and a yocr checkpoint of the best weights.

A run lives in ``out/name/``: ultralytics writes ``weights/{best,last}.pt``, ``args.yaml`` and ``results.csv``
there; yocr adds ``config.json`` (the resolved :class:`DetectorTrainConfig`) and ``yolo-lines.pt`` (the best weights
as a yocr checkpoint, loadable with ``weights_only=True``), and copies it to ``weights_out`` when one is given.
``resume=True`` continues the run from its ``weights/last.pt``.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from yocr.core.io import atomic_write_text
from yocr.detector import ultra
from yocr.detector.checkpoint import MODEL_YAML, load_checkpoint, save_checkpoint
from yocr.errors import YocrError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectorTrainConfig:
    """Options of ``yocr detector train``, one to one. ``model`` empty means the shipped ``yolo-lines.yaml``."""

    data: str
    epochs: int = 100
    imgsz: int = 960
    batch: int = 16
    device: str = "auto"
    workers: int = 2
    out: str = "runs/detector"
    name: str = "lines"
    resume: bool = False
    seed: int = 0
    model: str = ""
    init_weights: str = ""  # a yocr detector checkpoint to fine-tune from
    patience: int = 30
    weights_out: str = ""  # where to copy the best weights (e.g. detector/weights/yolo-lines.pt)
    time_hours: float = 0.0  # stop after this many hours (0: no limit)
    fliplr: float = 0.5
    degrees: float = 0.0
    scale: float = 0.5
    mosaic: float = 1.0
    close_mosaic: int = 10
    cache: bool = False
    plots: bool = True
    val: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # any other ultralytics train argument

    def __post_init__(self) -> None:
        if not self.data:
            raise YocrError("--data (a dataset YAML) is required")
        if self.epochs < 1:
            raise YocrError(f"--epochs must be at least 1, not {self.epochs}")
        if self.batch == 0:
            raise YocrError("--batch must not be 0: give a batch size, or -1 for as large as GPU memory allows")
        for option, value in (("--workers", self.workers), ("--patience", self.patience),
                              ("--time-hours", self.time_hours)):
            if value < 0:
                raise YocrError(f"{option} must be at least 0, not {value}")
        if self.imgsz < 32 or self.imgsz % 32:
            raise YocrError(f"--imgsz must be a multiple of 32 and at least 32, not {self.imgsz}")
        for option, value in (("--fliplr", self.fliplr), ("--mosaic", self.mosaic)):
            if not 0.0 <= value <= 1.0:
                raise YocrError(f"{option} must lie in [0, 1], not {value}")
        if not 0.0 <= self.scale < 1.0:
            raise YocrError(f"--scale must lie in [0, 1), not {self.scale}")

    @property
    def run_dir(self) -> Path:
        return Path(self.out) / self.name

    @property
    def model_yaml(self) -> Path:
        return Path(self.model) if self.model else MODEL_YAML

    def ultralytics_args(self) -> dict[str, Any]:
        args = dict(
            data=str(Path(self.data).resolve()),
            epochs=self.epochs,
            imgsz=self.imgsz,
            batch=self.batch,
            device=ultra.device_arg(self.device),
            workers=self.workers,
            project=str(Path(self.out).resolve()),
            name=self.name,
            exist_ok=True,
            seed=self.seed,
            deterministic=True,
            patience=self.patience,
            amp=False,
            fliplr=self.fliplr,
            degrees=self.degrees,
            scale=self.scale,
            mosaic=self.mosaic,
            close_mosaic=self.close_mosaic,
            cache=self.cache,
            plots=self.plots,
            val=self.val,
            single_cls=True,
            pretrained=bool(self.init_weights),  # True: keep the --init-weights module handed to the trainer
        )
        if self.init_weights:
            args["warmup_epochs"] = 0.5  # fine-tuning: a long high-lr warm-up would undo the loaded weights
            args["warmup_bias_lr"] = 0.0
        if self.time_hours:
            args["time"] = self.time_hours
        args.update(self.extra)
        return args


def check_data(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise YocrError(f"{path}: dataset YAML not found (make one with 'yocr data yolo' or 'yocr data synth-pages')")
    return path


def train(config: DetectorTrainConfig) -> Path:
    """Train (or resume) a line detector; returns the yocr checkpoint of the best weights."""
    check_data(config.data)
    run = config.run_dir
    last = run / "weights" / "last.pt"
    if config.resume:
        if not last.is_file():
            raise YocrError(f"{last}: nothing to resume (no last.pt in the run folder)")
        config = _as_started(config)
        yolo = ultra.load_run_weights(last, ultra.yaml_task(config.model_yaml.read_text(encoding="utf-8")))
        args: dict[str, Any] = {"resume": True}
    else:
        if last.is_file():
            raise YocrError(f"{run}: a run is already there: pass --resume to continue it or choose another --name")
        if not config.model_yaml.is_file():
            raise YocrError(f"{config.model_yaml}: model YAML not found")
        yolo = ultra.build_model(config.model_yaml)
        if config.init_weights:
            ultra.init_from(yolo, ultra.model_from_checkpoint(load_checkpoint(config.init_weights)))
        args = config.ultralytics_args()
        args["model"] = str(config.model_yaml.resolve())
    run.mkdir(parents=True, exist_ok=True)
    resolved = {**asdict(config), "ultralytics": args, "ultralytics_version": ultra.version()}
    atomic_write_text(run / "config.json", json.dumps(resolved, indent=1, default=str))
    yolo = ultra.train(yolo, **args)
    return export_best(yolo, config)


def _as_started(config: DetectorTrainConfig) -> DetectorTrainConfig:
    """On resume, the model YAML and image size are those the run started with (from its ``config.json``)."""
    saved = config.run_dir / "config.json"
    if not saved.is_file():
        return config
    previous = json.loads(saved.read_text(encoding="utf-8"))
    return replace(config, model=previous.get("model", config.model), imgsz=previous.get("imgsz", config.imgsz))


def export_best(yolo: Any, config: DetectorTrainConfig) -> Path:
    """Write the trained ``YOLO``'s weights as ``run/yolo-lines.pt`` (yocr checkpoint) and copy to ``weights_out``."""
    metrics = {}
    trainer = getattr(yolo, "trainer", None)
    if trainer is not None and getattr(trainer, "metrics", None):
        metrics = {str(k): float(v) for k, v in trainer.metrics.items() if isinstance(v, (int, float))}
    meta = {
        "data": str(Path(config.data).resolve()),
        "epochs": config.epochs,
        "seed": config.seed,
        "metrics": metrics,
        "ultralytics_version": ultra.version(),
        "source": str(getattr(trainer, "best", "")),
    }
    path = save_checkpoint(
        config.run_dir / "yolo-lines.pt", yolo.model.state_dict(), config.model_yaml.read_text(encoding="utf-8"),
        config.imgsz, meta,
    )
    if config.weights_out:
        target = Path(config.weights_out)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return target
    return path
