"""The detector's commands: ``yocr detector train|eval`` and ``yocr detect``.

``register(app)`` adds them to the main ``yocr`` app. Each command parses its options into one typed, checked config
(:class:`~yocr.detector.train.DetectorTrainConfig`, :class:`~yocr.detector.evaluate.EvalConfig`,
:class:`~yocr.detector.config.DetectConfig`) and calls library code. The detector's training data is made by
``yocr data yolo|synth-pages|augment-boxes`` (:mod:`yocr.data.cli`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from yocr.console import err, fail as _fail
from yocr.core.defaults import DETECTOR_CONF, DETECTOR_IOU
from yocr.errors import YocrError


# The options `detect` and `detector eval` share (their configs share DetectorOptions).
Weights = Annotated[Optional[Path], typer.Option(help="Detector weights (default: the shipped model).")]
ImgSize = Annotated[Optional[int], typer.Option(help="Inference size (default: the training size; 1.5 x it for pages "
                                                                "over 2,600 px; smaller where the print is large).")]
Conf = Annotated[float, typer.Option(help="Score threshold.")]
Iou = Annotated[float, typer.Option(help="NMS IoU threshold.")]
Tile = Annotated[int, typer.Option(help="Tile pages larger than this many pixels (0: whole page).")]
SceneWeights = Annotated[Optional[str], typer.Option(
    help="Oriented-box (OBB) detector for photos of scenes (default: the shipped one where there is one; 'none').")]
Device = Annotated[str, typer.Option()]


def register(app: typer.Typer) -> typer.Typer:
    """Add ``detect`` and the ``detector`` group (``train``, ``eval``) to ``app``; the group is returned."""
    detector_app = typer.Typer(help="Train and evaluate the YOLO text-line detector.", no_args_is_help=True)
    detector_app.command("train")(detector_train_cmd)
    detector_app.command("eval")(detector_eval_cmd)
    app.command("detect")(detect_cmd)
    app.add_typer(detector_app, name="detector")
    return detector_app


# --- detector -------------------------------------------------------------------------------------------------


def detector_train_cmd(
    data: Path = typer.Option(..., help="Dataset YAML (from 'yocr data yolo' or 'yocr data synth-pages')."),
    epochs: int = typer.Option(100),
    imgsz: int = typer.Option(960, help="Training image size (long side), a multiple of 32."),
    batch: int = typer.Option(16, help="Batch size (-1: as large as GPU memory allows)."),
    device: str = typer.Option("auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'."),
    workers: int = typer.Option(2, help="Data-loading processes."),
    out: Path = typer.Option(Path("runs/detector"), help="Folder of runs."),
    name: str = typer.Option("lines", help="Run name: the run lives in OUT/NAME."),
    resume: bool = typer.Option(False, help="Continue the run OUT/NAME from its weights/last.pt."),
    seed: int = typer.Option(0),
    model: Optional[Path] = typer.Option(None, help="Model YAML (default: the shipped yolo-lines.yaml)."),
    init_weights: Optional[Path] = typer.Option(None, help="yocr detector checkpoint to fine-tune from."),
    patience: int = typer.Option(30, help="Stop after this many epochs without improvement."),
    weights_out: Optional[Path] = typer.Option(None, help="Copy the best weights (yocr checkpoint) here."),
    time_hours: float = typer.Option(0.0, help="Stop after this many hours (0: no limit)."),
    fliplr: float = typer.Option(0.5, help="Probability of a horizontal flip."),
    degrees: float = typer.Option(0.0, help="Largest rotation, degrees."),
    scale: float = typer.Option(0.5, help="Scale jitter (+- share)."),
    mosaic: float = typer.Option(1.0, help="Probability of mosaic."),
    close_mosaic: int = typer.Option(10, help="Switch mosaic off for the last N epochs."),
    cache: bool = typer.Option(False, help="Cache decoded images in memory."),
    plots: bool = typer.Option(True, help="Write ultralytics' plots."),
    lr0: float = typer.Option(0.0, help="Initial learning rate with AdamW (0: ultralytics chooses optimizer and "
                                        "rate)."),
) -> None:
    """Train the YOLO line detector; writes OUT/NAME/yolo-lines.pt (best weights) and config.json."""
    from yocr.detector.train import DetectorTrainConfig, train

    try:
        cfg = DetectorTrainConfig(
            data=str(data), epochs=epochs, imgsz=imgsz, batch=batch, device=device, workers=workers, out=str(out),
            name=name, resume=resume, seed=seed, model=str(model or ""), init_weights=str(init_weights or ""),
            patience=patience, weights_out=str(weights_out or ""), time_hours=time_hours, fliplr=fliplr,
            degrees=degrees, scale=scale, mosaic=mosaic, close_mosaic=close_mosaic, cache=cache, plots=plots,
            extra={"optimizer": "AdamW", "lr0": lr0} if lr0 > 0 else {},
        )
        best = train(cfg)
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)
    err.print(f"best weights: {best}")


def detector_eval_cmd(
    data: Optional[Path] = typer.Argument(
        None, help="Folder holding sroie-train/ and funsd-train/ (and ic15-train/, plates-us/ where present)."
    ),
    sroie: Optional[Path] = typer.Option(None, help="SROIE folder (receipts 526-625 are scored)."),
    funsd: Optional[Path] = typer.Option(None, help="FUNSD folder (the last 30 forms are scored)."),
    yolo: List[Path] = typer.Option([], help="YOLO folder whose val split is scored too (e.g. synthetic book pages)."),
    weights: Weights = None,
    imgsz: ImgSize = None,
    conf: Conf = DETECTOR_CONF,
    iou: Iou = DETECTOR_IOU,
    tile: Tile = 0,
    device: Device = "cpu",
    scene_weights: SceneWeights = None,
    limit: int = typer.Option(0, help="Score only the first N pages of each set (0: all)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures as JSON here."),
) -> None:
    """Benchmark: box precision, recall and F1 at IoU 0.5 on SROIE 526-625, the last 30 FUNSD forms, and (where the
    data folder has them) ICDAR 2015 street photos 901-1000 (words; ### regions ignored) and the plate photos."""
    from yocr.detector.evaluate import EvalConfig

    try:
        config = EvalConfig(
            data=data, sroie=sroie, funsd=funsd, yolo=tuple(yolo), weights=str(weights) if weights else None,
            imgsz=imgsz, conf=conf, iou=iou, tile=tile, device=device, scene_weights=scene_weights, limit=limit,
            json_out=json_out,
        )
        detector, results = _evaluate(config)
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)
    _print_scores(detector, results)
    if config.json_out:
        from yocr.core.io import atomic_write_text

        atomic_write_text(config.json_out, json.dumps([r.to_dict() for r in results], indent=1))


def _evaluate(config):
    """The detector ``config`` describes and its scores on each of the config's sets, with a progress bar."""
    from rich.progress import Progress

    from yocr.core.defaults import ROW_GAP
    from yocr.detector.evaluate import SET_GAPS, evaluate_detector

    sets = config.sets()
    detector = config.load()
    results = []
    with Progress(console=err) as bar:
        for name, pages in sets.items():
            task = bar.add_task(name, total=len(pages))
            results.append(evaluate_detector(detector, pages, name, gap=SET_GAPS.get(name, ROW_GAP),
                                             progress=lambda: bar.advance(task)))
    return detector, results


def _print_scores(detector, results) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"line detection, IoU 0.5 ({detector.meta.get('path', '')}, imgsz {detector.imgsz})")
    for col in ("set", "pages", "lines", "precision", "recall", "F1", "s/page"):
        table.add_column(col)
    for r in results:
        table.add_row(r.name, str(r.pages), str(r.truths), f"{r.precision:.3f}", f"{r.recall:.3f}", f"{r.f1:.3f}",
                      f"{r.seconds_per_page:.3f}")
    Console().print(table)


# --- detect -------------------------------------------------------------------------------------------------------


def detect_cmd(
    images: List[Path] = typer.Argument(..., help="Page images."),
    weights: Weights = None,
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the JSON here instead of stdout."),
    overlay: Optional[Path] = typer.Option(None, help="Folder for copies of the images with the boxes drawn."),
    imgsz: ImgSize = None,
    conf: Conf = DETECTOR_CONF,
    iou: Iou = DETECTOR_IOU,
    tile: Tile = 0,
    device: Device = "cpu",
) -> None:
    """Find text lines: prints JSON, one entry per image with its line boxes (x0, y0, x1, y1 in pixels) and scores,
    in reading order. Images are read as `yocr run` reads them (EXIF orientation; the first page of a PDF or TIFF)."""
    from yocr.detector.config import DetectConfig

    try:
        config = DetectConfig(weights=str(weights) if weights else None, out=out, overlay=overlay, imgsz=imgsz,
                              conf=conf, iou=iou, tile=tile, device=device)
        detector = config.load()
    except (YocrError, ValueError) as exc:
        _fail(exc)
    entries, failed = _detect_pages(detector, images, config.overlay)
    _write_entries(entries, config.out)
    if failed:
        raise typer.Exit(1)


def _detect_pages(detector, images: List[Path], overlay: Optional[Path]) -> tuple[list[dict], int]:
    """The JSON entries of the pages that load (overlays written to ``overlay``) and how many failed to."""
    from yocr.core.image import load_image

    entries, failed = [], 0
    for path in images:
        try:
            page = load_image(path)
        except YocrError as exc:
            err.print(f"[red]error:[/red] {exc}")
            failed += 1
            continue
        entry, drawn = _detect_one(detector, page, str(path), overlay is not None)
        entries.append(entry)
        if overlay:
            _write_overlay(overlay / f"{path.stem}.jpg", drawn)
    return entries, failed


def _write_entries(entries: list[dict], out: Optional[Path]) -> None:
    from yocr.core.io import atomic_write_text

    text = json.dumps(entries, indent=1)
    if out:
        atomic_write_text(out, text + "\n")
    else:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def _detect_one(detector, page, name: str, draw: bool):
    """The JSON entry of one page (boxes in reading order) and, with ``draw``, the page with the boxes drawn."""
    import cv2

    from yocr.pipeline.order import flat_order

    found = flat_order(detector.detect(page))
    entry = {
        "image": name,
        "width": page.width,
        "height": page.height,
        "lines": [{"box": [round(v, 1) for v in d.box], "score": round(d.score, 4)} for d in found],
    }
    if not draw:
        return entry, None
    image = page.bgr.copy()
    for d in found:
        x0, y0, x1, y1 = (int(v) for v in d.box)
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 255), 2)
        cv2.putText(image, f"{d.score:.2f}", (x0, max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 255), 1)
    return entry, image


def _write_overlay(path: Path, image) -> None:
    import cv2

    from yocr.core.io import atomic_write_bytes

    ok, data = cv2.imencode(".jpg", image)
    if ok:
        atomic_write_bytes(path, data.tobytes())
