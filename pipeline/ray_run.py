"""``yocr run --ray``: the same run on a Ray cluster (or a local Ray instance), as a Ray Data pipeline.

    list inputs (driver) -> count pages (Ray tasks) -> decode, read pages, write outputs (actor pool) -> tally (driver)

The driver lists the inputs and skips finished ones exactly as a local run does. Ray tasks open each file's header
and count its pages (no pixels decoded): a multi-page PDF or TIFF fans out into one small row per page, and a file
that cannot be opened becomes one error row. A pool of actors, each loading the models once, decodes its own pages
(so no decoded image travels through Ray's object store), reads them and writes the outputs atomically where every
node sees them
(``--out`` on a local or shared file system). A multi-page file's pages wait as ``.yocr-pages/NAME/NNNN.json`` parts
under ``--out`` until the last one is read; the actor that writes the last part assembles the file's outputs with the
local run's writer, so the files are the same. The driver only tallies the rows into the local run's summary,
``errors.tsv`` and exit code.

Ray retries the pages of an actor that dies; a page read twice rewrites the same files atomically and is counted
once. A re-run resumes: finished files are skipped and the parts of a half-read multi-page file are reused.

Ray is optional (``pip install "yocr[ray]"``): only this module imports it, and only when ``--ray`` is asked for.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np  # noqa: F401  (Ray Data hands the batches over as numpy arrays)

from yocr.core.image import (
    PDF_DPI, PageImage, _frame, _open_image, _pdf_problem, _read_head, _render_pdf_page, load_pages,
)
from yocr.core.io import atomic_write_text
from yocr.core.remote import is_url, read_url
from yocr.core.results import Page
from yocr.core.defaults import RAY_ADDRESS
from yocr.errors import ImageLoadError, YocrError
from yocr.pipeline.load import InputFile, input_path
from yocr.pipeline.reader import Reader, ReaderConfig
from yocr.pipeline.run import (
    FILE_ERRORS, FileResult, RunOptions, Summary, failure_reason, run, unfinished, write_outputs, write_overlay,
)

PARTS_DIR = ".yocr-pages"  # under --out: the read pages of multi-page files not yet assembled
MAX_BLOCKS = 4096  # input files per decoding task: one up to this many files, then several
URL_HEAD_BYTES = 1 << 16  # what is read of a URL's JPEG or BMP to count its pages (not the whole file)
INSTALL_HINT = '--ray needs Ray Data: pip install "yocr[ray]" (or pip install "ray[data]")'


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to run; the ``--ray*`` options of ``yocr run`` mirror these one to one."""

    address: str = "local"  # "local": a Ray instance started on this machine; "auto", "ray://host:10001", "host:port"
    actors: int = 0  # readers in the pool, each with its own models (0: the cluster's CPUs / threads, or GPUs / gpus)
    batch_size: int = 4  # pages per call of an actor
    threads: int = 1  # torch threads per actor, and the CPUs each actor reserves
    gpus: float = 0.0  # GPUs per actor (0: CPU only); set --device cuda with it

    def __post_init__(self) -> None:
        if not RAY_ADDRESS.match(self.address):
            raise YocrError(f"--ray {self.address!r} is not a Ray address (local, auto, ray://host:10001 or "
                            "host:port)")
        if self.actors < 0 or self.batch_size < 1 or self.threads < 1 or self.gpus < 0:
            raise YocrError("--ray-actors must be >= 0, --ray-batch-size and --ray-threads >= 1, --ray-gpus >= 0")


def require_ray():
    """The ``ray`` module, or a :class:`YocrError` saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise YocrError(INSTALL_HINT) from None
    return ray


# --- parts of multi-page files ------------------------------------------------------------------------------------


def parts_folder(item: InputFile, opts: RunOptions) -> Path:
    return opts.out / PARTS_DIR / item.rel


def part_path(item: InputFile, opts: RunOptions, page: int) -> Path:
    return parts_folder(item, opts) / f"{page:05d}.json"


def assemble(item: InputFile, pages: int, opts: RunOptions) -> bool:
    """Write a multi-page file's outputs once every page's part is there; whether it was."""
    parts = [part_path(item, opts, k) for k in range(pages)]
    if not all(p.is_file() for p in parts):
        return False
    write_outputs(item, [Page.from_dict(json.loads(p.read_text(encoding="utf-8"))) for p in parts], opts)
    return True


# --- the Ray stages -----------------------------------------------------------------------------------------------

def _row(item: dict, page: int = 0, pages: int = 0, error: str = "") -> dict:
    return {"path": item["path"], "rel": item["rel"], "page": page, "pages": pages, "error": error}


def count_pages(path: str) -> int:
    """The pages of a file, from its header (no pixels decoded); the loader's :class:`ImageLoadError` if it has
    none or cannot be opened."""
    if is_url(path):
        count = _url_pages_from_head(path)
        if count:
            return count
    source = _source(path)
    head = source[:8] if isinstance(source, bytes) else _read_head(source)
    if head.startswith(b"%PDF"):
        pdf = _open_pdf(path, source)
        try:
            count = len(pdf)
        finally:
            pdf.close()
        if count == 0:
            raise ImageLoadError(path, "the PDF has no pages")
        return count
    image, count = _open_image(path, _stream(source))
    image.close()
    return count


def _url_pages_from_head(url: str) -> int:
    """A URL's page count from its first bytes where they settle it (a BMP; a JPEG, an MPO camera file's frames
    listed near its start), so that the file is not downloaded twice; 0 where the whole file is needed. What is
    wrong with a file is left to the actor that reads it."""
    head = read_url(url, URL_HEAD_BYTES)
    if head.startswith(b"BM"):
        return 1
    if not head.startswith(b"\xff\xd8\xff"):
        return 0
    try:
        image, count = _open_image(url, io.BytesIO(head))
        image.close()
        return count
    except ImageLoadError:
        return 0


def _source(path: str) -> Path | bytes:
    """A local file's path, or the bytes of a URL's file (read whole: an object store has no cheap header read)."""
    return read_url(path) if is_url(path) else Path(path)


def _stream(source: Path | bytes):
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _open_pdf(path: str, source: Path | bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
    except Exception as exc:  # pypdfium2 raises its own PdfiumError
        raise ImageLoadError(path, _pdf_problem(source, exc)) from None


def load_page(path: str, index: int, count: int) -> PageImage:
    """Page ``index`` of a file of ``count`` pages, decoded as :func:`yocr.core.image.load_pages` decodes it (the
    other pages are not decoded)."""
    if count == 1:
        return next(iter(load_pages(path)))
    source = _source(path)
    if (source[:8] if isinstance(source, bytes) else _read_head(source)).startswith(b"%PDF"):
        pdf = _open_pdf(path, source)
        try:
            return PageImage(_render_pdf_page(path, pdf, index, PDF_DPI), index, count, path)
        finally:
            pdf.close()
    image, found = _open_image(path, _stream(source))
    with image:
        if index >= found:
            raise ImageLoadError(path, f"page {index + 1} is gone: the file has {found} pages now")
        bgr, original = _frame(path, image, index)
    scale = original[0] / bgr.shape[1]
    return PageImage(bgr, index, found, path, scale, original if scale != 1.0 else None)


def plan(item: dict) -> Iterator[dict]:
    """One small row per page of a file (a Ray task); a file that cannot be opened gives one row with its error."""
    try:
        count = count_pages(item["path"])
    except FILE_ERRORS as exc:
        yield _row(item, error=failure_reason(exc))
        return
    for page in range(count):
        yield _row(item, page, count)


class PageReader:
    """An actor of the pool: loads the models once, then reads batches of pages and writes their outputs."""

    def __init__(self, opts: RunOptions, config: ReaderConfig, threads: int,
                 make_reader: Callable[[], Reader] | None = None):
        from yocr.runtime import configure_threads, cpu_count

        share = max(1, cpu_count() // threads)  # configure_threads divides this node's CPUs among that many workers
        configure_threads(share)  # before the models load: ONNX sessions read it
        self.opts = opts
        self.reader = make_reader() if make_reader is not None else Reader(config)
        configure_threads(share)  # and again for torch, when the models loaded it
        import ray  # an actor runs under Ray

        self.node = ray.get_runtime_context().get_node_id()  # reported with each page: how the work spread

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        out: dict[str, list] = {"path": [], "page": [], "pages": [], "lines": [], "error": [], "node": [],
                                "began": [], "ended": []}
        for i in range(len(batch["path"])):
            path, page, pages, error = str(batch["path"][i]), int(batch["page"][i]), int(batch["pages"][i]), ""
            lines, began = 0, time.time()
            if batch["error"][i]:
                error = str(batch["error"][i])
            else:
                item = InputFile(input_path(path), Path(str(batch["rel"][i])))
                try:
                    lines = self.read(item, page, pages)
                except FILE_ERRORS as exc:
                    error = failure_reason(exc)
            for key, value in zip(out, (path, page, pages, lines, error, self.node, began, time.time())):
                out[key].append(value)
        return out

    def read(self, item: InputFile, index: int, count: int) -> int:
        """Decode and read one page and write what it completes; its line count."""
        part = part_path(item, self.opts, index)
        kept = json.loads(part.read_text(encoding="utf-8"))["lines"] if count > 1 and part.is_file() else None
        if kept is not None and (not self.opts.needs_words or not kept or any(ln.get("words") for ln in kept)):
            lines = len(kept)  # read by an earlier run or a killed actor (with word boxes where they are needed now)
        else:
            start = time.perf_counter()
            image = load_page(str(item.path), index, count)
            loaded = time.perf_counter() - start
            page = self.reader.read_page(image)
            page.timings["load"] = loaded  # as the local run's Reader.pages times it
            if self.opts.overlay:
                write_overlay(item, image.bgr, page, self.opts)
            if count == 1:
                write_outputs(item, [page], self.opts)
                return len(page.lines)
            atomic_write_text(part, json.dumps(page.to_dict()) + "\n")
            lines = len(page.lines)
        assemble(item, count, self.opts)
        return lines


# --- the driver ---------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """The pages come back in any order, possibly twice (a retried batch): files complete when all their pages have."""

    seen: dict[str, set[int]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    nodes: Counter = field(default_factory=Counter)  # pages read per Ray node
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # wall clock of each open file's reading

    def add(self, row: dict) -> FileResult | None:
        path = str(row["path"])
        if path in self.closed:
            return None
        if row["error"]:
            self.closed.add(path)
            return FileResult(path, "failed", reason=str(row["error"]))
        pages = self.seen.setdefault(path, set())
        if row.get("ended"):
            began, ended = self.spans.get(path, (float(row["began"]), 0.0))
            self.spans[path] = (min(began, float(row["began"])), max(ended, float(row["ended"])))
        if row["page"] not in pages:
            pages.add(int(row["page"]))
            self.lines[path] = self.lines.get(path, 0) + int(row["lines"])
            self.nodes[str(row["node"])] += 1
        if len(pages) < int(row["pages"]):
            return None
        self.closed.add(path)
        del self.seen[path]
        return FileResult(path, "done", len(pages), self.lines.pop(path), span=self.spans.pop(path, (0.0, 0.0)))


def connect(ray, ray_opts: RayOptions) -> bool:
    """Join (or start) Ray; whether this call started it (and so should shut it down)."""
    if ray.is_initialized():
        return False
    if ray_opts.address == "local":
        try:
            # Ray starts its workers at niceness 15: beside any other busy process (a training job, a second run)
            # the readers would get a few per cent of the CPU while the local run's workers get a fair share. The
            # readers are the run here, so they run at the driver's own priority.
            ray.init(include_dashboard=False, logging_level="WARNING", configure_logging=False,
                     _system_config={"worker_niceness": 0})
        except ValueError as exc:  # Ray found an instance already running here (`ray start --head`): join it
            if "existing cluster" not in str(exc):
                raise
            if os.environ.get("RAY_ADDRESS"):  # ray.init() would join that cluster, which need not be this machine
                raise YocrError("--ray local: RAY_ADDRESS is set; use --ray auto to run on that cluster") from exc
            ray.init(include_dashboard=False, logging_level="WARNING", configure_logging=False)
    else:
        ray.init(address=ray_opts.address, include_dashboard=False, logging_level="WARNING")
    quiet(ray)
    return True


def quiet(ray) -> None:
    """Ray Data's own progress reports off: the run prints its own progress and summary."""
    ray.data.DataContext.get_current().enable_progress_bars = False
    ray.data.DataContext.get_current().print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def pool_size(ray, ray_opts: RayOptions) -> int:
    if ray_opts.actors:
        return ray_opts.actors
    resources = ray.cluster_resources()
    if ray_opts.gpus:
        return max(1, int(resources.get("GPU", 0) // ray_opts.gpus))
    return max(1, int(resources.get("CPU", 1) // ray_opts.threads))


DRIVER_PLAN_MAX = 2000  # up to this many files, the driver counts their pages itself (headers only)


def dataset(ray, items: list[InputFile], opts: RunOptions, config: ReaderConfig, ray_opts: RayOptions,
            make_reader: Callable[[], Reader] | None = None):
    """The Ray Data pipeline: files -> pages counted (tasks) -> decoded, read and written (actor pool) -> one small row
    per page."""
    actors = pool_size(ray, ray_opts)
    rows = [{"path": str(it.path), "rel": str(it.rel)} for it in items]
    local = not any(is_url(row["path"]) for row in rows)  # a URL's pages are counted by tasks: its header is a download
    if local and len(rows) <= DRIVER_PLAN_MAX:  # a few headers: counted here, sparing Ray the start of counting tasks
        planned = [page for row in rows for page in plan(row)]
        pages = ray.data.from_items(planned, override_num_blocks=min(len(planned), MAX_BLOCKS))
    else:
        files = ray.data.from_items(rows, override_num_blocks=min(len(rows), MAX_BLOCKS))
        # Counting pages is cheap next to reading: it reserves no CPU (the actors hold them), one task per actor.
        pages = files.flat_map(plan, num_cpus=0, compute=ray.data.TaskPoolStrategy(size=actors))
    # Ray Data restarts a dead actor and retries its pages (max_restarts and max_task_retries default to -1 here).
    return pages.map_batches(
        PageReader, fn_constructor_args=(opts, config, ray_opts.threads, make_reader), batch_size=ray_opts.batch_size,
        batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=ray_opts.threads,
        num_gpus=ray_opts.gpus or None,
    )


def run_on_ray(
    inputs: Iterable[str | Path],
    opts: RunOptions,
    config: ReaderConfig | None = None,
    ray_opts: RayOptions | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    make_reader: Callable[[], Reader] | None = None,
    tally: Tally | None = None,
) -> Summary:
    """:func:`yocr.pipeline.run.run` with its inputs read on Ray: the same listing, lock, outputs, summary,
    ``errors.tsv`` and exit code.

    ``make_reader`` builds each actor's reader (default: ``Reader(config)``); tests pass stubs through it. ``tally``
    (optional) is filled as the pages come back: which files closed, pages per node.
    """
    ray = require_ray()
    ray_opts = ray_opts or RayOptions()
    tally = tally if tally is not None else Tally()

    def read_all(items: list[InputFile], opts: RunOptions, config: ReaderConfig | None, reader: Reader | None,
                 record: Callable[[FileResult], None]) -> None:
        read_on_ray(ray, items, opts, config or ReaderConfig(), ray_opts, record, make_reader, tally)

    return run(inputs, opts, config, on_result=on_result, on_start=on_start, read_all=read_all)


def read_on_ray(ray, items: list[InputFile], opts: RunOptions, config: ReaderConfig, ray_opts: RayOptions,
                record: Callable[[FileResult], None], make_reader: Callable[[], Reader] | None, tally: Tally) -> None:
    """Skip the finished inputs, read the others on Ray and record each file as its last page comes back."""
    todo = unfinished(items, opts, record)
    if opts.overwrite:
        shutil.rmtree(opts.out / PARTS_DIR, ignore_errors=True)
    if not todo:
        return
    started = connect(ray, ray_opts)
    try:
        for row in dataset(ray, todo, opts, config, ray_opts, make_reader).iter_rows():
            result = tally.add(row)
            if result is not None:
                record(result)
    finally:
        tidy_parts(opts, [it for it in todo if str(it.path) in tally.closed])
        if started:
            ray.shutdown()


def tidy_parts(opts: RunOptions, closed: list[InputFile]) -> None:
    """Remove the parts of files that are done or failed (an interrupted file's parts are kept for the re-run)."""
    root = opts.out / PARTS_DIR
    if not root.is_dir():
        return
    for item in closed:
        shutil.rmtree(parts_folder(item, opts), ignore_errors=True)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    if not any(root.iterdir()):
        root.rmdir()
