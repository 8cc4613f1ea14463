"""The OCR pipeline for one page: load -> detect -> order -> crop -> recognise -> (fallback) -> clean.

:class:`Reader` loads the models once; :meth:`Reader.read` reads one image (a path or an array) into a
:class:`~yocr.core.results.Page`. Each step is a small function of its own, and the stages (detector, recognizer,
Tesseract) are injected, so tests can replace any of them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

from yocr.core.defaults import DETECTOR_CONF, FALLBACK_BELOW, PROSE_FALLBACK_BELOW, RUN_REREAD_BELOW, SCENE_MIN_CONFIDENCE
from yocr.core.geometry import CROP_MARGIN, union
from yocr.core.image import PageImage, Source, load_pages, to_bgr
from yocr.core.results import Detection, Detections, Line, Page, Reading
from yocr.errors import CheckpointError, YocrError
from yocr.pipeline import order
from yocr.pipeline.clean import Cleaner
from yocr.pipeline.crop import Looks, line_crops_with_transforms, split_stacked
from yocr.pipeline.words import after_cleaning, to_page
from yocr.runtime import release_memory

log = logging.getLogger(__name__)

RECOGNIZERS = ("crnn", "tesseract")
ENGINES = ("yocr", "tesseract-page")
FALLBACKS = ("auto", "tesseract", "none")


@dataclass(frozen=True)
class ReaderConfig:
    """Options of a run; the ``yocr run`` options mirror these one to one."""

    engine: str = "yocr"  # "yocr": detector + recognizer; "tesseract-page": Tesseract on the whole page
    recognizer: str = "crnn"  # what reads the detected lines: "crnn" or "tesseract"
    # Lines the CRNN reads with confidence below fallback_below are re-read by Tesseract, whose reading is kept when
    # it is surer. "auto": when Tesseract is installed; "tesseract": always (an error without it); "none": never.
    fallback: str = "auto"
    fallback_below: float = FALLBACK_BELOW
    # ... and on a page of running text (order.prose_page), below the higher of the two: Tesseract's word lists help
    # it on prose (0: no other threshold there)
    prose_fallback_below: float = PROSE_FALLBACK_BELOW
    # on a photo of a scene (a street, a car) the detector boxes textures too: their readings, less sure than this
    # (after the fallback), are left out of the page (0: keep every line)
    scene_min_confidence: float = SCENE_MIN_CONFIDENCE
    # the CRNN reads lines it is less sure of than this again in other framings and keeps the reading most agree on
    # (recognizer/reread.py; after the fallback, on the lines it left to the CRNN, on documents; 0: never, the
    # default: on documents it measured 0.1 point of word F1 for 4-5 % of the time)
    reread_below: float = RUN_REREAD_BELOW
    detector_weights: str | None = None
    recognizer_weights: str | None = None
    scene_weights: str | None = None  # the oriented-box detector for photos of scenes (None: shipped, "none": off)
    imgsz: int | None = None  # detector inference size (default: the detector's own, set per page: detector/predictor.py)
    conf: float = DETECTOR_CONF
    tile: int = 0
    margin: float = CROP_MARGIN
    deskew: bool = True
    batch_size: int = 64
    allow: str | None = None
    rules: str | None = None  # file of regex substitutions
    device: str = "cpu"
    runtime: str = "auto"  # "onnx" (the .onnx beside the weights), "torch", or "auto": onnx when it can (+ int8 detector)
    # the CRNN's word boxes (hOCR, ALTO, TSV, PDF, JSON, word overlays need them; yocr run leaves them out when it
    # writes text alone: 12-16 ms a page)
    words: bool = True
    # hand each page's freed memory back to the system after it (runtime.release_memory): a lower peak, a slower run
    low_memory: bool = False

    def __post_init__(self) -> None:
        choices_of = (("--engine", self.engine, ENGINES), ("--recognizer", self.recognizer, RECOGNIZERS),
                      ("--fallback", self.fallback, FALLBACKS))
        for option, value, choices in choices_of:
            if value not in choices:
                raise YocrError(f"{option}: unknown {option[2:]} {value!r}: choose one of {', '.join(choices)}")
        for option, value in (("--fallback-below", self.fallback_below),
                              ("--prose-fallback-below", self.prose_fallback_below),
                              ("--scene-min-confidence", self.scene_min_confidence),
                              ("--reread-below", self.reread_below), ("--conf", self.conf)):
            if not 0.0 <= value <= 1.0:
                raise YocrError(f"{option} must lie in [0, 1], not {value}")
        if self.imgsz is not None and self.imgsz < 32:
            raise YocrError(f"--imgsz must be at least 32, not {self.imgsz}")
        for option, value in (("--tile", self.tile), ("--margin", self.margin)):
            if value < 0:
                raise YocrError(f"{option} must be at least 0, not {value}")
        if self.batch_size < 1:
            raise YocrError(f"--batch-size must be at least 1, not {self.batch_size}")
        from yocr.runtime import check_runtime

        check_runtime(self.runtime)


class DetectorLike(Protocol):
    def detect(self, image: PageImage) -> list[Detection]: ...


LineReader = Callable[[list[np.ndarray]], list[Reading]]


@dataclass
class Stages:
    """What a :class:`Reader` runs; built from a config by :func:`build_stages`, or by hand in tests."""

    detector: DetectorLike | None
    recognize: LineReader | None
    fallback: LineReader | None
    page_engine: Callable[[np.ndarray], list] | None = None  # Tesseract on the whole page
    # reads crops also in horizontal bands of the boxy ones (a whole plate), keeping the surest reading; used on the
    # pages the detector takes for photos of scenes, where such crops are common (on documents it would cost 2.4 x
    # the recognition time for nothing)
    recognize_bands: LineReader | None = None
    # reads again, in other framings, the crops whose readings are unsure; run on the recognizer's readings that the
    # fallback left (so the fallback weighs the recognizer's first reading, as measured)
    reread: Callable[[list[np.ndarray], list[Reading]], list[Reading]] | None = None


def tesseract_lines() -> LineReader:
    from yocr.pipeline import tesseract

    tesseract.require()
    return lambda crops: tesseract.read_lines(crops)


def build_stages(cfg: ReaderConfig) -> Stages:
    """Load the models the config needs, once."""
    if cfg.engine == "tesseract-page":
        from yocr.pipeline import tesseract

        tesseract.require()
        return Stages(None, None, None, page_engine=tesseract.read_page)
    from yocr.detector.predictor import Detector

    detector = _load_model("detector", cfg.detector_weights, lambda: Detector(
        cfg.detector_weights, imgsz=cfg.imgsz, conf=cfg.conf, device=cfg.device, tile=cfg.tile,
        runtime=cfg.runtime, scene_weights=cfg.scene_weights))
    if cfg.recognizer == "crnn":
        from yocr.recognizer.predictor import Recognizer

        recognizer = _load_model("recognizer", cfg.recognizer_weights, lambda: Recognizer(
            cfg.recognizer_weights, device=cfg.device, batch_size=cfg.batch_size, allow=cfg.allow,
            runtime=cfg.runtime, words=cfg.words, reread_below=cfg.reread_below))
        recognize: LineReader = lambda crops: recognizer.read(crops, again=False)
        bands: LineReader | None = lambda crops: recognizer.read(crops, bands=True, again=False)
        again = recognizer.reread if cfg.reread_below > 0 else None
    else:
        recognize, bands, again = tesseract_lines(), None, None
    return Stages(detector, recognize, fallback_reader(cfg), recognize_bands=bands, reread=again)


def _load_model(kind: str, weights: str | None, load: Callable):
    """``load()``, with any failure that is not already a yocr error turned into one naming the weights file."""
    try:
        return load()
    except YocrError:
        raise
    except Exception as exc:  # a malformed checkpoint: KeyError, ValueError, RuntimeError from torch, ...
        name = weights or f"the shipped {kind} weights"
        raise CheckpointError(f"{name}: not a usable {kind} checkpoint ({type(exc).__name__}: {exc})") from None


def fallback_reader(cfg: ReaderConfig) -> LineReader | None:
    """Tesseract on crops for ``--fallback`` (None when the lines are already read by Tesseract or it is off)."""
    from yocr.pipeline import tesseract

    if cfg.recognizer != "crnn" or cfg.fallback == "none":
        return None
    if cfg.fallback == "auto" and not tesseract.available():
        log.warning("tesseract is not installed: unsure lines are not re-read (see README to install it)")
        return None
    return tesseract_lines()


# --- the steps ----------------------------------------------------------------------------------------------------


def detect(stages: Stages, image: PageImage) -> Detections:
    if stages.detector is None:
        return Detections()
    found = stages.detector.detect(image)
    return found if isinstance(found, Detections) else Detections(found)


def detector_steps(stages: Stages) -> dict[str, float]:
    """The detector's own split of its time since the last call (the page's ink for its right size with resize and
    pad, network, NMS, ink heuristics)."""
    steps = getattr(stages.detector, "timings", None)
    if not isinstance(steps, dict):
        return {}
    out = dict(steps)
    steps.clear()
    return out


def group_rows(found: Sequence[Detection]) -> list[list[Detection]]:
    return order.reading_order(found)


def recognise(stages: Stages, crops: list[np.ndarray], scene: bool = False) -> list[Reading]:
    """The recognizer's reading of each crop; on a photo of a scene (``scene``) boxy crops are read in bands too."""
    read = stages.recognize_bands if scene and stages.recognize_bands is not None else stages.recognize
    readings = read(crops) if crops else []
    if len(readings) != len(crops):
        raise YocrError(f"the recognizer returned {len(readings)} readings for {len(crops)} crops")
    return readings


def fall_back(stages: Stages, crops: list[np.ndarray], readings: list[Reading], below: float) -> tuple[list[Reading], list[bool]]:
    """Re-read with the fallback engine the crops read with confidence below ``below``; its reading replaces the
    first where it is not empty and surer (a higher confidence). Flags say which lines changed."""
    low = [i for i, r in enumerate(readings) if r.confidence < below]
    used = [False] * len(readings)
    if stages.fallback is None or not low:
        return readings, used
    readings = list(readings)
    for i, second in zip(low, stages.fallback([crops[i] for i in low])):
        if second.text.strip() and second.confidence > readings[i].confidence:
            readings[i], used[i] = second, True
    return readings, used


def read_again(stages: Stages, crops: list[np.ndarray], readings: list[Reading], used: list[bool]) -> list[Reading]:
    """The recognizer's unsure readings (those the fallback did not replace) read again in other framings."""
    mine = [i for i, u in enumerate(used) if not u]
    if stages.reread is None or not mine:
        return readings
    readings = list(readings)
    for i, reading in zip(mine, stages.reread([crops[i] for i in mine], [readings[i] for i in mine])):
        readings[i] = reading
    return readings


def assemble(rows: list[list[Detection]], readings: list[Reading], used: list[bool], engine: str) -> list[tuple[Line, str]]:
    """One output line per row: cells' texts joined left to right; confidence weighted by text length."""
    out, k = [], 0
    for row in rows:
        cells = readings[k : k + len(row)]
        flags = used[k : k + len(row)]
        k += len(row)
        texts = [c.text.strip() for c in cells]
        weights = np.array([max(1, len(t)) for t in texts], float)
        conf = float(np.average([c.confidence for c in cells], weights=weights))
        boxes = tuple(d.box for d in row)
        det = float(np.mean([d.score for d in row]))
        name = "tesseract" if all(flags) else engine if not any(flags) else f"{engine}+tesseract"
        raw = " ".join(t for t in texts if t)
        words = tuple(w for c in cells for w in c.words)
        out.append((Line(union(boxes), raw, conf, det, name, boxes, words), raw))
    return out


def clean(cleaner: Cleaner, lines: list[tuple[Line, str]]) -> tuple[Line, ...]:
    kept = []
    for line, raw in lines:
        text = cleaner(raw)
        if text is not None:
            kept.append(replace(line, text=text, words=after_cleaning(line.words, text)))
    return tuple(kept)


class Reader:
    """Reads pages with the detector and recognizer (or Tesseract), models loaded once.

    >>> reader = Reader()                      # shipped models
    >>> page = reader.read("receipt.jpg")      # or an H x W (x 3) uint8 array
    >>> print(page.text)
    """

    def __init__(self, config: ReaderConfig | None = None, stages: Stages | None = None, **options):
        self.config = config or ReaderConfig(**options)
        start = time.perf_counter()
        self.stages = stages or build_stages(self.config)
        # Start-up seconds not yet reported (model loading, warm-up): the next file's steps take them.
        self.startup: dict[str, float] = {} if stages else {"models": time.perf_counter() - start}
        self.cleaner = Cleaner.from_options(self.config.rules, self.config.allow)

    def warm_up(self) -> float:
        """Run the networks once on a small blank page and line (their first inference allocates and plans), and
        load Tesseract's line engines where it re-reads or reads the lines (the C API's engines, one per thread,
        load their model on first use); returns the seconds it took, also kept in :attr:`startup`."""
        start = time.perf_counter()
        blank_line = np.full((32, 96), 255, np.uint8)
        if self.stages.detector is not None:
            detect(self.stages, PageImage(np.full((64, 64, 3), 255, np.uint8)))
            detector_steps(self.stages)
        if self.stages.recognize is not None:
            self.stages.recognize([blank_line] * (1 if self.config.recognizer == "crnn" else 2))
        if self.stages.fallback is not None:
            self.stages.fallback([blank_line] * 2)
        seconds = time.perf_counter() - start
        self.startup["warm_up"] = self.startup.get("warm_up", 0.0) + seconds
        return seconds

    def take_startup(self) -> dict[str, float]:
        """The start-up seconds not yet reported, once."""
        out, self.startup = getattr(self, "startup", {}), {}
        return out

    def read(self, image: Source, page: int = 0) -> Page:
        """One page: an array, an image file (a path or its bytes), or page ``page`` (0-based) of a PDF or TIFF."""
        if isinstance(image, np.ndarray):
            return self.read_array(image)
        for p in self.read_pages(image):
            if p.page == page:
                return p
        raise YocrError(f"{image if isinstance(image, (str, Path)) else '<bytes>'}: has no page {page + 1}")

    def read_pages(self, source: Source) -> Iterator[Page]:
        """Every page of a file, one :class:`Page` each, as they are read."""
        for _, page in self.pages(source):
            yield page

    def pages(self, source: Source, name: str | None = None) -> Iterator[tuple[PageImage, Page]]:
        """Every page of a file as ``(the loaded page image, its reading)``, as they are read."""
        name = name or (str(source) if isinstance(source, (str, Path)) else None)
        start = time.perf_counter()
        for image in load_pages(source, name=name):
            loaded = time.perf_counter() - start
            result = self.read_page(image)
            result.timings["load"] = loaded
            yield image, result
            start = time.perf_counter()

    def read_array(self, image: np.ndarray, source: str = "<array>", page: int = 0, pages: int = 1) -> Page:
        return self.read_page(PageImage(to_bgr(image, source), page, pages, source))

    def fallback_below(self, found: Detections) -> float:
        """The confidence below which this page's lines are re-read: higher on a page of prose."""
        below = self.config.fallback_below
        return max(below, self.config.prose_fallback_below) if order.prose_page(found) else below

    def cut(self, image: PageImage, lap: Callable[[str], None] = lambda step: None):
        """The page's lines as the reader cuts them: its detections, their rows in reading order, the cells (boxes)
        in that order, and each cell's ``(crop, transform)``; ``lap`` is told when the detect and crop steps end."""
        found = detect(self.stages, image)
        lap("detect")
        looks = Looks()  # each crop's angle and ink, learnt once for the split and the crops
        if self.config.deskew:  # counted in "crop": the lines are cut apart there too
            found = split_stacked(image.bgr, found, self.config.margin, looks)
        rows = group_rows(found)
        cells = [d.box for row in rows for d in row]
        quads = [d.quad for row in rows for d in row]
        placed = line_crops_with_transforms(image.bgr, cells, self.config.margin, self.config.deskew, looks, quads)
        lap("crop")
        return found, rows, cells, placed

    def read_page(self, image: PageImage) -> Page:
        """The reading of one loaded page: the steps of the module docstring, each timed."""
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = now - clock
            clock = now

        if self.stages.page_engine is not None:
            page_lines = self.stages.page_engine(image.bgr)
            lap("tesseract")
            raw = [(line, line.text) for line in page_lines]
        else:
            found, rows, cells, placed = self.cut(image, lap)
            timings.update(detector_steps(self.stages))
            crops = [crop for crop, _ in placed]
            readings = recognise(self.stages, crops, found.scene)
            lap("recognise")
            readings, used = fall_back(self.stages, crops, readings, self.fallback_below(found))
            if any(used) or self.stages.fallback is not None:
                lap("fallback")
            if not found.scene and self.stages.reread is not None:  # on photos of scenes it measured no better
                readings = read_again(self.stages, crops, readings, used)
                lap("reread")
            readings = [replace(r, words=to_page(r.words, m, cell)) for r, (_, m), cell in zip(readings, placed, cells)]
            raw = assemble(rows, readings, used, self.config.recognizer)
            if found.scene:  # a photo of a street or a car: unsure readings are mostly of textures, not text
                raw = [(line, text) for line, text in raw if line.confidence >= self.config.scene_min_confidence]
        lines = clean(self.cleaner, raw)
        lap("clean")
        if image.scale != 1.0:  # a huge image read scaled down: boxes in its own pixels
            lines = tuple(line.scaled(image.scale) for line in lines)
        width, height = image.original_size
        if self.config.low_memory:
            release_memory()
        return Page(image.source, width, height, lines, image.index, image.count, timings)
