"""``yocr bench pages``: every engine reads the same annotated pages in one run, on one machine, and is scored.

Per engine and data set:

* detection: precision, recall and F1 of line boxes at IoU 0.5 against the row-merged ground truth
  (:mod:`yocr.detector.evaluate`);
* end to end: word precision, recall and F1 of the page text (multisets of words, so reading order does not count)
  and page CER (whitespace runs collapsed; reading order counts);
* speed: pages per second and latency p50/p95 (loading the image and reading it), and the whole run with model
  loading included;
* peak memory: each engine runs in a fresh process; its peak resident set size plus that of its largest child
  (a Tesseract process).
"""

from __future__ import annotations

import json
import os
import platform
import queue as queue_module
import re
import time
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from yocr import metrics
from yocr.bench import PAGE_ENGINES
from yocr.core.defaults import DETECTOR_CONF, MATCH_IOU, ROW_GAP
from yocr.core.geometry import Box, crop, same_row
from yocr.core.image import load_image
from yocr.core.io import atomic_write_text
from yocr.core.results import Line
from yocr.data.annotations import AnnotatedPage, Region
from yocr.data.rows import merge_rows
from yocr.detector.evaluate import DetectionScores
from yocr.errors import YocrError

ENGINES = PAGE_ENGINES
TESSERACT_ENGINES = ("tesseract-crops", "tesseract-page")
# The end-to-end acceptance figures on SROIE (the Checks section of pages.md)
TARGET_WORD_F1 = 0.85
TARGET_SPEEDUP = 2.0  # a whole yocr run at least this many times faster than Tesseract page by page
FULL_SROIE_SET = 100  # receipts in the validation set: fewer (--limit) are not the acceptance figures
WORD_OVER_BOX = 0.4  # a word lies over a truth box when this share of its estimated width does


@dataclass(frozen=True)
class PageBenchConfig:
    """Options of ``yocr bench pages``; the command's options mirror these."""

    engines: tuple[str, ...] = ENGINES
    detector_weights: str | None = None
    recognizer_weights: str | None = None
    imgsz: int | None = None
    conf: float = DETECTOR_CONF
    case_sensitive: bool = False  # SROIE pages (upper-case transcriptions) are folded whatever this says
    ignore: str = ""  # characters dropped from readings and truths before scoring
    alnum_only: bool = False  # keep only letters, digits and spaces before scoring
    iou: float = MATCH_IOU
    gap: float = ROW_GAP  # row merging of the ground truth (yocr.data.rows.merge_rows)
    isolate: bool = True  # each engine in a fresh process: cold model loading and an honest peak memory
    gallery: int = 24  # worst-read lines shown per data set

    def __post_init__(self) -> None:
        unknown = [e for e in self.engines if e not in ENGINES]
        if unknown or not self.engines:
            raise YocrError(f"unknown engine(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(ENGINES)}")
        if not 0.0 < self.iou <= 1.0 or self.gap < 0 or self.gallery < 0:
            raise YocrError("--iou must lie in (0, 1], the row gap and --gallery must be >= 0")


PageEngine = Callable[[np.ndarray], list[Line]]  # a BGR page in, the engine's lines out (parts: the boxes read)


@dataclass
class EngineRun:
    """What one engine produced on one data set, and how long and how much memory it took."""

    engine: str
    dataset: str
    pages: list[list[Line]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds per page: image loading + reading
    load_seconds: float = 0.0  # model loading (imports included)
    run_seconds: float = 0.0  # model loading + every page
    peak_mb: float | None = None  # the engine process's peak resident set, its children's included
    child_peak_mb: float | None = None  # the child processes' (Tesseract's) peak, sampled
    error: str = ""
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step of the reader, summed over the pages


@dataclass
class PageScores:
    engine: str
    dataset: str
    pages: int
    word_precision: float
    word_recall: float
    word_f1: float
    page_cer: float
    det_precision: float  # line boxes the engine read (the detector's cells for yocr) against row-merged truth
    det_recall: float
    det_f1: float
    row_f1: float  # the engine's output lines (cells of a printed row joined) against row-merged truth
    pages_per_second: float
    latency_p50: float
    latency_p95: float
    load_seconds: float
    run_seconds: float
    peak_mb: float | None
    settings: str = ""
    steps: dict[str, float] = field(default_factory=dict)  # seconds per page in each step of the reader


# --- engines ------------------------------------------------------------------------------------------------------


def missing_reason(name: str) -> str | None:
    """Why engine ``name`` cannot run here (an optional package or program is absent), or None when it can."""
    if name in TESSERACT_ENGINES:
        from yocr.pipeline import tesseract

        if not tesseract.available():
            return "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)"
    if name == "rapidocr":
        try:
            import rapidocr_onnxruntime  # noqa: F401
        except ImportError as exc:
            return f"rapidocr-onnxruntime is not installed (pip install 'yocr[rapidocr]'): {exc}"
    return None


def available_engines(names: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The engines that can run, and the reason for each that cannot."""
    usable, skipped = [], {}
    for name in names:
        reason = missing_reason(name)
        if reason:
            skipped[name] = reason
        else:
            usable.append(name)
    return usable, skipped


def reader_config(name: str, cfg: PageBenchConfig):
    from yocr.pipeline.reader import ReaderConfig

    # words=False: as yocr run writing text (the scores and the gallery use the line text alone)
    common = dict(detector_weights=cfg.detector_weights, recognizer_weights=cfg.recognizer_weights, imgsz=cfg.imgsz,
                  conf=cfg.conf, words=False)
    if name == "yocr":
        return ReaderConfig(**common)
    if name == "yocr-crnn":
        return ReaderConfig(fallback="none", **common)
    if name == "tesseract-crops":
        return ReaderConfig(recognizer="tesseract", **common)
    if name == "tesseract-page":
        return ReaderConfig(engine="tesseract-page")
    raise YocrError(f"engine {name!r} does not run through the yocr Reader")


def engine_settings(name: str, cfg: PageBenchConfig) -> str:
    from yocr.pipeline.reader import ReaderConfig

    if name == "rapidocr":
        return "PP-OCR models shipped in the rapidocr-onnxruntime wheel, default settings"
    if name == "tesseract-page":
        return (f"Tesseract 5 on the whole page, --psm 3, OMP_THREAD_LIMIT=1, {parallel_pages(name)} pages at a time "
                "(one process per core: its best throughput)")
    det = f"detector {cfg.detector_weights or 'shipped'}, imgsz {cfg.imgsz or 'default'}, conf {cfg.conf}"
    if name == "tesseract-crops":
        return f"{det}; Tesseract --psm 7 on each crop"
    rec = f"CRNN {cfg.recognizer_weights or 'shipped'}"
    below_again = ReaderConfig().reread_below
    again = f"; lines under {below_again} read again in other framings" if below_again > 0 else ""
    if name == "yocr-crnn":
        return f"{det}; {rec} alone{again}"
    from yocr.pipeline import tesseract

    below, prose = ReaderConfig().fallback_below, ReaderConfig().prose_fallback_below
    if not tesseract.available():
        return f"{det}; {rec}; Tesseract is not installed, so no line is re-read"
    return (f"{det}; {rec}; Tesseract re-reads lines below confidence {below} ({prose} on pages of prose) and is kept "
            f"where surer{again} (yocr run's default)")


class RapidOCREngine:
    """RapidOCR (PP-OCR detection and recognition in ONNX, the models shipped in its wheel) as a page engine."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.ocr = RapidOCR()

    def __call__(self, image: np.ndarray) -> list[Line]:
        result, _ = self.ocr(image)
        lines = []
        for quad, text, _score in result or []:
            pts = np.asarray(quad, dtype=float).reshape(-1, 2)
            box = Box(float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
            lines.append(Line(box, str(text), float(_score), 1.0, "rapidocr", (box,)))
        return lines


def open_engine(name: str, cfg: PageBenchConfig) -> PageEngine:
    """Load engine ``name``'s models once; the result reads one BGR page into its lines."""
    if name == "rapidocr":
        return RapidOCREngine()
    from yocr.pipeline.reader import Reader

    reader = Reader(reader_config(name, cfg))
    reader.warm_up()
    steps: dict[str, float] = {}

    def read(image: np.ndarray) -> list[Line]:
        page = reader.read_array(image)
        for step, seconds in page.timings.items():
            steps[step] = steps.get(step, 0.0) + seconds
        return list(page.lines)

    read.steps = steps  # type: ignore[attr-defined]
    return read


def first_page(path: str | Path) -> np.ndarray:
    return load_image(path).bgr


def run_engine(
    name: str,
    dataset: str,
    images: Sequence[Path],
    cfg: PageBenchConfig,
    progress: Callable[[], None] | None = None,
    opener: Callable[[str, PageBenchConfig], PageEngine] = open_engine,
) -> EngineRun:
    """Load the engine and read every page, timing both. Every engine but RapidOCR reads one page per CPU at a time:
    Tesseract on whole pages in single-threaded processes (its best throughput), the yocr engines in worker processes
    with one set of models each, as ``yocr run`` does by default."""
    from concurrent.futures import ThreadPoolExecutor

    if parallel_pages(name) > 1 and name in PROCESS_ENGINES and opener is open_engine:
        return run_in_workers(name, dataset, images, cfg, parallel_pages(name), progress)
    start = time.perf_counter()
    engine = opener(name, cfg)
    run = EngineRun(name, dataset, load_seconds=time.perf_counter() - start)

    def read(path: Path) -> tuple[list[Line], float]:
        t = time.perf_counter()
        lines = list(engine(first_page(path)))
        return lines, time.perf_counter() - t

    with ThreadPoolExecutor(parallel_pages(name) if name == "tesseract-page" else 1) as pool:  # one Reader: one page
        for lines, seconds in pool.map(read, images):
            run.pages.append(lines)
            run.latencies.append(seconds)
            if progress:
                progress()
    run.run_seconds = time.perf_counter() - start
    run.steps = dict(getattr(engine, "steps", {}))
    return run


def parallel_pages(name: str) -> int:
    """Pages an engine reads at once: one per CPU, except RapidOCR (which uses the cores inside a page)."""
    from yocr.runtime import cpu_count

    return 1 if name == "rapidocr" else cpu_count()


PROCESS_ENGINES = ("yocr", "yocr-crnn", "tesseract-crops")  # read pages in worker processes (Python steps: the GIL)
_WORKER_ENGINE: PageEngine | None = None


def _init_worker(name: str, cfg: PageBenchConfig, workers: int) -> None:
    from yocr.runtime import configure_threads

    global _WORKER_ENGINE
    configure_threads(workers)  # the cores shared among the workers, as yocr run's workers do
    _WORKER_ENGINE = open_engine(name, cfg)


def _worker_read(path: Path) -> tuple[list[Line], float, dict[str, float]]:
    engine = _WORKER_ENGINE
    before = dict(getattr(engine, "steps", {}))
    t = time.perf_counter()
    lines = list(engine(first_page(path)))  # type: ignore[misc]
    seconds = time.perf_counter() - t
    steps = {k: v - before.get(k, 0.0) for k, v in getattr(engine, "steps", {}).items()}
    return lines, seconds, steps


def run_in_workers(name: str, dataset: str, images: Sequence[Path], cfg: PageBenchConfig, workers: int,
                   progress: Callable[[], None] | None = None) -> EngineRun:
    """:func:`run_engine` with ``workers`` spawned processes, each loading the models once and reading pages in turn:
    ``yocr run``'s default on a machine with that many CPUs. The load time is until the first page is back, less
    its reading; the steps are summed over the workers."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    run = EngineRun(name, dataset)
    steps: dict[str, float] = {}
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker,
                               initargs=(name, cfg, workers))
    with pool:
        for lines, seconds, page_steps in pool.map(_worker_read, list(images)):
            if not run.pages:
                run.load_seconds = time.perf_counter() - start - seconds
            run.pages.append(lines)
            run.latencies.append(seconds)
            for k, v in page_steps.items():
                steps[k] = steps.get(k, 0.0) + v
            if progress:
                progress()
    run.run_seconds = time.perf_counter() - start
    run.steps = steps
    return run


class MemorySampler:
    """Peak resident memory of this process and its child processes (Tesseract), in MB.

    This process's own peak is the kernel's high-water mark (``VmHWM``, fresh in a spawned process); the total with
    the children is sampled every ``interval`` seconds, as children are short-lived and their ``ru_maxrss`` would
    count the memory of the process that forked them.
    """

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval, self.peak, self.children_peak = interval, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _own_peak_mb())

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            try:
                own = me.memory_info().rss
                children = 0
                for child in me.children(recursive=True):
                    try:
                        children += child.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                own, children = 0, 0
            self.peak = max(self.peak, (own + children) / 2**20)
            self.children_peak = max(self.children_peak, children / 2**20)
            self._stop.wait(self.interval)


def _own_peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine_process(name: str, dataset: str, images: list[Path], cfg: PageBenchConfig, queue) -> None:
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a stop unwinds, so the engine's worker pool shuts down
    try:
        with MemorySampler() as memory:
            run = run_engine(name, dataset, images, cfg, progress=lambda: queue.put(("page", None)))
        run.peak_mb, run.child_peak_mb = memory.peak, memory.children_peak
        queue.put(("done", run))
    except BaseException as exc:  # reported to the parent, which records the engine as failed
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def run_isolated(name: str, dataset: str, images: Sequence[Path], cfg: PageBenchConfig,
                 progress: Callable[[], None] | None = None) -> EngineRun:
    """:func:`run_engine` in a fresh (spawned) process, so that model loading is cold and peak memory its own."""
    ctx = get_context("spawn")
    queue = ctx.Queue()
    # not daemonic: the yocr engines start worker processes of their own (ended in the finally clause below)
    proc = ctx.Process(target=_engine_process, args=(name, dataset, list(images), cfg, queue))
    proc.start()
    try:
        while True:
            try:
                kind, value = queue.get(timeout=1.0)
            except queue_module.Empty:
                if proc.is_alive():
                    continue
                try:
                    kind, value = queue.get(timeout=1.0)
                except queue_module.Empty:
                    return EngineRun(name, dataset, error=f"the engine's process died (exit code {proc.exitcode})")
            if kind == "page":
                if progress:
                    progress()
            elif kind == "done":
                return value
            else:
                return EngineRun(name, dataset, error=value)
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


# --- scoring ------------------------------------------------------------------------------------------------------


def truth_lines(page: AnnotatedPage, gap: float = ROW_GAP) -> list[Region]:
    """The page's ground truth as lines, in reading order: its regions merged by rows."""
    return merge_rows(page.regions, gap)


def scoring_text(text: str, page: AnnotatedPage, cfg: PageBenchConfig) -> str:
    """``text`` as scored on ``page``: case folded unless case-sensitive and the page's case is reliable."""
    return metrics.normalize(text, cfg.case_sensitive and page.case_reliable, cfg.ignore, cfg.alnum_only)


def score_run(run: EngineRun, pages: Sequence[AnnotatedPage], cfg: PageBenchConfig, settings: str = "") -> PageScores:
    words = metrics.WordCounts()
    det, rows = DetectionScores(), DetectionScores()
    predicted, truths = [], []
    for page, lines, seconds in zip(pages, run.pages, run.latencies, strict=True):
        truth = truth_lines(page, cfg.gap)
        t_text = scoring_text("\n".join(r.text for r in truth), page, cfg)
        p_text = scoring_text("\n".join(ln.text for ln in lines), page, cfg)
        words += metrics.word_counts(p_text, t_text)
        predicted.append(" ".join(p_text.split()))
        truths.append(" ".join(t_text.split()))
        boxes = [r.box for r in truth]
        det.add([p for ln in lines for p in (ln.parts or (ln.box,))], boxes, seconds, cfg.iou)
        rows.add([ln.box for ln in lines], boxes, seconds, cfg.iou)
    reading = run.run_seconds - run.load_seconds  # wall time over the pages (engines may read pages in parallel)
    total = reading if run.run_seconds > 0 and reading > 0 else sum(run.latencies)
    lat = np.asarray(run.latencies or [0.0])
    return PageScores(
        engine=run.engine, dataset=run.dataset, pages=len(run.pages),
        word_precision=words.precision, word_recall=words.recall, word_f1=words.f1,
        page_cer=metrics.cer(predicted, truths),
        det_precision=det.precision, det_recall=det.recall, det_f1=det.f1, row_f1=rows.f1,
        pages_per_second=len(run.pages) / total if total > 0 else 0.0,
        latency_p50=float(np.percentile(lat, 50)), latency_p95=float(np.percentile(lat, 95)),
        load_seconds=run.load_seconds, run_seconds=run.run_seconds,
        peak_mb=run.peak_mb, settings=settings,
        steps={k: v / max(1, len(run.pages)) for k, v in run.steps.items()},
    )


# --- the worst-read lines -----------------------------------------------------------------------------------------


def words_under(box: Box, line: Line) -> str:
    """The words of ``line`` lying over ``box`` horizontally. A word's position is estimated by spreading the text
    evenly over the line's parts (the detector's cells, for yocr, whose texts are joined into one line)."""
    parts = sorted(line.parts or (line.box,), key=lambda b: b[0])
    widths = [max(p[2] - p[0], 1e-6) for p in parts]
    total, n = sum(widths), len(line.text)

    def x_at(offset: int) -> float:
        d = offset / max(n, 1) * total
        for part, w in zip(parts, widths):
            if d <= w:
                return part[0] + d
            d -= w
        return parts[-1][2]

    kept = []
    for m in re.finditer(r"\S+", line.text):
        x0, x1 = x_at(m.start()), x_at(m.end())
        if min(x1, box[2]) - max(x0, box[0]) > WORD_OVER_BOX * (x1 - x0):
            kept.append(m.group())
    return " ".join(kept)


def reading_at(box: Box, lines: Sequence[Line], truth: str | None = None) -> str:
    """What an engine read where the truth line ``box`` is: the words of its lines on that row lying over the box.

    Word positions are estimates, so with ``truth`` the words of the row that best match it are taken instead
    when they match better (a row's reading is shown, not its neighbours').
    """
    hits = sorted((ln for ln in lines if same_row(ln.box, box) and min(ln.box[2], box[2]) > max(ln.box[0], box[0])),
                  key=lambda ln: ln.box[0])
    under = " ".join(t for t in (words_under(box, ln) for ln in hits) if t)
    if truth is None:
        return under
    best = aligned(truth, " ".join(ln.text for ln in hits))
    return min((under, best), key=lambda text: metrics.cer([text.casefold()], [truth.casefold()]))


def aligned(truth: str, reading: str) -> str:
    """The words of ``reading`` around its best match with ``truth``, when the reading is longer."""
    if len(reading) <= len(truth) or not truth:
        return reading
    from rapidfuzz import fuzz

    folded = reading.lower() if len(reading.lower()) == len(reading) else reading
    a = fuzz.partial_ratio_alignment(truth.lower(), folded)
    start, end = a.dest_start, a.dest_end
    while start > 0 and not reading[start - 1].isspace():
        start -= 1
    while end < len(reading) and not reading[end].isspace():
        end += 1
    return reading[start:end].strip()


@dataclass(frozen=True)
class WorstLine:
    dataset: str
    image: Path
    box: Box
    truth: str
    readings: dict[str, str]
    cers: dict[str, float]
    worst_for: str


def worst_lines(pages: Sequence[AnnotatedPage], runs: Sequence[EngineRun], cfg: PageBenchConfig, count: int) -> list[WorstLine]:
    """The ``count`` worst-read truth lines of one data set, taken in turn from each engine's worst (CER > 0)."""
    candidates: list[tuple[int, int, dict[str, str], dict[str, float]]] = []
    for p_i, page in enumerate(pages):
        for l_i, region in enumerate(truth_lines(page, cfg.gap)):
            truth = scoring_text(region.text, page, cfg)
            if not truth.strip():
                continue
            readings, cers = {}, {}
            for run in runs:
                readings[run.engine] = reading_at(region.box, run.pages[p_i], region.text)
                cers[run.engine] = metrics.cer([scoring_text(readings[run.engine], page, cfg)], [truth])
            candidates.append((p_i, l_i, readings, cers))
    order = {run.engine: sorted((c for c in candidates if c[3][run.engine] > 0), key=lambda c: -c[3][run.engine])
             for run in runs}
    chosen, seen = [], set()
    while len(chosen) < count and any(order.values()):
        for engine, queue in order.items():
            while queue and (queue[0][0], queue[0][1]) in seen:
                queue.pop(0)
            if queue and len(chosen) < count:
                p_i, l_i, readings, cers = queue.pop(0)
                seen.add((p_i, l_i))
                region = truth_lines(pages[p_i], cfg.gap)[l_i]
                chosen.append(WorstLine(runs[0].dataset, pages[p_i].image, region.box, region.text, readings, cers,
                                        engine))
    return chosen


# --- the run ------------------------------------------------------------------------------------------------------


@dataclass
class PageReport:
    scores: list[PageScores]
    skipped: dict[str, str]
    failed: dict[str, str]
    worst: dict[str, list[WorstLine]]


Progress = Callable[[str, int], Callable[[], None]]  # (label, pages) -> advance by one page


def bench_pages(
    sets: dict[str, list[AnnotatedPage]],
    out: Path,
    cfg: PageBenchConfig = PageBenchConfig(),
    progress: Progress | None = None,
    command: str = "",
    opener: Callable[[str, PageBenchConfig], PageEngine] | None = None,
) -> PageReport:
    """Run every available engine on every data set, score them and write OUT/pages.{md,csv,json} and the PNGs.

    ``opener`` replaces :func:`open_engine` (tests); the engines then run in this process.
    """
    if not any(sets.values()):
        raise YocrError("no annotated pages to benchmark")
    engines, skipped = available_engines(cfg.engines) if opener is None else (list(cfg.engines), {})
    load_note = _load_average()
    report = PageReport([], skipped, {}, {})
    for dataset, pages in sets.items():
        images = [p.image for p in pages]
        runs = []
        for name in engines:
            advance = progress(f"{name} on {dataset}", len(images)) if progress else None
            if opener is not None:
                run = run_engine(name, dataset, images, cfg, advance, opener)
            elif cfg.isolate:
                run = run_isolated(name, dataset, images, cfg, advance)
            else:
                run = run_engine(name, dataset, images, cfg, advance)
            if run.error:
                report.failed[f"{name} on {dataset}"] = run.error
                continue
            runs.append(run)
            report.scores.append(score_run(run, pages, cfg, engine_settings(name, cfg)))
        if runs and cfg.gallery:
            report.worst[dataset] = worst_lines(pages, runs, cfg, cfg.gallery)
    write_page_report(out, report, sets, cfg, command, load_note)
    return report


# --- the report ---------------------------------------------------------------------------------------------------


def _load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.2f} (1 min), {five:.2f} (5 min) when the run started"
    except OSError:
        return ""


def machine_text() -> str:
    import subprocess

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    tess = ""
    try:
        proc = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=10)
        tess = (proc.stdout or proc.stderr).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}, Python " \
           f"{platform.python_version()}" + (f", {tess}" if tess else "")


def _fmt(v, pattern: str = "{:.3f}") -> str:
    return "n/a" if v is None else pattern.format(v)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "∅"


CSV_FIELDS = [f for f in PageScores.__dataclass_fields__ if f != "steps"]  # steps: in pages.json and pages.md


def write_page_report(out: Path, report: PageReport, sets: dict[str, list[AnnotatedPage]], cfg: PageBenchConfig,
                      command: str = "", load_note: str = "") -> None:
    from yocr.bench.plots import GalleryLine, gallery_png, speed_chart

    out.mkdir(parents=True, exist_ok=True)
    machine = machine_text()
    data = {name: {"pages": len(pages), "folder": str(Path(pages[0].image).parent) if pages else "",
                   "first": Path(pages[0].image).name if pages else "", "last": Path(pages[-1].image).name if pages else ""}
            for name, pages in sets.items()}
    scoring = {"case_sensitive": cfg.case_sensitive, "ignore": cfg.ignore, "alnum_only": cfg.alnum_only,
               "iou": cfg.iou, "row_gap": cfg.gap, "isolated_processes": cfg.isolate}
    atomic_write_text(out / "pages.json", json.dumps({
        "command": command, "machine": machine, "load": load_note, "data": data, "scoring": scoring,
        "results": [asdict(s) for s in report.scores], "skipped": report.skipped, "failed": report.failed,
        "worst_lines": {d: [{"image": str(w.image), "box": [round(v, 1) for v in w.box], "truth": w.truth,
                             "readings": w.readings, "cer": w.cers} for w in ws] for d, ws in report.worst.items()},
    }, indent=2, ensure_ascii=False))
    rows = [",".join(CSV_FIELDS)]
    for s in report.scores:
        values = asdict(s)
        rows.append(",".join(_csv_value(values[f]) for f in CSV_FIELDS))
    atomic_write_text(out / "pages.csv", "\n".join(rows) + "\n")
    if report.scores:
        speed_chart([(s.engine, s.dataset, s.pages_per_second, s.word_f1) for s in report.scores],
                    out / "pages-chart.png")
    for dataset, worst in report.worst.items():
        gallery = []
        for k, w in enumerate(worst):
            piece = crop(first_page(w.image), w.box)
            save_png(piece, out / "pages-gallery" / f"{dataset}-{k:02d}.png")
            gallery.append(GalleryLine(piece, w.truth, {e: f"{t}   (CER {w.cers[e]:.2f})" for e, t in w.readings.items()},
                                       f"{dataset} {Path(w.image).name}, worst for {w.worst_for}"))
        if gallery:
            gallery_png(gallery, out / f"pages-gallery-{dataset}.png")
    atomic_write_text(out / "pages.md", page_markdown(report, data, cfg, command, machine, load_note))


def save_png(image: np.ndarray, path: Path) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise YocrError(f"{path}: could not write the image")


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}"
    text = str(v)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text


def page_markdown(report: PageReport, data: dict, cfg: PageBenchConfig, command: str, machine: str,
                  load_note: str) -> str:
    """``pages.md``: what was run on what, the table, the checks, the engines, how it is measured, the worst lines."""
    md = _run_header(data, cfg, command, machine, load_note) + _score_table(report.scores)
    md += step_table(report.scores) + checks(report) + _engines_section(report) + _method_section(cfg)
    if report.scores:
        md += ["## Accuracy against speed", "", "![word F1 against pages per second](pages-chart.png)", ""]
    for dataset, worst in report.worst.items():
        md += _worst_section(dataset, worst)
    return "\n".join(md)


def _run_header(data: dict, cfg: PageBenchConfig, command: str, machine: str, load_note: str) -> list[str]:
    folded = "letter case folded" if not cfg.case_sensitive else "letter case scored (SROIE still folded: its " \
                                                                  "transcriptions are upper case)"
    which = (f"; characters {cfg.ignore!r} dropped" if cfg.ignore else "") + (
        "; only letters, digits and spaces kept" if cfg.alnum_only else "")
    md = ["# Page benchmark", ""]
    if command:
        md += [f"Command: `{command}`", ""]
    md += [f"Machine: {machine}" + (f"; {load_note}" if load_note else "") + ".", ""]
    md += ["Data: " + "; ".join(f"{name}: {d['pages']} pages, {d['first']} to {d['last']} in {d['folder']}"
                                for name, d in data.items()) + ".", ""]
    md += [f"Scoring: {folded}{which}; line boxes matched at IoU {cfg.iou} against the ground truth merged into "
           f"lines by rows (gap {cfg.gap} x the row height).", ""]
    return md


def _score_table(scores: Sequence[PageScores]) -> list[str]:
    md = ["| data | engine | pages | word P | word R | word F1 | page CER | line P | line R | line F1 | rows F1 | "
          "pages/s | p50 s | p95 s | load s | whole run s | peak MB |", "|---|" * 1 + "---|" * 16]
    for s in scores:
        md.append(f"| {s.dataset} | {s.engine} | {s.pages} | {s.word_precision:.3f} | {s.word_recall:.3f} | "
                  f"**{s.word_f1:.3f}** | {s.page_cer:.3f} | {s.det_precision:.3f} | {s.det_recall:.3f} | "
                  f"{s.det_f1:.3f} | {s.row_f1:.3f} | {s.pages_per_second:.2f} | {s.latency_p50:.2f} | "
                  f"{s.latency_p95:.2f} | {s.load_seconds:.1f} | {s.run_seconds:.1f} | {_fmt(s.peak_mb, '{:.0f}')} |")
    return md + [""]


def _engines_section(report: PageReport) -> list[str]:
    md = []
    if report.skipped or report.failed:
        md += ["## Engines not run", ""]
        md += [f"- {name}: skipped, {reason}" for name, reason in report.skipped.items()]
        md += [f"- {name}: failed, {reason}" for name, reason in report.failed.items()]
        md.append("")
    md += ["## Engines", ""]
    md += [f"- **{e}**: {s}" for e, s in dict.fromkeys((s.engine, s.settings) for s in report.scores)]
    return md


def _method_section(cfg: PageBenchConfig) -> list[str]:
    return ["", "## How the figures are measured", "",
            "- **word P / R / F1**: the words of the page text (split at white space) matched as multisets against "
            "the words of the ground truth, summed over the pages (micro average); reading order does not count.",
            "- **page CER**: character edits from the page text to the ground truth (lines in reading order, white "
            "space runs collapsed to one space) over the truth's characters, summed over pages; reading order counts.",
            "- **line P / R / F1**: the boxes the engine read text in, one to one against the row-merged truth "
            f"lines at IoU {cfg.iou}. For the yocr engines these are the detector's boxes (its training targets are "
            "the same row-merged lines); **rows F1** scores the output lines instead, where yocr joins every cell "
            "of a printed row into one line (so rows whose cells the truth keeps apart stop matching). Tesseract "
            "and RapidOCR give one box per output line, so both columns agree for them.",
            "- **pages/s**: pages over the wall time of reading them (loading each image and reading it; model "
            "loading excluded). Every engine but RapidOCR reads one page per CPU at a time: Tesseract on whole pages "
            "single-threaded (`OMP_THREAD_LIMIT=1`), its best throughput; the yocr engines in one worker process per "
            "CPU, each with its own models and its share of the threads, as `yocr run` does by default. **p50, "
            "p95**: one page's latency.",
            "- **load s**: model loading, imports included; **whole run s**: model loading plus every page, as a "
            "`yocr run` over the folder would spend (Python start-up excluded).",
            "- **peak MB**: " + ("each engine runs in a fresh process; its own peak resident set (`VmHWM`) and, "
                                 "sampled every 50 ms, its resident set plus its child processes' (workers, "
                                 "Tesseract); the "
                                 "larger of the two." if cfg.isolate else
                                 "n/a: the engines ran in this process (--no-isolate)."),
            "- Timings are wall-clock on the machine above, with whatever else it was running.", ""]


def _worst_section(dataset: str, worst: Sequence[WorstLine]) -> list[str]:
    engines = list(worst[0].readings) if worst else []
    md = [f"## Worst-read lines: {dataset}", "",
          "Each engine's reading is the words of its output on the truth line's row that lie over the truth "
          "box, or the row's words that best match the truth when they match better (an engine may join a "
          "row's cells into one line); ∅: nothing read there. Lines are taken in turn from each engine's "
          "worst; the figure in brackets is the line's CER.", "",
          f"![worst lines of {dataset}](pages-gallery-{dataset}.png)", "",
          "| crop | page | truth | " + " | ".join(engines) + " |", "|---|---|---|" + "---|" * len(engines)]
    for k, w in enumerate(worst):
        cells = " | ".join(f"{_md(w.readings[e])} ({w.cers[e]:.2f})" for e in engines)
        md.append(f"| ![](pages-gallery/{dataset}-{k:02d}.png) | {Path(w.image).name} | {_md(w.truth)} | {cells} |")
    return md + [""]


#: The reader's steps in pipeline order (page timings; ``detector_*`` split the ``detect`` step).
STEP_ORDER = ("load", "detect", "detector_pre", "detector_net", "detector_nms", "detector_post", "crop", "recognise",
              "fallback", "reread", "clean", "tesseract")


def step_table(scores: Sequence[PageScores]) -> list[str]:
    """Markdown: seconds per page in each step of the reader, per engine and data set (engines that report steps)."""
    timed = [s for s in scores if s.steps]
    if not timed:
        return []
    names = [n for n in STEP_ORDER if any(n in s.steps for s in timed)]
    names += sorted({n for s in timed for n in s.steps} - set(names))
    md = ["Seconds per page in each step (detect = detector_pre + detector_net + detector_nms + detector_post: "
          "the page's ink (for its right size) with resize and pad, the network, non-maximum suppression, the ink "
          "heuristics):", "",
          "| data | engine | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for s in timed:
        md.append(f"| {s.dataset} | {s.engine} | " + " | ".join(f"{s.steps[n]:.3f}" if n in s.steps else "" for n in names)
                  + " |")
    return md + [""]


def checks(report: PageReport) -> list[str]:
    """The end-to-end acceptance figures on SROIE: yocr word F1 >= ``TARGET_WORD_F1`` and above Tesseract's
    whole-page output, and a whole yocr run at least ``TARGET_SPEEDUP`` x as fast as Tesseract at its best (one
    single-threaded process per core, pages in parallel)."""
    by = {(s.engine, s.dataset): s for s in report.scores}
    yocr, tess = by.get(("yocr", "sroie")), by.get(("tesseract-page", "sroie"))
    if yocr is None:
        return []
    out = ["## Checks (SROIE validation receipts)", ""]
    if yocr.pages < FULL_SROIE_SET:
        out += [f"Only {yocr.pages} receipts were read (--limit): these are not the acceptance figures.", ""]
    ok = yocr.word_f1 >= TARGET_WORD_F1
    out.append(f"- yocr word F1 {yocr.word_f1:.3f} >= {TARGET_WORD_F1}: {'pass' if ok else 'FAIL'}")
    if tess is not None:
        out.append(f"- yocr word F1 {yocr.word_f1:.3f} > Tesseract whole-page {tess.word_f1:.3f}: "
                   f"{'pass' if yocr.word_f1 > tess.word_f1 else 'FAIL'}")
        # Tesseract loads its model in every page's process; its "load s" is only yocr's Python imports.
        tess_s = tess.run_seconds - tess.load_seconds
        ratio = tess_s / yocr.run_seconds if yocr.run_seconds > 0 else float("inf")
        out.append(f"- whole run, model loading included: yocr {yocr.run_seconds:.1f} s, Tesseract at its best "
                   f"({parallel_pages(tess.engine)} single-threaded pages at a time) {tess_s:.1f} s (its pages' time; "
                   f"each page's process loads its model), {ratio:.2f}x faster "
                   f"(>= {TARGET_SPEEDUP:g}x: {'pass' if ratio >= TARGET_SPEEDUP else 'FAIL'})")
    return out + [""]
