"""The detector's commands: ``yocr detector train|eval``, ``yocr detect`` and ``yocr data yolo|synth-pages|augment-boxes``.

``register(app, data_app)`` adds them to the main ``yocr`` app and its ``data`` group. Each command parses its
options into the typed configs and calls library code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from yocr.console import err, fail as _fail
from yocr.core.defaults import DETECTOR_CONF, DETECTOR_IOU
from yocr.errors import YocrError


def _report(summary, out: Path) -> None:
    for p in summary.problems:
        err.print(f"[yellow]skipped[/yellow] {p}")
    err.print(
        f"train: {summary.images['train']} images, {summary.boxes['train']} lines; "
        f"val: {summary.images['val']} images, {summary.boxes['val']} lines; written to {out} ({summary.yaml})"
    )


def register(app: typer.Typer, data_app: typer.Typer) -> typer.Typer:
    """Add the detector commands to ``app`` (``detect`` and the ``detector`` group) and to ``data_app``."""
    detector_app = typer.Typer(help="Train and evaluate the YOLO text-line detector.", no_args_is_help=True)
    app.add_typer(detector_app, name="detector")

    # --- data ---------------------------------------------------------------------------------------------------

    @data_app.command("yolo")
    def data_yolo_cmd(
        out: Path = typer.Option(..., "--out", "-o", help="Output folder: images/, labels/ and data.yaml."),
        sroie: Optional[Path] = typer.Option(None, help="SROIE-style folder (img/ + box/): 000-525 train, 526-625 val."),
        funsd: Optional[Path] = typer.Option(None, help="FUNSD folder: all but the last 30 forms train, last 30 val."),
        yolo: List[Path] = typer.Option([], help="Existing YOLO folder to merge in, with its own splits (repeatable)."),
        ic15: Optional[Path] = typer.Option(
            None, help="ICDAR 2015 street photos (img/ + gt/): words are boxes of their own, ### blurred out; 901-1000 val."
        ),
        plates: Optional[Path] = typer.Option(None, help="Car photos NAME.jpg + NAME.txt: the plate is one box."),
        gap: float = typer.Option(1.0, help="Join segments of a row whose gap is at most this x the row height."),
        min_size: float = typer.Option(2.0, help="Drop boxes narrower or lower than this many pixels."),
    ) -> None:
        """Convert annotated pages into a YOLO line-detection dataset (phrase segments merged into lines)."""
        from yocr.data.yolo import build_yolo_dataset

        if not (sroie or funsd or yolo or ic15 or plates):
            _fail(YocrError("give --sroie, --funsd, --yolo, --ic15 or --plates"))
        try:
            if sroie or funsd or yolo:
                _report(build_yolo_dataset(out, sroie, funsd, yolo, gap=gap, min_size=min_size), out)
            if ic15 or plates:
                from yocr.data.scene import scene_yolo

                counts = scene_yolo(out, ic15=ic15, plates=plates)
                err.print(f"street and plate photos: train {counts['train']}, val {counts['val']} images, in {out}")
        except (YocrError, ValueError, OSError) as exc:
            _fail(exc)

    @data_app.command("synth-pages")
    def synth_pages_cmd(
        out: Path = typer.Option(..., "--out", "-o", help="Output folder (YOLO layout): images/, labels/, data.yaml."),
        count: int = typer.Option(200, help="Number of pages."),
        seed: int = typer.Option(0, help="Random seed; the same seed gives the same pages."),
        val_fraction: float = typer.Option(0.1, help="Share of the pages written to the val split."),
        min_side: int = typer.Option(600, help="Smallest long side of a page, pixels."),
        max_side: int = typer.Option(1600, help="Largest long side of a page, pixels."),
        photo: float = typer.Option(0.35, help="Share of paper pages shot as photos rather than scanned."),
        workers: int = typer.Option(1, help="Rendering processes."),
        sroie: Optional[Path] = typer.Option(None, help="SROIE folder: transcriptions of receipts 000-525 join the text."),
        funsd: Optional[Path] = typer.Option(None, help="FUNSD folder: transcriptions of the training forms join the text."),
        text: List[Path] = typer.Option([], help="Text files whose lines join the text (repeatable)."),
        kinds: str = typer.Option(
            "all", help="Comma-separated page kinds: document, receipt, form, table, scene, book, label (or 'all')."
        ),
        preview: Optional[Path] = typer.Option(None, help="Also write a contact sheet PNG of the first pages here."),
    ) -> None:
        """Render synthetic pages (documents, receipts, forms, tables, scenes, book pages, small labels) with one box
        per text line, in the YOLO layout; deterministic for a seed."""
        from rich.progress import Progress

        from yocr.data.annotations import training_corpus
        from yocr.data.synth_pages import SynthPagesConfig, synth_pages

        try:
            from yocr.data.synth_pages import KINDS, contact_sheet

            chosen = KINDS if kinds.strip() == "all" else tuple(k.strip() for k in kinds.split(",") if k.strip())
            cfg = SynthPagesConfig(count=count, seed=seed, val_fraction=val_fraction, min_side=min_side,
                                   max_side=max_side, photo=photo, workers=workers, kinds=chosen)
            corpus = training_corpus(sroie, funsd, text)
            with Progress(console=err) as bar:
                task = bar.add_task("rendering", total=count)
                summary = synth_pages(out, cfg, corpus, progress=lambda: bar.advance(task))
            if preview:
                contact_sheet(out, preview)
                err.print(f"contact sheet: {preview}")
        except (YocrError, ValueError, OSError) as exc:
            _fail(exc)
        _report(summary, out)

    @data_app.command("augment-boxes")
    def augment_boxes_cmd(
        source: Path = typer.Argument(..., help="YOLO folder to augment (images/{train,val}, labels/{train,val})."),
        out: Path = typer.Option(..., "--out", "-o", help="YOLO folder to write the copies to (may be SOURCE)."),
        copies: int = typer.Option(1, help="Augmented copies per image."),
        seed: int = typer.Option(0, help="Random seed; the same seed gives the same copies."),
        split: List[str] = typer.Option(["train"], help="Splits to augment (repeatable): train, val."),
        scale_min: float = typer.Option(0.6, help="Smallest scale factor."),
        scale_max: float = typer.Option(1.3, help="Largest scale factor."),
        rotate: float = typer.Option(5.0, help="Largest rotation, degrees either way."),
        flip: float = typer.Option(0.5, help="Probability of a horizontal flip."),
        blur: float = typer.Option(0.3, help="Probability of a Gaussian blur."),
        min_size: float = typer.Option(3.0, help="Drop boxes left narrower or lower than this many pixels."),
    ) -> None:
        """Write scaled, rotated, flipped and blurred copies of a YOLO dataset, boxes moved and clipped with them."""
        from yocr.data.box_augment import BoxAugmentConfig, augment_yolo_folder

        try:
            cfg = BoxAugmentConfig(scale=(scale_min, scale_max), rotate=rotate, flip=flip, blur=blur,
                                   min_size=min_size)
            summary = augment_yolo_folder(source, out, copies=copies, seed=seed, splits=split, config=cfg)
        except (YocrError, ValueError, OSError) as exc:
            _fail(exc)
        _report(summary, out)

    # --- detector -----------------------------------------------------------------------------------------------

    @detector_app.command("train")
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

    @detector_app.command("eval")
    def detector_eval_cmd(
        data: Optional[Path] = typer.Argument(
            None, help="Folder holding sroie-train/ and funsd-train/ (and ic15-train/, plates-us/ where present)."
        ),
        sroie: Optional[Path] = typer.Option(None, help="SROIE folder (receipts 526-625 are scored)."),
        funsd: Optional[Path] = typer.Option(None, help="FUNSD folder (the last 30 forms are scored)."),
        yolo: List[Path] = typer.Option([], help="YOLO folder whose val split is scored too (e.g. synthetic book pages)."),
        weights: Optional[Path] = typer.Option(None, help="Detector weights (default: the shipped model)."),
        imgsz: Optional[int] = typer.Option(None, help="Inference size (default: the training size)."),
        conf: float = typer.Option(DETECTOR_CONF, help="Score threshold."),
        iou: float = typer.Option(DETECTOR_IOU, help="NMS IoU threshold."),
        tile: int = typer.Option(0, help="Tile pages larger than this many pixels (0: whole page)."),
        device: str = typer.Option("cpu"),
        limit: int = typer.Option(0, help="Score only the first N pages of each set (0: all)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures as JSON here."),
    ) -> None:
        """Benchmark: box precision, recall and F1 at IoU 0.5 on SROIE 526-625, the last 30 FUNSD forms, and (where the
        data folder has them) ICDAR 2015 street photos 901-1000 (words; ### regions ignored) and the plate photos."""
        from rich.progress import Progress
        from rich.table import Table

        from yocr.core.io import atomic_write_text
        from yocr.core.defaults import ROW_GAP
        from yocr.detector.evaluate import SET_GAPS, benchmark_sets, evaluate_detector
        from yocr.detector.predictor import Detector

        try:
            sets = benchmark_sets(data, sroie, funsd, limit, yolo=yolo, scene=True)
            detector = Detector(weights, imgsz=imgsz, conf=conf, iou=iou, device=device, tile=tile)
            results = []
            with Progress(console=err) as bar:
                for name, pages in sets.items():
                    task = bar.add_task(name, total=len(pages))
                    results.append(evaluate_detector(detector, pages, name, gap=SET_GAPS.get(name, ROW_GAP),
                                                     progress=lambda: bar.advance(task)))
        except (YocrError, ValueError, OSError) as exc:
            _fail(exc)
        table = Table(title=f"line detection, IoU 0.5 ({detector.meta.get('path', '')}, imgsz {detector.imgsz})")
        for col in ("set", "pages", "lines", "precision", "recall", "F1", "s/page"):
            table.add_column(col)
        for r in results:
            table.add_row(r.name, str(r.pages), str(r.truths), f"{r.precision:.3f}", f"{r.recall:.3f}", f"{r.f1:.3f}",
                          f"{r.seconds_per_page:.3f}")
        from rich.console import Console

        Console().print(table)
        if json_out:
            atomic_write_text(json_out, json.dumps([r.to_dict() for r in results], indent=1))

    # --- detect -------------------------------------------------------------------------------------------------

    @app.command("detect")
    def detect_cmd(
        images: List[Path] = typer.Argument(..., help="Page images."),
        weights: Optional[Path] = typer.Option(None, help="Detector weights (default: the shipped model)."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the JSON here instead of stdout."),
        overlay: Optional[Path] = typer.Option(None, help="Folder for copies of the images with the boxes drawn."),
        imgsz: Optional[int] = typer.Option(None, help="Inference size (default: the training size)."),
        conf: float = typer.Option(DETECTOR_CONF, help="Score threshold."),
        iou: float = typer.Option(DETECTOR_IOU, help="NMS IoU threshold."),
        tile: int = typer.Option(0, help="Tile pages larger than this many pixels (0: whole page)."),
        device: str = typer.Option("cpu"),
    ) -> None:
        """Find text lines: prints JSON, one entry per image with its line boxes (x0, y0, x1, y1 in pixels) and scores,
        in reading order. Images are read as `yocr run` reads them (EXIF orientation; the first page of a PDF or TIFF)."""
        from yocr.core.image import load_image
        from yocr.core.io import atomic_write_text
        from yocr.detector.predictor import Detector

        try:
            detector = Detector(weights, imgsz=imgsz, conf=conf, iou=iou, device=device, tile=tile)
        except (YocrError, ValueError) as exc:
            _fail(exc)
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
        text = json.dumps(entries, indent=1)
        if out:
            atomic_write_text(out, text + "\n")
        else:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        if failed:
            raise typer.Exit(1)

    return detector_app


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
