"""Tesseract as an engine: on line crops (fallback and baseline) and on whole pages (baseline).

Line crops are read through Tesseract's C API (tesserocr) where it is installed: one engine per thread, loaded once
per process and kept, so a page's few doubtful lines cost only their recognition. Without tesserocr they are read
in one ``tesseract`` process per chunk through a list file, so the model loads once per chunk rather than once per
line. Crops get a paper-coloured margin and are scaled to a text height that suits Tesseract.
Every tesseract process is single-threaded (``OMP_THREAD_LIMIT=1``) and one runs per core (chunks of crops, pages):
its fastest setting.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from yocr.errors import ConfigError, YocrError
from yocr.core.geometry import union
from yocr.core.results import Line, Reading, Word
from yocr.recognizer.preprocess import to_grey


@dataclass(frozen=True)
class TesseractConfig:
    psm: int = 7  # a single text line
    height: int = 48  # crops are scaled to this height
    pad: float = 0.3  # margin added on every side, as a fraction of the scaled height
    lang: str = "eng"
    chunk: int = 200  # most crops per tesseract process
    min_chunk: int = 8  # crops are spread over the workers, but no process gets fewer than this (start-up costs)
    workers: int = 0  # tesseract processes run at once, each single-threaded; 0: one per CPU
    api: str = "auto"  # line crops through the C API: 'auto' (where tesserocr is installed), 'never'


def single_threaded() -> dict[str, str]:
    """The environment tesseract runs in: ``OMP_THREAD_LIMIT=1``. Its OpenMP threads slow it down (on 2 cores, 43
    receipts took 143 s with them and 33 s without, issue 16); yocr runs one process per core instead."""
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def process_count(cfg: TesseractConfig) -> int:
    """Tesseract processes (or C API engines) at once: ``cfg.workers``, or this process's share of the CPUs (all of
    them in a single process; one each when ``yocr run`` has one worker per CPU)."""
    from yocr.runtime import threads

    return cfg.workers if cfg.workers > 0 else threads()


def available() -> bool:
    return shutil.which("tesseract") is not None


def require() -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise ConfigError("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng (see README)")
    return exe


def prepare_crop(image: np.ndarray, cfg: TesseractConfig) -> np.ndarray:
    grey = to_grey(image)
    h, w = grey.shape
    if h < 2 or w < 2:
        return np.full((cfg.height, cfg.height), 255, np.uint8)
    scale = cfg.height / h
    grey = cv2.resize(grey, (max(2, round(w * scale)), cfg.height), interpolation=cv2.INTER_CUBIC)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    pad = int(round(cfg.pad * cfg.height))
    return cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(np.median(border)))


def _parse_tsv(text: str, pages: int) -> list[Reading]:
    words: dict[int, list[tuple[tuple[int, int, int, int], str, float]]] = {i: [] for i in range(1, pages + 1)}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]), int(row["word_num"]))
        x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        words.setdefault(int(row["page_num"]), []).append((key, row["text"], float(row["conf"]), (x, y, x + w, y + h)))
    out = []
    for page in range(1, pages + 1):
        ws = sorted(words.get(page, []))
        text = " ".join(t for _, t, _, _ in ws)
        conf = float(np.mean([c for _, _, c, _ in ws])) / 100 if ws else 0.0
        found = tuple(Word(t, b, float(np.clip(c / 100, 0.0, 1.0))) for _, t, c, b in ws)  # prepared-crop pixels
        out.append(Reading(text, float(np.clip(conf, 0.0, 1.0)), found))
    return out


def _read_chunk(exe: str, chunk: list[np.ndarray], cfg: TesseractConfig) -> list[Reading]:
    with tempfile.TemporaryDirectory(prefix="yocr-tess-") as tmp:
        names = []
        for i, image in enumerate(chunk):
            name = str(Path(tmp) / f"{i:05d}.png")
            cv2.imwrite(name, prepare_crop(image, cfg))
            names.append(name)
        (Path(tmp) / "list.txt").write_text("\n".join(names) + "\n")
        cmd = [exe, str(Path(tmp) / "list.txt"), str(Path(tmp) / "out"), "--psm", str(cfg.psm), "-l", cfg.lang, "tsv"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=single_threaded())
        tsv = Path(tmp) / "out.tsv"
        if proc.returncode != 0 or not tsv.is_file():
            raise YocrError(f"tesseract failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        readings = _parse_tsv(tsv.read_text(encoding="utf-8"), len(chunk))
        return [replace(r, words=words_in_crop(r.words, image, cfg)) for r, image in zip(readings, chunk)]


def words_in_crop(words: tuple[Word, ...], image: np.ndarray, cfg: TesseractConfig) -> tuple[Word, ...]:
    """Word boxes from the pixels of :func:`prepare_crop`'s image (scaled, padded) back to the crop's."""
    h, w = image.shape[:2]
    if h < 2 or w < 2:
        return ()
    sx, sy = max(2, round(w * cfg.height / h)) / w, cfg.height / h
    pad = int(round(cfg.pad * cfg.height))
    return tuple(replace(wd, box=((wd.box[0] - pad) / sx, (wd.box[1] - pad) / sy, (wd.box[2] - pad) / sx,
                                  (wd.box[3] - pad) / sy)) for wd in words)


@lru_cache(maxsize=1)
def tessdata_dir() -> str | None:
    """The folder of the installed ``tesseract``'s language models (``TESSDATA_PREFIX`` where set)."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    proc = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, env=single_threaded())
    first = (proc.stdout or proc.stderr).splitlines()[:1]
    if first and '"' in first[0]:
        return first[0].split('"')[1]
    return None


@lru_cache(maxsize=1)
def api_available() -> bool:
    """tesserocr is installed and finds the installed tesseract's language models."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata_dir() is not None


_engines = threading.local()
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _engine(cfg: TesseractConfig):
    """This thread's Tesseract engine for ``cfg``'s language and page-segmentation mode (created once, then kept)."""
    import tesserocr

    engines = getattr(_engines, "by_key", None)
    if engines is None:
        engines = _engines.by_key = {}
    key = (cfg.lang, cfg.psm)
    if key not in engines:
        engines[key] = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=cfg.lang, psm=cfg.psm)
    return engines[key]


def _pool(n: int) -> ThreadPoolExecutor:
    """A thread pool kept for the process, so that its threads' engines stay loaded between pages."""
    with _pools_lock:
        if n not in _pools:
            _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="yocr-tesseract")
        return _pools[n]


def _read_chunk_api(chunk: list[np.ndarray], cfg: TesseractConfig) -> list[Reading]:
    """The same readings as :func:`_read_chunk` (words, mean word confidence), through the C API."""
    from PIL import Image
    from tesserocr import RIL, iterate_level

    engine = _engine(cfg)
    out = []
    for image in chunk:
        engine.SetImage(Image.fromarray(prepare_crop(image, cfg)))
        engine.Recognize()
        words = []
        iterator = engine.GetIterator()
        for word in iterate_level(iterator, RIL.WORD) if iterator is not None else ():
            try:
                text = (word.GetUTF8Text(RIL.WORD) or "").strip()
            except RuntimeError:  # "No text returned": an empty word
                continue
            box = word.BoundingBox(RIL.WORD)
            if text and box:
                words.append(Word(text, box, float(np.clip(word.Confidence(RIL.WORD) / 100, 0.0, 1.0))))
        conf = float(np.mean([w.confidence for w in words])) if words else 0.0
        out.append(Reading(" ".join(w.text for w in words), conf, words_in_crop(tuple(words), image, cfg)))
    return out


def read_lines(images: list[np.ndarray], cfg: TesseractConfig = TesseractConfig()) -> list[Reading]:
    """Tesseract's reading of each line crop, with its mean word confidence in [0, 1], in input order."""
    exe = require()
    n = process_count(cfg)
    if cfg.api == "auto" and api_available():
        size = max(1, -(-len(images) // n))
        chunks = [images[i : i + size] for i in range(0, len(images), size)]
        return [r for chunk in _pool(n).map(lambda c: _read_chunk_api(c, cfg), chunks) for r in chunk]
    size = min(cfg.chunk, max(cfg.min_chunk, -(-len(images) // n)))  # every core busy, start-ups amortised
    chunks = [images[i : i + size] for i in range(0, len(images), size)]
    with ThreadPoolExecutor(n) as pool:
        results = pool.map(lambda c: _read_chunk(exe, c, cfg), chunks)
        return [r for chunk in results for r in chunk]


PAGE_ENGINE = "tesseract-page"


def parse_page_tsv(text: str) -> list[Line]:
    """Tesseract's page TSV grouped into its lines (block, paragraph, line), in Tesseract's reading order."""
    lines: dict[tuple[int, int, int], list[tuple[int, str, float, tuple[int, int, int, int]]]] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        lines.setdefault(key, []).append((int(row["word_num"]), row["text"], float(row["conf"]), (x, y, x + w, y + h)))
    out = []
    for key in sorted(lines):
        words = sorted(lines[key])
        box = union(w[3] for w in words)
        conf = float(np.clip(np.mean([w[2] for w in words]) / 100, 0.0, 1.0))
        found = tuple(Word(w[1], w[3], float(np.clip(w[2] / 100, 0.0, 1.0))) for w in words)
        out.append(Line(box, " ".join(w[1] for w in words), conf, 1.0, PAGE_ENGINE, (box,), found))
    return out


def read_page(image: np.ndarray, psm: int = 3, lang: str = "eng") -> list[Line]:
    """Tesseract on a whole page (automatic page segmentation): its lines with boxes and mean word confidence."""
    exe = require()
    with tempfile.TemporaryDirectory(prefix="yocr-tess-") as tmp:
        name = str(Path(tmp) / "page.png")
        cv2.imwrite(name, image)
        cmd = [exe, name, str(Path(tmp) / "out"), "--psm", str(psm), "-l", lang, "tsv"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=single_threaded())  # pages run in parallel
        tsv = Path(tmp) / "out.tsv"
        if proc.returncode != 0 or not tsv.is_file():
            raise YocrError(f"tesseract failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        return parse_page_tsv(tsv.read_text(encoding="utf-8"))
