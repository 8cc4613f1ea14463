"""Benchmarks: yocr against Tesseract on the same labelled data, in one run, on the same machine.

``yocr bench lines`` scores recognition on ground-truth line crops: CER, WER, exact-line accuracy and lines per
second for each engine, and writes a Markdown report, a CSV and a JSON of every figure, and a gallery of the
worst-read lines (lines-gallery.png: each crop, its truth and every engine's reading). ``yocr bench pages`` lives in
:mod:`yocr.bench.pages`.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from yocr import metrics
from yocr.core.defaults import REREAD_BELOW
from yocr.core.image import load_image
from yocr.core.io import atomic_write_text
from yocr.core.results import Reading
from yocr.data.labels import Sample, read_labels
from yocr.errors import ImageLoadError, YocrError


@dataclass
class LineScores:
    engine: str
    lines: int
    cer: float
    wer: float
    accuracy: float
    lines_per_second: float
    load_seconds: float
    settings: str = ""
    calibration_error: float = 0.0
    confidence_bins: list = field(default_factory=list)


LineEngine = Callable[[list[np.ndarray]], list[Reading]]
LINE_ENGINES = ("crnn", "tesseract")


@dataclass(frozen=True)
class LinesBenchConfig:
    """Options of ``yocr bench lines``, one to one. ``alnum`` compares letters and digits only (the scene-text
    protocol: punctuation and spaces ignored), for word crops and plates; ``seed`` picks the ``limit`` subset and
    Tesseract's tuning crops."""

    labels: tuple[Path, ...]  # labels files of line crops
    out: Path = Path("runs/bench")  # report folder
    engines: tuple[str, ...] = LINE_ENGINES
    weights: str | None = None  # recognizer weights (None: the shipped model)
    case_sensitive: bool = False
    limit: int = 0  # score a seeded random subset of this many lines (0: all)
    tune: int = 100  # crops used to pick Tesseract's best mode, scale and margin
    alnum: bool = False
    bands: bool = False  # CRNN: also read the middle bands of boxy crops, as ``yocr read`` does
    reread_below: float = REREAD_BELOW  # CRNN: unsure lines read again in other framings (0: never)
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(Path(p) for p in self.labels))
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "engines", tuple(self.engines))
        if not self.labels:
            raise YocrError("give at least one labels file")
        unknown = [e for e in self.engines if e not in LINE_ENGINES]
        if unknown or not self.engines:
            raise YocrError(f"--engines: unknown engine {', '.join(map(repr, unknown)) or '(none given)'}: "
                            f"choose from {', '.join(LINE_ENGINES)}")
        for option, value, least in (("--limit", self.limit, 0), ("--tune", self.tune, 1)):
            if value < least:
                raise YocrError(f"{option} must be at least {least}, not {value}")
        if not 0.0 <= self.reread_below <= 1.0:
            raise YocrError(f"--reread-below must lie in [0, 1], not {self.reread_below}")


def crnn_engine(weights: str | None = None, batch_size: int = 64, bands: bool = False,
                reread_below: float = REREAD_BELOW) -> tuple[LineEngine, float, str]:
    from yocr.recognizer.predictor import Recognizer

    t = time.perf_counter()
    rec = Recognizer(weights, device="cpu", batch_size=batch_size, reread_below=reread_below)
    rec.read([np.full((32, 64), 255, np.uint8)])  # warm-up
    settings = (f"weights={weights or 'shipped'}, batch={batch_size}" + (", bands" if bands else "")
                + f", reread below {reread_below:g}")
    return (lambda images: rec.read(images, bands=bands)), time.perf_counter() - t, settings


def tune_tesseract(images: list[np.ndarray], truths: list[str], case_sensitive: bool):
    """The page-segmentation mode, scale and margin that give Tesseract its lowest CER on ``images``."""
    from yocr.pipeline.tesseract import TesseractConfig, read_lines

    best = None
    for psm in (7, 6):
        for height in (48, 64):
            for pad in (0.0, 0.3):
                cfg = TesseractConfig(psm=psm, height=height, pad=pad)
                texts = [r.text for r in read_lines(images, cfg)]
                score = metrics.cer(texts, truths, case_sensitive)
                if best is None or score < best[0]:
                    best = (score, cfg)
    return best[1]


def tesseract_engine(cfg) -> tuple[LineEngine, float, str]:
    from yocr.pipeline.tesseract import read_lines, require

    require()
    return (lambda images: read_lines(images, cfg)), 0.0, f"psm={cfg.psm}, height={cfg.height}, pad={cfg.pad}"


def load_crops(samples: list[Sample]) -> tuple[list[np.ndarray], list[Sample], list[str]]:
    images, kept, problems = [], [], []
    for s in samples:
        try:
            images.append(load_image(s.path).bgr)
        except ImageLoadError as exc:
            problems.append(f"{exc}, skipped")
            continue
        kept.append(s)
    return images, kept, problems


def alnum_only(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def bench_lines(config: LinesBenchConfig) -> list[LineScores]:
    """Score each engine of ``config`` on its labelled crops and write the report under ``config.out``."""
    samples, images, problems = _sample_crops(config)
    truths = [_compared(s.label, config) for s in samples]
    results: list[LineScores] = []
    readings: dict[str, list[str]] = {}
    for name in config.engines:
        engine, load_s, settings = _engine(name, config, images, truths)
        t = time.perf_counter()
        reads = engine(images)
        seconds = time.perf_counter() - t
        texts = [_compared(r.text, config) for r in reads]
        right = metrics.exact_matches(texts, truths, config.case_sensitive)
        bins, gap = metrics.calibration([r.confidence for r in reads], right)
        readings[name] = texts
        results.append(
            LineScores(
                engine=name,
                lines=len(texts),
                cer=metrics.cer(texts, truths, config.case_sensitive),
                wer=metrics.wer(texts, truths, config.case_sensitive),
                accuracy=metrics.ratio(sum(right), len(right)),
                lines_per_second=len(texts) / seconds if seconds > 0 else float("inf"),
                load_seconds=load_s,
                settings=settings,
                calibration_error=gap,
                confidence_bins=[asdict(b) for b in bins],
            )
        )
    write_line_report(config.out, results, samples, readings, list(config.labels), config.case_sensitive, problems,
                      images)
    return results


def _sample_crops(config: LinesBenchConfig) -> tuple[list[Sample], list[np.ndarray], list[str]]:
    """The labelled crops to score (a seeded subset of ``config.limit`` of them), their images and the skipped."""
    samples: list[Sample] = []
    for f in config.labels:
        samples += read_labels(f)[0]
    if config.limit and config.limit < len(samples):
        rng = np.random.default_rng(config.seed)
        samples = [samples[i] for i in sorted(rng.choice(len(samples), config.limit, replace=False))]
    images, samples, problems = load_crops(samples)
    if not samples:
        raise YocrError("no readable labelled line images to benchmark")
    return samples, images, problems


def _compared(text: str, config: LinesBenchConfig) -> str:
    """What of a reading or truth is compared: letters and digits only under ``config.alnum``."""
    return alnum_only(text) if config.alnum else text


def _engine(
    name: str, config: LinesBenchConfig, images: list[np.ndarray], truths: list[str]
) -> tuple[LineEngine, float, str]:
    """The engine ``name`` ready to read (Tesseract tuned on ``config.tune`` of the crops), its load time, settings."""
    if name == "crnn":
        return crnn_engine(config.weights, bands=config.bands, reread_below=config.reread_below)
    rng = np.random.default_rng(config.seed + 1)
    pick = rng.choice(len(images), min(config.tune, len(images)), replace=False)
    cfg = tune_tesseract([images[i] for i in pick], [truths[i] for i in pick], config.case_sensitive)
    engine, load_s, settings = tesseract_engine(cfg)
    return engine, load_s, settings + f" (tuned on {len(pick)} of the crops)"


def write_line_report(out, results, samples, readings, labels, case_sensitive, problems, images=None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {__import__('os').cpu_count()} CPU cores, {platform.python_version()}"
    rows = [asdict(r) for r in results]
    atomic_write_text(out / "lines.json", json.dumps({"machine": machine, "data": [str(p) for p in labels],
                                                      "case_sensitive": case_sensitive, "results": rows}, indent=2))
    header = "engine,lines,cer,wer,accuracy,lines_per_second,load_seconds,calibration_error,settings\n"
    atomic_write_text(out / "lines.csv", header + "".join(
        f'{r.engine},{r.lines},{r.cer:.4f},{r.wer:.4f},{r.accuracy:.4f},{r.lines_per_second:.1f},{r.load_seconds:.2f},{r.calibration_error:.4f},"{r.settings}"\n'
        for r in results))
    md = ["# Line recognition benchmark\n", f"Data: {', '.join(str(p) for p in labels)} ({len(samples)} lines); "
          f"case {'sensitive' if case_sensitive else 'folded'}; machine: {machine}.\n",
          "| engine | lines | CER | WER | exact lines | lines/s | settings |", "|---|---|---|---|---|---|---|"]
    md += [f"| {r.engine} | {r.lines} | {r.cer:.2%} | {r.wer:.2%} | {r.accuracy:.2%} | {r.lines_per_second:.1f} | "
           f"{r.settings} |" for r in results]
    if problems:
        md += ["", f"{len(problems)} crops skipped: " + "; ".join(problems[:10])]
    md += ["", "## Confidence", "",
           "How often lines at each confidence are read exactly right; calibration error = the lines-weighted mean "
           "gap between the two (0 is perfect)."]
    for r in results:
        md += ["", f"{r.engine}: calibration error {r.calibration_error:.3f}", "",
               "| confidence | lines | mean confidence | read exactly right |", "|---|---|---|---|"]
        md += [f"| {b['low']:.2f}–{b['high']:.2f} | {b['lines']} | {b['mean_confidence']:.2f} | {b['exact']:.1%} |"
               for b in r.confidence_bins]
    # The worst-read lines of the first engine, with every engine's reading.
    first = results[0].engine
    errs = sorted(range(len(samples)), key=lambda i: -metrics.cer([readings[first][i]], [samples[i].label], case_sensitive))
    worst = errs[:25]
    md += ["", f"## Worst lines for {first}", ""]
    if images is not None and worst:
        from yocr.bench.plots import GalleryLine, gallery_png

        gallery_png([GalleryLine(images[i], samples[i].label, {e: readings[e][i] for e in readings}, samples[i].path.name)
                     for i in worst], out / "lines-gallery.png")
        md += ["![the worst-read lines: crop, truth and each engine's reading](lines-gallery.png)", ""]
    md += ["| crop | truth | " + " | ".join(readings) + " |", "|---|---|" + "---|" * len(readings)]
    for i in worst:
        cells = " | ".join(_md_cell(readings[e][i]) for e in readings)
        md.append(f"| {samples[i].path.name} | {_md_cell(samples[i].label)} | {cells} |")
    atomic_write_text(out / "lines.md", "\n".join(md) + "\n")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")
