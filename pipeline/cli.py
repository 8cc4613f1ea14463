"""``yocr run``: the main job. ``register(app)`` adds it to the ``yocr`` app."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from yocr.console import err, fail
from yocr.core.defaults import DETECTOR_CONF, FALLBACK_BELOW
from yocr.core.geometry import CROP_MARGIN
from yocr.errors import YocrError


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        inputs: List[str] = typer.Argument(..., help="Images, PDFs, folders (searched recursively) or glob patterns."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder; the input tree is mirrored there."),
        engine: str = typer.Option("yocr", help="'yocr' (detector + recognizer) or 'tesseract-page' (baseline)."),
        recognizer: str = typer.Option("crnn", help="What reads the detected lines: 'crnn' or 'tesseract'."),
        fallback: str = typer.Option("auto", help="Tesseract re-reads the lines the CRNN is unsure of and keeps its "
                                                  "reading where surer: 'auto' (when installed), 'tesseract', 'none'."),
        fallback_below: float = typer.Option(FALLBACK_BELOW, help="CRNN confidence below which --fallback re-reads "
                                                                  "a line."),
        json_out: bool = typer.Option(False, "--json", help="Also write NAME.json: boxes, text, confidences, timings."),
        overlay: bool = typer.Option(False, help="Also write NAME.overlay.png: the image with boxes and text drawn "
                                                 "('--overlay words' draws each word's box too)."),
        formats: str = typer.Option("txt", "--format", help="Formats to write, comma-separated: txt, json, hocr "
                                    "(NAME.hocr), alto (NAME.alto.xml, ALTO v4), pdf (NAME.pdf, searchable), tsv "
                                    "(NAME.tsv, Tesseract's columns); NAME.txt is always written."),
        pdf_combine: Optional[Path] = typer.Option(None, help="Also one searchable PDF of all inputs, in input "
                                                              "order, at this path (implies --format pdf)."),
        split_pages: bool = typer.Option(False, help="Multi-page inputs: one NAME-pNNNN.txt per page (default: one "
                                                     "NAME.txt with form feeds between pages)."),
        overwrite: bool = typer.Option(False, help="Redo inputs whose outputs exist (default: skip them)."),
        workers: int = typer.Option(0, help="Worker processes, each with its own models (0: one per CPU with "
                                            "--engine tesseract-page, else 1)."),
        ray: Optional[str] = typer.Option(None, "--ray", metavar="ADDRESS",
                                          help="Run on Ray: 'local' (a Ray instance on this machine), 'auto' (the "
                                               "cluster this node joined) or ray://HOST:10001. Needs yocr[ray]."),
        ray_actors: int = typer.Option(0, help="--ray: readers in the pool, each with its own models (0: one per "
                                               "--ray-threads CPUs of the cluster, or per --ray-gpus GPUs)."),
        ray_batch_size: int = typer.Option(4, help="--ray: pages per call of a reader."),
        ray_threads: int = typer.Option(1, help="--ray: torch threads (and CPUs reserved) per reader."),
        ray_gpus: float = typer.Option(0.0, help="--ray: GPUs per reader (with --device cuda)."),
        allow: Optional[str] = typer.Option(None, help="Only output these characters."),
        rules: Optional[Path] = typer.Option(None, help="File of regex substitutions: 'pattern<TAB>replacement' lines."),
        detector_weights: Optional[str] = typer.Option(None, help="Detector weights (default: shipped)."),
        recognizer_weights: Optional[str] = typer.Option(None, help="Recognizer weights (default: shipped)."),
        imgsz: Optional[int] = typer.Option(None, help="Detector inference size (default: the detector's own)."),
        conf: float = typer.Option(DETECTOR_CONF, help="Detector score threshold."),
        tile: int = typer.Option(0, help="Detect in tiles of this many pixels on larger pages (0: whole page)."),
        margin: float = typer.Option(CROP_MARGIN, help="Margin around each line box, as a share of its height."),
        deskew: bool = typer.Option(True, help="Straighten slightly rotated line crops before reading them."),
        batch_size: int = typer.Option(64, help="Line crops per recognizer batch."),
        device: str = typer.Option("cpu", help="'cpu', 'cuda' or 'auto'."),
        runtime: str = typer.Option("auto", help="Run the networks on 'onnx' (the .onnx files beside the weights, "
                                                 "written by yocr export), 'torch', or 'auto' (onnx when it can)."),
    ) -> None:
        """Read photos and scans: one NAME.txt per image (one line per text line), written under --out.

        Exit codes: 0 every input was read; 1 some inputs failed (listed in OUT/errors.tsv, the rest read); 2 bad
        command line (an option value); 3 bad weights or configuration (a weights or --rules file, Tesseract
        missing); 4 --out cannot be used (a file, not writable, or another run is writing there); 130 interrupted by
        Ctrl-C, 143 by SIGTERM (finished files are kept: run the same command to resume).
        """
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from rich.markup import escape

        from yocr.errors import exit_code_for
        from yocr.pipeline.reader import ReaderConfig
        from yocr.pipeline.run import RunOptions, display_name, run

        try:
            config = ReaderConfig(
                engine=engine, recognizer=recognizer, fallback=fallback, fallback_below=fallback_below,
                detector_weights=detector_weights, recognizer_weights=recognizer_weights, imgsz=imgsz, conf=conf,
                tile=tile, margin=margin, deskew=deskew, batch_size=batch_size, allow=allow,
                rules=str(rules) if rules else None, device=device, runtime=runtime,
            )
            from yocr.outputs.files import parse_formats

            chosen = parse_formats(formats) + (("pdf",) if pdf_combine else ())
            overlay_words = overlay and "words" in inputs and not Path("words").exists()  # '--overlay words'
            inputs = [i for i in inputs if not (overlay_words and i == "words")]
            opts = RunOptions(out, json_out or "json" in chosen, overlay, split_pages, overwrite, workers,
                              formats=chosen, overlay_words=overlay_words)
            if ray is not None:
                from yocr.pipeline.ray_run import RayOptions, require_ray

                ray_opts = RayOptions(ray, ray_actors, ray_batch_size, ray_threads, ray_gpus)
                require_ray()
            if rules:
                from yocr.pipeline.clean import read_rules

                read_rules(rules)  # a bad rules file fails before any model loads
        except YocrError as exc:
            fail(exc, exit_code_for(exc))

        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} files"),
            TextColumn("{task.fields[rate]:.2f} pages/s"), TimeElapsedColumn(), console=err, transient=False,
        ) as bar:
            task = bar.add_task("reading", total=None, rate=0.0)
            pages = {"n": 0}
            clock = {"start": None}

            def started(total: int) -> None:
                import time

                clock["start"] = time.perf_counter()
                bar.update(task, total=total)

            def finished(result) -> None:
                import time

                if result.status == "failed":
                    name, reason = escape(display_name(result.path)), escape(display_name(result.reason))
                    bar.console.print(f"[red]failed[/red] {name}: {reason}", highlight=False)
                    if clock["start"] is None:
                        return
                pages["n"] += result.pages
                elapsed = time.perf_counter() - clock["start"] if clock["start"] else 0.0
                bar.update(task, advance=1, rate=pages["n"] / elapsed if elapsed > 0 else 0.0)

            try:
                if ray is None:
                    summary = run(inputs, opts, config, on_result=finished, on_start=started)
                else:
                    from yocr.pipeline.ray_run import run_on_ray

                    summary = run_on_ray(inputs, opts, config, ray_opts, on_result=finished, on_start=started)
            except YocrError as exc:
                fail(exc, exit_code_for(exc))
        err.print(
            f"{summary.files} files: {summary.done} read, {summary.skipped} skipped (already done), "
            f"{summary.failed} failed; {summary.pages} pages, {summary.lines} lines in {summary.seconds:.1f} s "
            f"({summary.pages_per_second:.2f} pages/s)", highlight=False,
        )
        if summary.steps:
            from yocr.pipeline.run import step_summary

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
        raise typer.Exit(summary.exit_code)
