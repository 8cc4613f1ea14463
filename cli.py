"""The ``yocr`` command line. Each command parses its options into one typed, checked config and calls library code.

The rooms register their own commands: ``data`` (:mod:`yocr.data.cli`), ``detect`` and ``detector``
(:mod:`yocr.detector.cli`), ``run`` (:mod:`yocr.pipeline.cli`) and ``export``; ``read``, ``recognizer`` and
``bench`` live here.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from yocr.errors import YocrError

from yocr.data.cli import data_app



class _Commands(TyperGroup):
    """yocr's command group: ``yocr run``'s bare ``--ray`` (an option with an optional value, which click lacks)
    becomes ``--ray local`` before parsing."""

    def parse_args(self, ctx, args):
        from yocr.pipeline.cli import with_bare_ray

        return super().parse_args(ctx, with_bare_ray(args))


app = typer.Typer(help="yocr: offline OCR with a YOLO line detector and a CRNN recognizer.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False, cls=_Commands)
recognizer_app = typer.Typer(help="Train and evaluate the CRNN line recognizer.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(recognizer_app, name="recognizer")
bench_app = typer.Typer(help="Benchmark yocr against Tesseract on labelled data.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

from yocr.bench import PAGE_ENGINES
from yocr.console import err, fail as _fail
from yocr.core.defaults import DETECTOR_CONF, REREAD_BELOW


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more detail.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


# --- recognizer ---------------------------------------------------------------------------------------------------


@recognizer_app.command("train")
def recognizer_train_cmd(
    train: List[Path] = typer.Option(..., help="Training labels files (repeatable)."),
    val: List[Path] = typer.Option([], help="Validation labels files; without them a share of --train is held out."),
    out: Path = typer.Option(Path("runs/recognizer"), help="Run folder: checkpoints, metrics.csv, config.json."),
    val_fraction: float = typer.Option(0.1, help="Held-out share of the training pages when no --val is given."),
    epochs: int = typer.Option(20),
    batch_size: int = typer.Option(64),
    lr: float = typer.Option(2e-3, help="Peak learning rate of the one-cycle schedule."),
    weight_decay: float = typer.Option(1e-4),
    workers: int = typer.Option(2, help="Data-loading processes."),
    seed: int = typer.Option(0),
    augment: bool = typer.Option(True, help="albumentations augmentation of training lines."),
    reframe: float = typer.Option(0.0, help="With --augment: the share of training lines first reframed as a "
                                  "detector frames them (edges trimmed or loosened, width scaled 0.75-1.35 x)."),
    charset: str = typer.Option(
        "ascii", help="'ascii' (printable ASCII), 'extended' (ASCII + typographic symbols + accented letters), "
        "'labels' (from the labels) or a file."
    ),
    oversample: List[str] = typer.Option(
        [], help="LABELS_FILE=K: a --train file's samples K times per epoch (mix sources in set proportions)."
    ),
    case_blind: List[Path] = typer.Option([], help="Labels files whose letter case is unreliable (SROIE)."),
    resume: bool = typer.Option(False, help="Continue from the run folder's last.pt."),
    init_weights: Optional[Path] = typer.Option(None, help="Start from these weights (fine-tuning)."),
    device: str = typer.Option("auto", help="'auto', 'cpu' or 'cuda'."),
    height: int = typer.Option(32, help="Input height: 32, 48 or 64."),
    backbone: str = typer.Option(
        "vgg", help="'vgg' (3 x 3 convolutions, the shipped models) or 'dws' (depthwise-separable, as PP-OCR's "
        "mobile recognizer)."
    ),
    channels: str = typer.Option(
        "", help="Widths of the five convolution stages (default: 32,48,80,96,128 for vgg, 32,64,128,192,256 for dws)."
    ),
    hidden: int = typer.Option(128, help="LSTM hidden size per direction."),
    lstm_layers: int = typer.Option(1),
    max_steps_per_epoch: int = typer.Option(0, help="Cap the steps of an epoch (0: whole epoch)."),
    time_limit_min: float = typer.Option(0.0, help="Stop after the epoch that passes this many minutes (0: none)."),
) -> None:
    """Train the CRNN on labelled line images; writes best.pt, last.pt, metrics.csv and config.json."""
    from yocr.recognizer.config import DWS_CHANNELS, ModelConfig, TrainConfig
    from yocr.recognizer.train import train as run_train

    try:
        widths = tuple(int(c) for c in channels.split(",")) if channels else (
            DWS_CHANNELS if backbone == "dws" else ModelConfig().channels)
        model = ModelConfig(height=height, channels=widths, hidden=hidden, lstm_layers=lstm_layers, backbone=backbone)
        cfg = TrainConfig(
            train=[str(p) for p in train], val=[str(p) for p in val], out=str(out), val_fraction=val_fraction,
            epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, workers=workers, seed=seed,
            augment=augment, reframe=reframe, charset=charset, oversample=list(oversample), case_blind=[str(p) for p in case_blind],
            resume=resume,
            init_weights=str(init_weights or ""), device=device, model=model,
            max_steps_per_epoch=max_steps_per_epoch, time_limit_min=time_limit_min,
        )
        best = run_train(cfg)
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)
    err.print(f"best weights: {best}")


@recognizer_app.command("average")
def recognizer_average_cmd(
    base: Path = typer.Argument(..., help="The model that was fine-tuned (e.g. the previous shipped weights)."),
    tuned: Path = typer.Argument(..., help="Its fine-tuned descendant (its alphabet is kept)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the averaged checkpoint."),
    base_share: float = typer.Option(0.3, help="Weight of BASE in the average (TUNED gets the rest)."),
) -> None:
    """Average two checkpoints of one architecture (a model soup): keeps much of what each reads well."""
    from yocr.recognizer.train import average_weights

    try:
        path = average_weights(base, tuned, base_share, out)
    except (YocrError, OSError) as exc:
        _fail(exc)
    err.print(f"averaged weights: {path}")


# --- read ---------------------------------------------------------------------------------------------------------


def _expand_line_inputs(inputs: List[Path]) -> list[Path]:
    from yocr.data.labels import list_images, read_labels

    paths: list[Path] = []
    for p in inputs:
        if p.is_dir():
            paths += list_images(p)
        elif p.suffix.lower() in (".txt", ".csv"):
            paths += [s.path for s in read_labels(p, check_images=False)[0]]
        else:
            paths.append(p)
    return paths


@app.command("read")
def read_cmd(
    images: List[Path] = typer.Argument(..., help="Line images, folders of them, or labels files."),
    weights: Optional[Path] = typer.Option(None, help="Recognizer weights (default: the shipped model)."),
    allow: Optional[str] = typer.Option(None, help="Only output these characters (e.g. plates, captchas)."),
    batch_size: int = typer.Option(64),
    device: str = typer.Option("auto"),
    bands: bool = typer.Option(
        True, help="Also read the middle bands of images that are not line-shaped (a whole plate, a sign) and keep "
        "the most confident reading."
    ),
    reread_below: float = typer.Option(
        REREAD_BELOW, help="Images (and bands) read with less confidence than this are read again, framed three "
        "other ways, keeping the reading most of them agree on (0: never)."
    ),
) -> None:
    """Read single-line images: prints 'path<TAB>text<TAB>confidence' per image."""
    from yocr.recognizer.config import ReadConfig
    from yocr.recognizer.predictor import Recognizer

    try:
        config = ReadConfig(weights=str(weights) if weights else None, allow=allow, batch_size=batch_size,
                            device=device, bands=bands, reread_below=reread_below)
        recognizer = Recognizer(config.weights, device=config.device, batch_size=config.batch_size,
                                allow=config.allow, reread_below=config.reread_below)
    except YocrError as exc:
        _fail(exc)
    if _read_lines(recognizer, _expand_line_inputs(images), config.bands):
        raise typer.Exit(1)


def _read_lines(recognizer, paths: list[Path], bands: bool, chunk_size: int = 256) -> int:
    """Print 'path<TAB>text<TAB>confidence' for each readable image, ``chunk_size`` loaded at a time; the number of
    images that could not be loaded (each named on stderr)."""
    from yocr.core.image import load_image
    from yocr.errors import ImageLoadError

    failed = 0
    for start in range(0, len(paths), chunk_size):
        chunk, arrays = [], []
        for p in paths[start : start + chunk_size]:
            try:
                image = load_image(p).bgr
            except ImageLoadError as exc:
                err.print(f"[red]error:[/red] {exc}", highlight=False)
                failed += 1
                continue
            chunk.append(p)
            arrays.append(image)
        for p, r in zip(chunk, recognizer.read(arrays, bands=bands)):
            sys.stdout.write(f"{p}\t{r.text}\t{r.confidence:.4f}\n")
    sys.stdout.flush()
    return failed


@bench_app.command("lines")
def bench_lines_cmd(
    labels: List[Path] = typer.Argument(..., help="Labels files of line crops (e.g. from 'yocr data crops')."),
    out: Path = typer.Option(Path("runs/bench"), help="Report folder: lines.md, lines.csv, lines.json, lines-gallery.png."),
    engines: str = typer.Option("crnn,tesseract", help="Comma-separated engines: crnn, tesseract."),
    weights: Optional[Path] = typer.Option(None, help="Recognizer weights (default: the shipped model)."),
    case_sensitive: bool = typer.Option(False, help="Score letter case (off: SROIE is all upper case)."),
    limit: int = typer.Option(0, help="Score a seeded random subset of this many lines (0: all)."),
    tune: int = typer.Option(100, help="Crops used to pick Tesseract's best mode, scale and margin."),
    alnum: bool = typer.Option(
        False, help="Compare letters and digits only (scene words, plates: punctuation and spaces ignored)."
    ),
    bands: bool = typer.Option(False, help="CRNN: also read the middle bands of boxy crops, as 'yocr read' does."),
    reread_below: float = typer.Option(
        REREAD_BELOW, help="CRNN: read lines read with less confidence again in other framings, as 'yocr read' and "
        "'yocr run' do (0: never)."
    ),
) -> None:
    """Recognition on ground-truth line crops: CER, WER, exact lines and lines/s per engine, in one run."""
    from yocr.bench.lines import LinesBenchConfig, bench_lines

    try:
        config = LinesBenchConfig(
            labels=tuple(labels), out=out, engines=tuple(e.strip() for e in engines.split(",") if e.strip()),
            weights=str(weights) if weights else None, case_sensitive=case_sensitive, limit=limit, tune=tune,
            alnum=alnum, bands=bands, reread_below=reread_below,
        )
        results = bench_lines(config)
    except (YocrError, OSError) as exc:
        _fail(exc)
    for r in results:
        print(f"{r.engine}\tlines={r.lines}\tCER={r.cer:.4f}\tWER={r.wer:.4f}\taccuracy={r.accuracy:.4f}\t"
              f"lines/s={r.lines_per_second:.1f}\tcalibration_error={r.calibration_error:.3f}\t{r.settings}")
    err.print(f"report: {config.out / 'lines.md'}")


@bench_app.command("outputs")
def bench_outputs_cmd(
    data: Path = typer.Argument(..., help="Folder holding sroie-train/ and funsd-train/."),
    out: Path = typer.Option(Path("runs/bench-outputs"), help="Report folder: outputs.md, outputs.json, the files."),
    receipts: int = typer.Option(10, help="SROIE validation receipts to read (from 526; 100 for all)."),
    forms: int = typer.Option(5, help="FUNSD validation forms to read (30 for all)."),
) -> None:
    """Word boxes against SROIE's segment boxes, and the searchable PDF read back with pdftotext (hOCR, ALTO, TSV
    written too)."""
    from yocr.bench.outputs import bench_outputs

    try:
        report = bench_outputs(data, out, receipts, forms)
    except (YocrError, OSError) as exc:
        _fail(exc)
    wb = report["word_boxes"]
    print(f"word boxes: {wb['words']} words of {wb['read_exactly']} exactly read segments; inside "
          + ", ".join(f"{share:.3f} (grown by {float(t):.0%})" for t, share in wb["inside"].items()))
    if isinstance(report["pdf"], list) and report["pdf"]:
        f1s = [r["f1"] for r in report["pdf"]]
        print(f"pdf: {len(f1s)} pages, word F1 min {min(f1s):.4f}; words inside their box min "
              f"{min(r['placed'] for r in report['pdf']):.3f}")
    print(f"writing every format: {report['seconds']['write_share']:.1%} of reading and writing")
    err.print(f"report: {out / 'outputs.md'}")


@bench_app.command("pages")
def bench_pages_cmd(
    data: Optional[Path] = typer.Argument(None, help="Folder holding sroie-train/ and funsd-train/ (both optional)."),
    sroie: Optional[Path] = typer.Option(None, help="SROIE-style folder (img/ + box/): receipts 526-625 are scored."),
    funsd: Optional[Path] = typer.Option(None, help="FUNSD folder (images/ + annotations/): the last 30 forms are scored."),
    yolo: Optional[list[Path]] = typer.Option(
        None, help="YOLO folder with transcriptions: images/NAME.jpg, labels/NAME.txt ('class cx cy w h' per line) "
                   "and text/NAME.txt (the transcription of each label line, same order); images/val etc. when split; "
                   "`yocr data synth-pages` writes them. Repeatable; each is a set named after its folder."),
    out: Path = typer.Option(Path("runs/bench"), help="Report folder: pages.md, pages.csv, pages.json and PNGs."),
    engines: str = typer.Option(",".join(PAGE_ENGINES), help="Comma-separated engines: " + ", ".join(PAGE_ENGINES)
                                + ". Engines whose package or program is absent are skipped and listed."),
    limit: int = typer.Option(0, help="Read only the first N pages of each set (0: all)."),
    case_sensitive: bool = typer.Option(False, help="Score letter case (SROIE is always folded: upper-case truth)."),
    ignore: str = typer.Option("", help="Characters dropped from readings and truths before scoring, e.g. ':.,'."),
    alnum_only: bool = typer.Option(False, help="Score only letters, digits and spaces (drop all other characters)."),
    detector_weights: Optional[str] = typer.Option(None, help="Detector weights for the yocr engines (default: shipped)."),
    recognizer_weights: Optional[str] = typer.Option(None, help="CRNN weights for the yocr engines (default: shipped)."),
    imgsz: Optional[int] = typer.Option(None, help="Detector inference size (default: the detector's own)."),
    conf: float = typer.Option(DETECTOR_CONF, help="Detector score threshold."),
    iou: float = typer.Option(0.5, help="IoU at which a line box matches a ground-truth line."),
    isolate: bool = typer.Option(True, help="Run each engine in a fresh process (cold model loading, its own peak "
                                            "memory); --no-isolate runs them in this process and reports no memory."),
    gallery: int = typer.Option(24, help="Worst-read lines shown per data set (0: no gallery)."),
) -> None:
    """End to end on annotated pages: line detection P/R/F1, word P/R/F1, page CER, speed and memory per engine."""
    from yocr.bench.pages import PageBenchConfig

    try:
        cfg = PageBenchConfig(
            engines=tuple(e.strip() for e in engines.split(",") if e.strip()), detector_weights=detector_weights,
            recognizer_weights=recognizer_weights, imgsz=imgsz, conf=conf, case_sensitive=case_sensitive,
            ignore=ignore, alnum_only=alnum_only, iou=iou, isolate=isolate, gallery=gallery,
        )
        if limit < 0:
            raise YocrError(f"--limit must be at least 0, not {limit}")
        sets = _page_sets(data, sroie, funsd, yolo, limit)
    except (YocrError, OSError) as exc:
        _fail(exc)
    report = _bench_pages_with_progress(sets, out, cfg)
    _print_page_report(report, out)
    if report.failed:
        raise typer.Exit(1)


def _page_sets(data: Optional[Path], sroie: Optional[Path], funsd: Optional[Path], yolo: Optional[list[Path]],
               limit: int):
    """The annotated pages ``yocr bench pages`` reads, by set name (the first ``limit`` of each; 0: all)."""
    from yocr.data.yolo import yolo_text_pages
    from yocr.detector.evaluate import benchmark_sets

    sets = benchmark_sets(data, sroie, funsd, limit) if (data or sroie or funsd) else {}
    for folder in yolo or []:
        name = folder.resolve().name or "yolo"
        if name in sets:
            raise YocrError(f"{folder}: a set named {name!r} is already benchmarked; give the folders distinct names")
        sets[name] = yolo_text_pages(folder)[: limit or None]
        if not sets[name]:
            raise YocrError(f"{folder}: no page images to benchmark")
    if not sets:
        raise YocrError("give a data folder, --sroie, --funsd or --yolo")
    return sets


def _bench_pages_with_progress(sets, out: Path, cfg):
    """:func:`yocr.bench.pages.bench_pages` with a progress bar per engine and set on stderr."""
    import shlex

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from yocr.bench.pages import bench_pages

    command = "yocr " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
                  TimeElapsedColumn(), console=err) as bar:

        def progress(label: str, total: int):
            task = bar.add_task(label, total=total)
            return lambda: bar.advance(task)

        try:
            return bench_pages(sets, out, cfg, progress, command)
        except (YocrError, OSError) as exc:
            _fail(exc)


def _print_page_report(report, out: Path) -> None:
    from rich.markup import escape

    for s in report.scores:
        print(f"{s.dataset}\t{s.engine}\tword_F1={s.word_f1:.3f}\tpage_CER={s.page_cer:.3f}\tline_F1={s.det_f1:.3f}\t"
              f"pages/s={s.pages_per_second:.2f}\trun_s={s.run_seconds:.1f}")
    for name, reason in report.skipped.items():
        err.print(f"[yellow]skipped[/yellow] {escape(name)}: {escape(reason)}", highlight=False)
    for name, reason in report.failed.items():
        err.print(f"[red]failed[/red] {escape(name)}: {escape(reason)}", highlight=False)
    err.print(f"report: {out / 'pages.md'}")


def _register_rooms() -> None:
    from yocr.detector.cli import register as register_detector
    from yocr.export import register as register_export
    from yocr.pipeline.cli import register as register_pipeline

    register_detector(app)
    register_pipeline(app)
    register_export(app)


_register_rooms()


def main() -> None:
    app()
