"""``yocr run``: the main job. ``register(app)`` adds it to the ``yocr`` app.

:func:`run_cmd` turns its options into typed, checked configs (:class:`~yocr.pipeline.reader.ReaderConfig`,
:class:`~yocr.pipeline.run.RunOptions` and, with ``--ray``, :class:`~yocr.pipeline.ray_run.RayOptions`) before any
model loads, then runs them with a progress bar (:func:`run_with_progress`) and reports (:func:`report`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from yocr.console import err, fail
from yocr.core.defaults import (DETECTOR_CONF, FALLBACK_BELOW, PROSE_FALLBACK_BELOW, RAY_ADDRESS, RUN_REREAD_BELOW,
                                SCENE_MIN_CONFIDENCE)
from yocr.core.geometry import CROP_MARGIN
from yocr.errors import YocrError, exit_code_for

# --- the options of ``yocr run``, in the order ``--help`` lists them ---------------------------------------------

Inputs = Annotated[List[str], typer.Argument(
    help="Images, PDFs, folders (searched recursively), glob patterns, or URLs that pyarrow reads (s3://bucket/scans/, "
         "gs://..., file://...; needs yocr[cloud]).")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Output folder; the input tree is mirrored there.")]
Engine = Annotated[str, typer.Option(help="'yocr' (detector + recognizer) or 'tesseract-page' (baseline).")]
RecognizerName = Annotated[str, typer.Option(help="What reads the detected lines: 'crnn' or 'tesseract'.")]
Fallback = Annotated[str, typer.Option(help="Tesseract re-reads the lines the CRNN is unsure of and keeps its "
                                            "reading where surer: 'auto' (when installed), 'tesseract', 'none'.")]
FallbackBelow = Annotated[float, typer.Option(help="CRNN confidence below which --fallback re-reads a line.")]
ProseFallbackBelow = Annotated[float, typer.Option(help="The same on a page of prose (most of its lines long "
                                                        "lines of running text), where Tesseract's word lists help; "
                                                        "the higher of the two applies there (0: as elsewhere).")]
RereadBelow = Annotated[float, typer.Option(help="CRNN confidence below which a document's line that the fallback "
                                                 "left to the CRNN is read again, framed three other ways, keeping "
                                                 "the reading most of them agree on (0: never; 0.7 is yocr read's "
                                                 "default).")]
SceneMinConfidence = Annotated[float, typer.Option(help="On a photo of a scene (a street, a car), lines read with "
                                                        "less confidence are left out (0: keep all).")]
JsonOut = Annotated[bool, typer.Option("--json", help="Also write NAME.json: boxes, text, confidences, timings.")]
Overlay = Annotated[bool, typer.Option(help="Also write NAME.overlay.png: the image with boxes and text drawn "
                                            "('--overlay words' draws each word's box too).")]
Formats = Annotated[str, typer.Option("--format", help="Formats to write, comma-separated: txt, json, hocr "
                                      "(NAME.hocr), alto (NAME.alto.xml, ALTO v4), pdf (NAME.pdf, searchable), tsv "
                                      "(NAME.tsv, Tesseract's columns); NAME.txt is always written.")]
PdfCombine = Annotated[Optional[Path], typer.Option(help="Also one searchable PDF of all inputs, in input order, at "
                                                         "this path (implies --format pdf).")]
SplitPages = Annotated[bool, typer.Option(help="Multi-page inputs: one NAME-pNNNN.txt per page (default: one "
                                               "NAME.txt with form feeds between pages).")]
Overwrite = Annotated[bool, typer.Option(help="Redo inputs whose outputs exist (default: skip them).")]
Workers = Annotated[int, typer.Option(help="Worker processes, each with its own models and its share of the "
                                           "threads (0: one per CPU when there is more than one input).")]
Ray = Annotated[Optional[str], typer.Option("--ray", metavar="[ADDRESS]", help="Run on Ray: 'local' (the default "
                                            "of a bare --ray: the Ray instance running on this machine, or a new "
                                            "one), 'auto' (the cluster this node joined) or ray://HOST:10001. "
                                            "Needs yocr[ray].")]
RayActors = Annotated[int, typer.Option(help="--ray: readers in the pool, each with its own models (0: one per "
                                             "--ray-threads CPUs of the cluster, or per --ray-gpus GPUs).")]
RayBatchSize = Annotated[int, typer.Option(help="--ray: pages per call of a reader.")]
RayThreads = Annotated[int, typer.Option(help="--ray: torch threads (and CPUs reserved) per reader.")]
RayGpus = Annotated[float, typer.Option(help="--ray: GPUs per reader (with --device cuda).")]
Allow = Annotated[Optional[str], typer.Option(help="Only output these characters.")]
Rules = Annotated[Optional[Path], typer.Option(help="File of regex substitutions: 'pattern<TAB>replacement' lines.")]
DetectorWeights = Annotated[Optional[str], typer.Option(help="Detector weights (default: shipped).")]
RecognizerWeights = Annotated[Optional[str], typer.Option(help="Recognizer weights (default: shipped).")]
SceneWeights = Annotated[Optional[str], typer.Option(
    help="Oriented-box (OBB) detector for photos of scenes: their words are cut along its rotated boxes "
         "(default: the shipped one where there is one; 'none': the line detector's boxes).")]
Imgsz = Annotated[Optional[int], typer.Option(
    help="Detector inference size (default: the detector's own; 1.5 x it for pages over 2,600 px; smaller for "
         "pages whose print is large, so that their glyphs are 12 px high). Given, every page runs at it.")]
Conf = Annotated[float, typer.Option(help="Detector score threshold.")]
LowMemory = Annotated[bool, typer.Option(help="Hand each page's memory back to the system after it (Linux): on "
                                              "receipts a worker's peak about 20 % lower, the run about 10 % slower.")]
Tile = Annotated[int, typer.Option(help="Detect in tiles of this many pixels on larger pages (0: whole page).")]
Margin = Annotated[float, typer.Option(help="Margin around each line box, as a share of its height.")]
Deskew = Annotated[bool, typer.Option(help="Straighten slightly rotated line crops before reading them.")]
BatchSize = Annotated[int, typer.Option(help="Line crops per recognizer batch.")]
Device = Annotated[str, typer.Option(help="'cpu', 'cuda' or 'auto'.")]
Runtime = Annotated[str, typer.Option(help="Run the networks on 'onnx' (the .onnx files beside the weights, written "
                                           "by yocr export), 'torch', or 'auto' (onnx when it can, and the "
                                           "detector's int8 copy for documents where there is one and the CPU "
                                           "has VNNI).")]


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)


def run_cmd(
    inputs: Inputs, out: Out, engine: Engine = "yocr", recognizer: RecognizerName = "crnn", fallback: Fallback = "auto",
    fallback_below: FallbackBelow = FALLBACK_BELOW, prose_fallback_below: ProseFallbackBelow = PROSE_FALLBACK_BELOW,
    scene_min_confidence: SceneMinConfidence = SCENE_MIN_CONFIDENCE, reread_below: RereadBelow = RUN_REREAD_BELOW,
    json_out: JsonOut = False,
    overlay: Overlay = False, formats: Formats = "txt", pdf_combine: PdfCombine = None, split_pages: SplitPages = False,
    overwrite: Overwrite = False, workers: Workers = 0, ray: Ray = None, ray_actors: RayActors = 0,
    ray_batch_size: RayBatchSize = 4, ray_threads: RayThreads = 1, ray_gpus: RayGpus = 0.0, allow: Allow = None,
    rules: Rules = None, detector_weights: DetectorWeights = None, recognizer_weights: RecognizerWeights = None,
    scene_weights: SceneWeights = None, imgsz: Imgsz = None, conf: Conf = DETECTOR_CONF, tile: Tile = 0, margin: Margin = CROP_MARGIN,
    deskew: Deskew = True, batch_size: BatchSize = 64, device: Device = "cpu", runtime: Runtime = "auto",
    low_memory: LowMemory = False,
) -> None:
    """Read photos and scans: one NAME.txt per image (one line per text line), written under --out.

    Exit codes: 0 every input was read; 1 some inputs failed (listed in OUT/errors.tsv, the rest read); 2 bad
    command line (an option value); 3 bad weights or configuration (a weights or --rules file, Tesseract
    missing); 4 --out cannot be used (a file, not writable, or another run is writing there); 130 interrupted by
    Ctrl-C, 143 by SIGTERM (finished files are kept: run the same command to resume).
    """
    from yocr.pipeline.reader import ReaderConfig

    try:
        config = ReaderConfig(
            engine=engine, recognizer=recognizer, fallback=fallback, fallback_below=fallback_below,
            prose_fallback_below=prose_fallback_below, scene_min_confidence=scene_min_confidence,
            reread_below=reread_below,
            detector_weights=detector_weights, recognizer_weights=recognizer_weights, scene_weights=scene_weights,
            imgsz=imgsz, conf=conf,
            tile=tile, margin=margin, deskew=deskew, batch_size=batch_size, allow=allow,
            rules=str(rules) if rules else None, device=device, runtime=runtime, low_memory=low_memory,
        )
        inputs, opts = run_options(inputs, out, json_out, overlay, formats, pdf_combine, split_pages, overwrite,
                                   workers)
        config = replace(config, words=opts.needs_words)
        ray_opts = ray_options(ray, ray_actors, ray_batch_size, ray_threads, ray_gpus)
        if rules:
            from yocr.pipeline.clean import read_rules

            read_rules(rules)  # a bad rules file fails before any model loads
    except YocrError as exc:
        fail(exc, exit_code_for(exc))
    summary = run_with_progress(inputs, opts, config, ray_opts)
    report(summary, inputs, out, pdf_combine)
    raise typer.Exit(summary.exit_code)


def run_options(inputs: list[str], out: Path, json_out: bool, overlay: bool, formats: str, pdf_combine: Path | None,
                split_pages: bool, overwrite: bool, workers: int):
    """The inputs (less a ``words`` that is ``--overlay words``'s argument) and the checked :class:`RunOptions`."""
    from yocr.outputs.files import parse_formats
    from yocr.pipeline.run import RunOptions

    chosen = parse_formats(formats) + (("pdf",) if pdf_combine else ())
    overlay_words = overlay and "words" in inputs and not Path("words").exists()  # '--overlay words'
    inputs = [i for i in inputs if not (overlay_words and i == "words")]
    opts = RunOptions(out, json_out or "json" in chosen, overlay, split_pages, overwrite, workers, formats=chosen,
                      overlay_words=overlay_words)
    return inputs, opts


def ray_options(address: str | None, actors: int, batch_size: int, threads: int, gpus: float):
    """The checked ``--ray*`` options (None without ``--ray``); a :class:`YocrError` when Ray is not installed."""
    if address is None:
        return None
    from yocr.pipeline.ray_run import RayOptions, require_ray

    ray_opts = RayOptions(address, actors, batch_size, threads, gpus)
    require_ray()
    return ray_opts


def run_with_progress(inputs: list[str], opts, config, ray_opts):
    """Run locally (or on Ray with ``ray_opts``) with a progress bar of files and pages/s; the run's summary."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from yocr.pipeline.run import run

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} files"),
        TextColumn("{task.fields[rate]:.2f} pages/s"), TimeElapsedColumn(), console=err, transient=False,
    ) as bar:
        started, finished = _progress_callbacks(bar)
        try:
            if ray_opts is None:
                return run(inputs, opts, config, on_result=finished, on_start=started)
            from yocr.pipeline.ray_run import run_on_ray

            return run_on_ray(inputs, opts, config, ray_opts, on_result=finished, on_start=started)
        except YocrError as exc:
            fail(exc, exit_code_for(exc))


def _progress_callbacks(bar):
    """``on_start(total)`` and ``on_result(result)`` for a run: advance ``bar``, name failures, keep a pages/s rate."""
    import time

    from rich.markup import escape

    from yocr.pipeline.run import display_name

    task = bar.add_task("reading", total=None, rate=0.0)
    pages = {"n": 0}
    clock = {"start": None}

    def started(total: int) -> None:
        clock["start"] = time.perf_counter()
        bar.update(task, total=total)

    def finished(result) -> None:
        if result.status == "failed":
            name, reason = escape(display_name(result.path)), escape(display_name(result.reason))
            bar.console.print(f"[red]failed[/red] {name}: {reason}", highlight=False)
            if clock["start"] is None:
                return
        pages["n"] += result.pages
        elapsed = time.perf_counter() - clock["start"] if clock["start"] else 0.0
        bar.update(task, advance=1, rate=pages["n"] / elapsed if elapsed > 0 else 0.0)

    return started, finished


def _steady(summary) -> str:
    rate = summary.reading_pages_per_second
    return f"; {rate:.2f} pages/s from the first page begun to the last done" if rate and summary.pages > 1 else ""


def report(summary, inputs: list[str], out: Path, pdf_combine: Path | None) -> None:
    """The run's totals, step timings, the combined PDF and where failures are listed, on stderr."""
    from rich.markup import escape

    from yocr.pipeline.run import display_name, step_summary

    err.print(
        f"{summary.files} files: {summary.done} read, {summary.skipped} skipped (already done), "
        f"{summary.failed} failed; {summary.pages} pages, {summary.lines} lines in {summary.seconds:.1f} s "
        f"({summary.pages_per_second:.2f} pages/s{_steady(summary)})", highlight=False,
    )
    if summary.steps:
        err.print(step_summary(summary.steps), highlight=False)
    if pdf_combine and summary.done + summary.skipped:
        from yocr.outputs.files import combine_run_pdfs

        if combine_run_pdfs(inputs, out, pdf_combine):
            err.print(f"searchable PDF of all inputs: {pdf_combine}", highlight=False)
    if summary.errors_file_problem:
        err.print(f"[red]error:[/red] {escape(display_name(summary.errors_file_problem))}", highlight=False)
    elif summary.failed:
        err.print(f"failures are listed in {escape(display_name(str(out / 'errors.tsv')))}", highlight=False)
    if summary.interrupted:
        err.print("[yellow]interrupted[/yellow]: finished files are kept; run the same command to resume")


def with_bare_ray(args: list[str]) -> list[str]:
    """``yocr run``'s arguments with a bare ``--ray`` (last, or followed by an input or an option rather than an
    address) made ``--ray local``."""
    args = list(args)
    if not args or args[0] != "run":
        return args
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--ray" and (i + 1 == len(args) or not RAY_ADDRESS.match(args[i + 1])):
            args.insert(i + 1, "local")
    return args
