"""``yocr run``: many files in, one text file per image (or per page) out, in a tree mirroring the input.

Works at scale: models load once (once per worker process with ``workers > 1``), finished files are skipped on a
re-run, every output is written atomically, and a bad file is reported (console and ``errors.tsv``) and skipped
without stopping the run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from yocr.core.io import atomic_write_bytes, atomic_write_text
from yocr.core.results import Page, file_dict, text_file
from yocr.errors import EXIT_OK, EXIT_SIGNAL_BASE, EXIT_SOME_FAILED, OutputError, YocrError
from yocr.pipeline.load import InputFile, expand_inputs
from yocr.pipeline.reader import Reader, ReaderConfig
from yocr.outputs.files import write_documents

ERRORS_FILE = "errors.tsv"


@dataclass(frozen=True)
class RunOptions:
    out: Path
    json: bool = False
    overlay: bool = False
    split_pages: bool = False  # multi-page inputs: one .txt per page instead of one with page breaks
    overwrite: bool = False
    workers: int = 1  # 0: one per CPU (pages in parallel, each worker single-threaded: the fastest setting)
    formats: tuple[str, ...] = ()  # written beside the .txt: hocr, alto, tsv, pdf (yocr.outputs.files)
    overlay_words: bool = False  # the overlay also draws each word's box

    @property
    def needs_words(self) -> bool:
        """Whether anything written needs word boxes: the .txt alone does not."""
        return self.json or any(f != "txt" for f in self.formats) or self.overlay_words

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        if self.workers < 0:
            raise YocrError(f"--workers must be at least 0, not {self.workers}")


@dataclass
class FileResult:
    path: str
    status: str  # "done", "skipped" or "failed"
    pages: int = 0
    lines: int = 0
    reason: str = ""
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step: the pages' timings, write, start-up
    span: tuple[float, float] = (0.0, 0.0)  # wall clock (time.time()) when its reading began and ended; 0s: not read


@dataclass
class Summary:
    files: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    lines: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    signal: int = 0  # the signal that interrupted the run (SIGINT for Ctrl-C)
    errors_file_problem: str = ""  # why errors.tsv could not be written, if it could not
    failures: list[tuple[str, str]] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step, summed over files (and workers)
    span: tuple[float, float] = (0.0, 0.0)  # the first file's reading began, the last one's ended (wall clock)

    def add(self, result: FileResult) -> None:
        self.files += 1
        if result.span[1] > 0:
            began, ended = result.span
            self.span = (min(began, self.span[0]) if self.span[1] else began, max(ended, self.span[1]))
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.pages += result.pages
        self.lines += result.lines
        for step, seconds in result.steps.items():
            self.steps[step] = self.steps.get(step, 0.0) + seconds
        if result.status == "failed":
            self.failures.append((result.path, result.reason))

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    @property
    def reading_pages_per_second(self) -> float:
        """Pages per second of the readers' steady work: the pages read over the wall time from the first page begun
        to the last page done, once the models are loaded (start-up, listing and shutdown left out), with the same
        meaning on a local run and on Ray; 0 when nothing was read."""
        seconds = self.span[1] - self.span[0]
        return self.pages / seconds if seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0: all read; 1: some inputs failed; 128 + the signal when interrupted (see :mod:`yocr.errors`)."""
        if self.interrupted:
            return EXIT_SIGNAL_BASE + (self.signal or signal.SIGINT)
        return EXIT_SOME_FAILED if self.failed else EXIT_OK


def display_name(text: str) -> str:
    """``text`` (a file name, a message naming one) as printable UTF-8: bytes of a name that are not UTF-8 become
    ``\\xNN`` escapes instead of failing the write."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# --- output paths and writing -------------------------------------------------------------------------------------


def page_stem(item: InputFile, page: int, pages: int, split: bool) -> Path:
    return item.rel.with_name(f"{item.rel.name}-p{page + 1:04d}") if split and pages > 1 else item.rel


def primary_output(item: InputFile, opts: RunOptions) -> Path:
    """The ``.txt`` of an input (with ``--split-pages``, multi-page inputs get a ``.pages`` list instead)."""
    return opts.out / f"{item.rel}.txt"


def is_finished(item: InputFile, opts: RunOptions) -> bool:
    """Whether an earlier run wrote this input's outputs: its last-written file exists."""
    txt = primary_output(item, opts)
    return txt.is_file() or (opts.split_pages and txt.with_suffix(".pages").is_file())


def draw_overlay(image: np.ndarray, page: Page, words: bool = False) -> np.ndarray:
    """The page image with its lines' boxes and text drawn (the image may be a scaled-down copy of the page)."""
    out = image.copy()
    scale = max(0.35, min(1.5, max(out.shape[:2]) / 2000))
    factor = out.shape[1] / page.width if page.width else 1.0
    for line in (ln.scaled(factor) for ln in page.lines) if factor != 1.0 else page.lines:
        for x0, y0, x1, y1 in line.parts or (line.box,):
            cv2.rectangle(out, (int(x0), int(y0)), (int(x1), int(y1)), (0, 160, 0), max(1, int(2 * scale)))
        for w in line.words if words else ():  # --overlay words: each word's box, thinner, in orange
            x0, y0, x1, y1 = w.box
            cv2.rectangle(out, (int(x0), int(y0)), (int(x1), int(y1)), (0, 140, 255), max(1, int(scale)))
        x0, y0 = int(line.box[0]), int(line.box[1])
        text = line.text.encode("ascii", "replace").decode()
        cv2.putText(out, text, (x0, max(12, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (0, 0, 255),
                    max(1, int(scale)), cv2.LINE_AA)
    return out


def write_outputs(item: InputFile, pages: list[Page], opts: RunOptions) -> None:
    """The ``.txt`` (and ``.json``) of one input file; the primary ``.txt`` is written last."""
    if opts.split_pages and len(pages) > 1:
        for p in pages:
            stem = opts.out / page_stem(item, p.page, p.pages, True)
            write_documents(stem, [p], opts.formats)
            atomic_write_text(stem.with_name(stem.name + ".txt"), text_file([p]))
            if opts.json:
                atomic_write_text(stem.with_name(stem.name + ".json"), json.dumps(p.to_dict(), indent=1) + "\n")
        listing = "\n".join(f"{page_stem(item, p.page, p.pages, True).name}.txt" for p in pages)
        atomic_write_text(primary_output(item, opts).with_suffix(".pages"), listing + "\n")  # written last
        return
    if opts.json:
        doc = file_dict(str(item.path), pages)
        atomic_write_text(opts.out / f"{item.rel}.json", json.dumps(doc, indent=1) + "\n")
    write_documents(opts.out / item.rel, pages, opts.formats)
    atomic_write_text(primary_output(item, opts), text_file(pages))


def write_overlay(item: InputFile, image: np.ndarray, page: Page, opts: RunOptions) -> None:
    """``NAME.overlay.png`` (``NAME-pNNNN.overlay.png`` for a page of a multi-page file): the boxes and text drawn."""
    stem = opts.out / page_stem(item, page.page, page.pages, True)
    ok, png = cv2.imencode(".png", draw_overlay(image, page, opts.overlay_words))
    if ok:
        atomic_write_bytes(stem.with_name(stem.name + ".overlay.png"), png.tobytes())


FILE_ERRORS = (Exception,)  # whatever goes wrong with one file fails that file only (reported, skipped)


def failure_reason(exc: BaseException) -> str:
    """Why a file failed, as the console and ``errors.tsv`` say it. Reading problems are :class:`ImageLoadError`s
    (the loader turns every decoding error into one), so an ``OSError`` here is a failure to write the outputs."""
    if isinstance(exc, MemoryError):
        return "out of memory while reading this file"
    if isinstance(exc, YocrError):
        return getattr(exc, "reason", str(exc))
    if isinstance(exc, OSError):
        return f"cannot write its output: {exc}"
    return f"internal error ({type(exc).__name__}: {exc}); please report it with this file"


def process_file(reader: Reader, item: InputFile, opts: RunOptions) -> FileResult:
    """Read every page of one file and write its outputs; any failure comes back as a ``failed`` result."""
    start = time.perf_counter()
    if not opts.overwrite and is_finished(item, opts):
        return FileResult(str(item.path), "skipped")
    pages: list[Page] = []
    steps = reader.take_startup()
    began = time.time()
    try:
        for image, page in reader.pages(item.path):
            pages.append(page)
            if opts.overlay:
                write_overlay(item, image.bgr, page, opts)
        written = time.perf_counter()
        write_outputs(item, pages, opts)
        steps["write"] = time.perf_counter() - written
    except FILE_ERRORS as exc:
        return FileResult(str(item.path), "failed", reason=failure_reason(exc), steps=steps)
    lines = sum(len(p.lines) for p in pages)
    for page in pages:
        for step, seconds in page.timings.items():
            steps[step] = steps.get(step, 0.0) + seconds
    return FileResult(str(item.path), "done", len(pages), lines, seconds=time.perf_counter() - start, steps=steps,
                      span=(began, time.time()))


# --- worker processes ---------------------------------------------------------------------------------------------

_WORKER: Reader | None = None


def worker_count(workers: int, device: str = "cpu") -> int:
    """The worker processes a run uses: ``workers``, or for 0 one per CPU. Pages in parallel, each worker with its
    share of the threads, beat one process whose networks use every core: the detector's ink steps, cropping and
    decoding are Python and NumPy on one core (100 receipts on 2 cores: 17.2 s with 2 workers, 24.8 s with 1), and
    Tesseract on whole pages is fastest single-threaded, one process per core."""
    from yocr.runtime import cpu_count, on_cpu

    if workers > 0:
        return workers
    return cpu_count() if on_cpu(device) else 1  # one process drives a GPU


#: How the run summary names the steps, in pipeline order; ``detector_*`` split ``detect``.
STEP_NAMES = {"load": "load/decode", "detect": "detect", "crop": "crop", "recognise": "recognise",
              "fallback": "fallback", "reread": "reread", "tesseract": "tesseract", "clean": "clean", "write": "write"}
DETECTOR_STEPS = {"detector_pre": "page ink and resize/pad", "detector_net": "network", "detector_nms": "NMS",
                  "detector_post": "ink post-processing"}


def step_summary(steps: dict[str, float]) -> str:
    """Where a run's time went, on one line: start-up (model loading, warm-up), then seconds per step."""
    parts = []
    for key, name in STEP_NAMES.items():
        if key not in steps:
            continue
        text = f"{name} {steps[key]:.2f} s"
        if key == "detect":
            split = [f"{label} {steps[k]:.2f}" for k, label in DETECTOR_STEPS.items() if k in steps]
            text += f" ({', '.join(split)})" if split else ""
        parts.append(text)
    known = set(STEP_NAMES) | set(DETECTOR_STEPS) | {"models", "warm_up"}
    parts += [f"{k} {v:.2f} s" for k, v in sorted(steps.items()) if k not in known]
    startup = ", ".join(f"{name} {steps[k]:.2f} s" for k, name in (("models", "model loading"), ("warm_up", "warm-up"))
                        if k in steps)
    return (f"start-up: {startup}; " if startup else "") + "steps: " + ", ".join(parts)


def warm_reader(config: ReaderConfig) -> Reader:
    """A reader with its models loaded and run once (start-up seconds in its first file's steps)."""
    reader = Reader(config)
    reader.warm_up()
    return reader


def _init_worker(config: ReaderConfig, workers: int = 1) -> None:
    global _WORKER
    from yocr.runtime import configure_threads

    # Ctrl-C reaches the whole process group: the parent alone decides, and ends the workers with SIGTERM, which
    # unwinds (so an atomic write in progress removes its temporary file) instead of killing outright.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(EXIT_SIGNAL_BASE + signum))
    configure_threads(workers)  # the cores shared among the workers: no thread pools fighting over them
    _WORKER = Reader(config)
    _WORKER.warm_up()


def _work(item: InputFile, opts: RunOptions) -> FileResult:
    assert _WORKER is not None
    return process_file(_WORKER, item, opts)


# --- the run ------------------------------------------------------------------------------------------------------


ERRORS_HEADER = ("path", "reason")
LOCK_FILE = ".yocr-run.lock"  # in --out while a run writes there


def write_errors(out: Path, failures: list[tuple[str, str]]) -> Path:
    """``OUT/errors.tsv``: a header and one ``path<TAB>reason`` row per failure, quoted as CSV where a field holds a
    tab, a newline or a quote; names that are not UTF-8 are written with ``\\xNN`` escapes."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
    writer.writerow(ERRORS_HEADER)
    writer.writerows((display_name(p), display_name(r)) for p, r in failures)
    path = out / ERRORS_FILE
    atomic_write_text(path, buf.getvalue())
    return path


def prepare_output(out: Path) -> None:
    """Create ``out``, or fail with an :class:`OutputError` saying why it cannot hold the outputs."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: --out names a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".yocr-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write to the output folder: {exc.strerror or exc}") from None


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``OUT/.yocr-run.lock`` for the run: a second run into the same folder is refused with an
    :class:`OutputError` naming the first one's process. The lock is released when that process ends, however it
    ends (a file left by a killed run locks nothing); the file is removed at the end of the run."""
    import fcntl

    fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            raise OutputError(f"{out}: another yocr run (process {other}) is writing there; wait for it to end or "
                              "choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        try:
            yield
        finally:
            (out / LOCK_FILE).unlink(missing_ok=True)  # removed while still held: no other run holds it meanwhile
    finally:
        os.close(fd)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, ending the run as Ctrl-C does."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_end_the_run() -> Iterator[None]:
    """While the run lasts, SIGTERM and SIGHUP stop it as Ctrl-C does (finished outputs kept, workers ended)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run(
    inputs: Iterable[str | Path],
    opts: RunOptions,
    config: ReaderConfig | None = None,
    reader: Reader | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    read_all: Callable[..., None] | None = None,
) -> Summary:
    """Read every input and write its outputs under ``opts.out``; returns counts and the failures.

    ``read_all(items, opts, config, reader, record)`` reads the listed inputs (default: in this process or its worker
    processes; :mod:`yocr.pipeline.ray_run` passes its own to read them on Ray).

    Nothing below ``opts.out`` is read. Ctrl-C, SIGTERM or SIGHUP stop the run (worker processes included); finished
    outputs and the errors file are kept. Raises :class:`OutputError` when ``opts.out`` cannot be used or another run
    is writing there.
    """
    start = time.perf_counter()
    prepare_output(opts.out)
    summary = Summary()

    def record(result: FileResult) -> None:
        summary.add(result)
        if on_result:
            on_result(result)

    with output_lock(opts.out), signals_end_the_run():
        try:
            items, missing = expand_inputs(inputs, exclude=opts.out)
            for m in missing:
                record(FileResult(m.spec, "failed", reason=m.reason))
            if on_start:
                on_start(len(items))
            (read_all or _read_all)(items, opts, config, reader, record)
        except KeyboardInterrupt as exc:
            summary.interrupted = True
            summary.signal = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        finally:
            summary.seconds = time.perf_counter() - start
            _write_errors_file(opts.out, summary)
    return summary


def _read_all(items: list[InputFile], opts: RunOptions, config: ReaderConfig | None, reader: Reader | None,
              record: Callable[[FileResult], None]) -> None:
    todo = unfinished(items, opts, record)
    config = config or (reader.config if reader else ReaderConfig())
    workers = worker_count(opts.workers, config.device)
    if workers > 1 and len(todo) > 1:
        _run_parallel(todo, replace(opts, workers=workers), config, record)
    else:
        reader = reader or warm_reader(config)
        for item in todo:
            record(process_file(reader, item, opts))


def unfinished(items: list[InputFile], opts: RunOptions, record: Callable[[FileResult], None]) -> list[InputFile]:
    """The inputs to read; those an earlier run finished are recorded as skipped (unless ``opts.overwrite``)."""
    todo = []
    for it in items:
        if opts.overwrite or not is_finished(it, opts):
            todo.append(it)
        else:
            record(FileResult(str(it.path), "skipped"))
    return todo


def _write_errors_file(out: Path, summary: Summary) -> None:
    if not (summary.failures or (out / ERRORS_FILE).exists()):
        return
    try:
        write_errors(out, summary.failures)
    except OSError as exc:
        summary.errors_file_problem = f"{out / ERRORS_FILE}: cannot be written: {exc.strerror or exc}"


def _run_parallel(items: list[InputFile], opts: RunOptions, config: ReaderConfig, record) -> None:
    ctx = get_context("spawn")  # a clean interpreter per worker: torch and forked threads do not mix
    pool = ProcessPoolExecutor(opts.workers, mp_context=ctx, initializer=_init_worker, initargs=(config, opts.workers))
    pending: dict = {}  # future -> input file
    started = time.time()
    try:
        for item in items:
            pending[pool.submit(_work, item, opts)] = item
            if len(pending) >= 4 * opts.workers:
                _collect(pending, record)
        while pending:
            _collect(pending, record)
    except BaseException:
        _stop_workers(pool, pending, record, opts, started)
        raise
    pool.shutdown(wait=True)


def _collect(pending: dict, record) -> None:
    """Record the results of the futures that finish next (a dead worker fails the files it had)."""
    done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for future in done:
        item = pending.pop(future)
        try:
            record(future.result())
        except BrokenProcessPool:
            record(FileResult(str(item.path), "failed", reason="its worker process died (out of memory?)"))


def _stop_workers(pool: ProcessPoolExecutor, pending: dict, record, opts: RunOptions, since: float) -> None:
    """End the run's worker processes now. What they finished is recorded (a file whose outputs a worker wrote in
    its last moments too, found on disk); what they were doing is not written (writes are atomic)."""
    unrecorded = []
    for future, item in list(pending.items()):
        if future.done() and not future.cancelled() and future.exception() is None:
            record(future.result())
        else:
            future.cancel()
            unrecorded.append(item)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    for item in unrecorded:
        txt = primary_output(item, opts)
        marker = txt if txt.is_file() else txt.with_suffix(".pages")
        if is_finished(item, opts) and marker.stat().st_mtime >= since:
            record(FileResult(str(item.path), "done"))