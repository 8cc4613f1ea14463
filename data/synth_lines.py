"""Render single-line images with labels, in the TRSynth100K layout (``images/`` + ``labels.txt``)."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from yocr.data.augment import line_degradations
from yocr.data.fonts import find_fonts
from yocr.data.labels import atomic_write_text
from yocr.data.text_gen import TextSource
from yocr.errors import YocrError
from yocr.recognizer.charset import PRINTABLE_ASCII


@dataclass(frozen=True)
class SynthLinesConfig:
    count: int = 1000
    seed: int = 0
    min_size: int = 14  # font size in pixels
    max_size: int = 44
    charset: str = PRINTABLE_ASCII
    workers: int = 2

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("count must be >= 1")
        if not 6 <= self.min_size <= self.max_size:
            raise ValueError("need 6 <= min_size <= max_size")


class LineRenderer:
    """Draws one line of text with a random font, size, colours, spacing and damage, from a seeded generator."""

    def __init__(self, fonts: list[Path], text_source: TextSource, config: SynthLinesConfig):
        if not fonts:
            raise YocrError("no usable fonts found under /usr/share/fonts: install Debian's font packages (see README)")
        self.fonts = [str(f) for f in fonts]
        self.text_source = text_source
        self.config = config
        self.augment = line_degradations()

    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        text = self.text_source(rng)
        font_path = self.fonts[rng.integers(len(self.fonts))]
        size = int(rng.integers(self.config.min_size, self.config.max_size + 1))
        font = ImageFont.truetype(font_path, size)
        paper = int(np.clip(255 - abs(rng.normal(0, 40)), 120, 255))
        ink = int(rng.integers(0, max(1, paper - 90)))
        if rng.random() < 0.08:  # light text on a dark ground (signs, plates)
            paper, ink = 255 - paper, 255 - ink
        tint = rng.integers(-20, 21, size=3)
        paper_rgb = tuple(int(np.clip(paper + t, 0, 255)) for t in tint)
        ink_rgb = tuple(int(np.clip(ink + t, 0, 255)) for t in rng.integers(-25, 26, size=3))
        spacing = float(rng.choice([0.0, 0.0, 0.0, 0.05, 0.12, -0.04])) * size
        left, top, right, bottom = font.getbbox(text)
        width = int(right - left + max(0.0, spacing) * len(text)) + size
        height = int(size * 1.6)
        canvas = Image.new("RGB", (max(width, 8), height), paper_rgb)
        draw = ImageDraw.Draw(canvas)
        y = (height - (bottom - top)) // 2 - top
        if spacing == 0.0:
            draw.text((size // 2 - left, y), text, font=font, fill=ink_rgb)
        else:
            x = size // 2 - left
            for ch in text:
                draw.text((x, y), ch, font=font, fill=ink_rgb)
                x += font.getlength(ch) + spacing
        if rng.random() < 0.1:  # an underline or a table rule
            yy = int(height * rng.uniform(0.8, 0.95))
            draw.line([(0, yy), (canvas.width, yy)], fill=ink_rgb, width=1)
        image = np.asarray(canvas)
        image = self._tight_crop(image, paper_rgb, rng)
        self.augment.set_random_seed(int(rng.integers(2**31)))
        image = self.augment(image=image)["image"]
        return image, text

    @staticmethod
    def _tight_crop(image: np.ndarray, paper: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        diff = np.abs(image.astype(np.int16) - np.array(paper, dtype=np.int16)).max(axis=2) > 30
        rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
        if len(rows) == 0:
            return image
        h = rows[-1] - rows[0] + 1
        mt, mb = (int(round(h * rng.uniform(0.02, 0.3))) for _ in range(2))
        ml, mr = (int(round(h * rng.uniform(0.02, 0.5))) for _ in range(2))
        y0, y1 = max(0, rows[0] - mt), min(image.shape[0], rows[-1] + 1 + mb)
        x0, x1 = max(0, cols[0] - ml), min(image.shape[1], cols[-1] + 1 + mr)
        return image[y0:y1, x0:x1]


_worker: LineRenderer | None = None


def _init_worker(fonts: list[Path], corpus: list[str], config: SynthLinesConfig) -> None:
    global _worker
    cv2.setNumThreads(1)
    _worker = LineRenderer(fonts, TextSource(corpus, config.charset), config)


def _render_one(args: tuple[int, int, str]) -> tuple[str, str]:
    index, seed, out = args
    rng = np.random.default_rng([seed, index])
    image, text = _worker.render(rng)
    name = f"{index:07d}.jpg"
    cv2.imwrite(str(Path(out) / "images" / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return name, text


def synth_lines(out: str | Path, config: SynthLinesConfig, corpus: list[str] | None = None, progress=None) -> int:
    """Render ``config.count`` lines into ``out/images`` and write ``out/labels.txt``. Deterministic for a seed."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    fonts = find_fonts(config.charset.replace(" ", ""))
    corpus = corpus or []
    jobs = [(i, config.seed, str(out)) for i in range(config.count)]
    results: list[tuple[str, str]] = []
    if config.workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(config.workers, _init_worker, (fonts, corpus, config)) as pool:
            for r in pool.imap(_render_one, jobs, chunksize=64):
                results.append(r)
                if progress:
                    progress()
    else:
        _init_worker(fonts, corpus, config)
        for job in jobs:
            results.append(_render_one(job))
            if progress:
                progress()
    atomic_write_text(out / "labels.txt", "".join(f"{n} {t}\n" for n, t in results))
    return len(results)
