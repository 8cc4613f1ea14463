"""Pictures for the benchmark reports: the worst-read lines as a gallery, and accuracy against speed per engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CROP_HEIGHT = 40
MAX_CROP_WIDTH = 900
TEXT_SIZE = 15
MARGIN = 8
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class GalleryLine:
    """One row of a gallery: the crop (grey or BGR uint8), its truth, and each engine's reading."""

    crop: np.ndarray
    truth: str
    readings: dict[str, str]
    caption: str = ""


def _font(size: int) -> ImageFont.ImageFont:
    from matplotlib import font_manager

    try:
        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except OSError:
        return ImageFont.load_default()


def _fit(crop: np.ndarray) -> Image.Image:
    if crop.ndim == 3:
        crop = crop[:, :, ::-1]  # BGR -> RGB
    image = Image.fromarray(np.ascontiguousarray(crop)).convert("RGB")
    w, h = image.size
    scale = min(CROP_HEIGHT / max(h, 1), MAX_CROP_WIDTH / max(w, 1))
    return image.resize((max(1, round(w * scale)), max(1, round(h * scale))))


def gallery_png(lines: Sequence[GalleryLine], path: str | Path) -> Path:
    """Draw ``lines`` one under another (crop, then "truth" and one reading per engine) and save a PNG."""
    font = _font(TEXT_SIZE)
    step = TEXT_SIZE + 5
    crops = [_fit(ln.crop) for ln in lines]
    heights = [CROP_HEIGHT + step * (1 + len(ln.readings) + bool(ln.caption)) + 2 * MARGIN for ln in lines]
    width = MAX_CROP_WIDTH + 2 * MARGIN
    canvas = Image.new("RGB", (width, max(1, sum(heights))), "white")
    draw = ImageDraw.Draw(canvas)
    y = 0
    for ln, crop, h in zip(lines, crops, heights):
        ty = y + MARGIN
        if ln.caption:
            draw.text((MARGIN, ty), ln.caption, font=font, fill="#777777")
            ty += step
        canvas.paste(crop, (MARGIN, ty))
        ty += CROP_HEIGHT + 4
        draw.text((MARGIN, ty), f"truth: {ln.truth}", font=font, fill="black")
        for k, (engine, text) in enumerate(ln.readings.items()):
            ty += step
            draw.text((MARGIN, ty), f"{engine}: {text}", font=font, fill=COLOURS[k % len(COLOURS)])
        y += h
        draw.line((0, y - 1, width, y - 1), fill="#cccccc")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


def speed_chart(points: Sequence[tuple[str, str, float, float]], path: str | Path, ylabel: str = "word F1") -> Path:
    """Accuracy against pages per second: ``points`` are ``(engine, dataset, pages_per_second, accuracy)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = list(dict.fromkeys(p[0] for p in points))
    datasets = list(dict.fromkeys(p[1] for p in points))
    markers = "osD^v<>"
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for e_i, engine in enumerate(engines):
        for d_i, dataset in enumerate(datasets):
            pts = [p for p in points if p[0] == engine and p[1] == dataset]
            if pts:
                ax.scatter([p[2] for p in pts], [p[3] for p in pts], color=COLOURS[e_i % len(COLOURS)],
                           marker=markers[d_i % len(markers)], s=60, label=f"{engine} ({dataset})")
    ax.set_xscale("log")
    from matplotlib.ticker import FormatStrFormatter

    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set_xlabel("pages per second (log scale; right is faster)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(1.01, 0.0))
    ax.set_title(f"{ylabel} against speed, per engine and data set")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
