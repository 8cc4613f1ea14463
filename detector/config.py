"""Typed configuration of the detector's inference commands; their CLI options mirror these fields one to one.

:class:`DetectorOptions` are the options every command that runs the detector shares (``yocr detect``,
``yocr detector eval``); :class:`DetectConfig` adds what ``yocr detect`` writes. The training config lives beside
the training code (:class:`yocr.detector.train.DetectorTrainConfig`), the benchmark's beside the benchmark
(:class:`yocr.detector.evaluate.EvalConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yocr.core.defaults import DETECTOR_CONF, DETECTOR_IOU
from yocr.errors import YocrError

if TYPE_CHECKING:
    from yocr.detector.predictor import Detector


@dataclass(frozen=True)
class DetectorOptions:
    """The weights and inference settings of a :class:`~yocr.detector.predictor.Detector`."""

    weights: str | None = None  # None: the shipped model
    imgsz: int | None = None  # inference size (None: the training size stored in the weights)
    conf: float = DETECTOR_CONF  # score threshold
    iou: float = DETECTOR_IOU  # NMS IoU threshold
    tile: int = 0  # tile pages larger than this many pixels (0: whole page)
    device: str = "cpu"
    scene_weights: str | None = None  # oriented-box detector for photos of scenes (None: shipped, "none": off)

    def __post_init__(self) -> None:
        for option, value in (("--conf", self.conf), ("--iou", self.iou)):
            if not 0.0 <= value <= 1.0:
                raise YocrError(f"{option} must lie in [0, 1], not {value}")
        if self.imgsz is not None and self.imgsz < 32:
            raise YocrError(f"--imgsz must be at least 32, not {self.imgsz}")
        if self.tile < 0:
            raise YocrError(f"--tile must be at least 0, not {self.tile}")
        if not self.device.strip():
            raise YocrError("--device must name a device ('cpu', 'cuda' or 'cuda:N')")

    def load(self) -> "Detector":
        """The detector these options describe (loads the weights)."""
        from yocr.detector.predictor import Detector

        return Detector(self.weights, imgsz=self.imgsz, conf=self.conf, iou=self.iou, device=self.device,
                        tile=self.tile, scene_weights=self.scene_weights)


@dataclass(frozen=True)
class DetectConfig(DetectorOptions):
    """Options of ``yocr detect``, one to one (the images aside)."""

    out: Path | None = None  # write the JSON here instead of stdout
    overlay: Path | None = None  # folder for copies of the images with the boxes drawn
