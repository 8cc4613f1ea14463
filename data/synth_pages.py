"""Render whole pages with their text-line boxes, straight into the YOLO layout (``yocr data synth-pages``).

Page kinds: documents (headings, paragraphs, one or two columns, small print), receipts (narrow, mostly mono fonts,
left and right aligned cells), forms (labels, fields, boxes, check boxes, section bands), tables (rules, several
columns) and scenes (text on coloured signs and plates over a natural-looking background). Documents are scanned
(slight rotation, grey, noise, JPEG) or photographed (perspective on a table, uneven light, shadows, blur, noise,
JPEG).

Every text segment is drawn through a mask, so its box is the exact box of its ink; segments are then merged into
lines with :func:`~yocr.data.rows.merge_rows`, the rule the real-data converters use. Geometric transforms move the
four corners of each box and keep the enclosing box. Everything is drawn from a generator seeded with
``(seed, page index)``, so a seed always gives the same pages.

Beside each label file, ``text/SPLIT/NAME.txt`` holds the transcription of each labelled line, line for line: the
format ``yocr bench pages --yolo`` scores end to end and ``yocr data crops`` cuts line crops from.
"""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import albumentations as A
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from yocr.core.alphabet import PRINTABLE_ASCII
from yocr.core.geometry import Box, union
from yocr.core.io import atomic_write_text
from yocr.data.annotations import Region
from yocr.data.fonts import find_fonts
from yocr.data.rows import merge_rows
from yocr.data.text_gen import TextSource
from yocr.data.yolo import YoloSummary, clip_box, prepare_layout, write_dataset_yaml, yolo_label_text
from yocr.errors import YocrError

KINDS = ("document", "receipt", "form", "table", "scene", "book", "label")
_KIND_WEIGHTS = (0.16, 0.14, 0.11, 0.11, 0.16, 0.22, 0.10)
_MONO = ("mono", "courier", "inconsolata", "ocr")
_BOLD = ("bold", "black", "heavy")
_FAINT = ("thin", "hairline", "extralight")


@dataclass(frozen=True)
class SynthPagesConfig:
    count: int = 200
    seed: int = 0
    val_fraction: float = 0.1  # the last pages of the run go to the val split
    min_side: int = 600  # long side of a page, pixels
    max_side: int = 1600
    photo: float = 0.35  # share of documents, receipts, forms and tables shot as photos rather than scanned
    min_visibility: float = 0.6  # boxes keeping less of their area inside the image after warping are dropped
    min_size: float = 4.0  # boxes under this many pixels wide or high are dropped
    workers: int = 1
    charset: str = PRINTABLE_ASCII
    kinds: tuple[str, ...] = KINDS  # the page kinds drawn (in their usual proportions)

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise YocrError(f"--kinds must be some of {', '.join(KINDS)}; got {', '.join(self.kinds) or 'none'}")
        if self.count < 1:
            raise YocrError(f"--count must be at least 1, not {self.count}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise YocrError(f"--val-fraction must be in [0, 1), not {self.val_fraction}")
        if not 128 <= self.min_side <= self.max_side:
            raise YocrError(f"--min-side and --max-side must satisfy 128 <= min <= max, not {self.min_side} and {self.max_side}")
        if not 0.0 <= self.photo <= 1.0 or not 0.0 <= self.min_visibility <= 1.0:
            raise YocrError(f"--photo and the minimum visibility must be in [0, 1], not {self.photo} and {self.min_visibility}")
        if self.workers < 1:
            raise YocrError(f"--workers must be at least 1, not {self.workers}")


# --- drawing ----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def text_width(text: str, font: ImageFont.FreeTypeFont, spacing: float = 0.0) -> float:
    return font.getlength(text) + spacing * max(0, len(text) - 1)


class Canvas:
    """A page being drawn: an RGB image and the ink box of every text segment written on it."""

    def __init__(self, image: Image.Image | np.ndarray):
        self.image = image if isinstance(image, Image.Image) else Image.fromarray(np.ascontiguousarray(image))
        self.draw = ImageDraw.Draw(self.image)
        self.segments: list[Region] = []

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    def write(
        self, x: float, y: float, text: str, font: ImageFont.FreeTypeFont, fill: tuple[int, ...], spacing: float = 0.0
    ) -> Box | None:
        """Draw ``text`` with its line top-left at ``(x, y)``; record and return the box of its ink (None if none)."""
        text = text.strip()
        if not text:
            return None
        left, _, right, bottom = font.getbbox(text)
        pad = 2 + int(abs(spacing) * len(text))
        w = int(max(right, text_width(text, font, spacing)) - min(left, 0)) + 2 * pad
        h = int(bottom) + 4
        mask = Image.new("L", (max(w, 1), max(h, 1)), 0)
        draw = ImageDraw.Draw(mask)
        ox = pad - min(left, 0)
        if spacing == 0.0:
            draw.text((ox, 2), text, font=font, fill=255)
        else:
            cx = float(ox)
            for ch in text:
                draw.text((cx, 2), ch, font=font, fill=255)
                cx += font.getlength(ch) + spacing
        ink = mask.getbbox()
        if ink is None:
            return None
        px, py = int(round(x - ox)), int(round(y - 2))
        self.image.paste(tuple(fill), (px, py, px + mask.width, py + mask.height), mask)
        box = (
            float(max(px + ink[0], 0)),
            float(max(py + ink[1], 0)),
            float(min(px + ink[2], self.width)),
            float(min(py + ink[3], self.height)),
        )
        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
            return None
        self.segments.append(Region(box, text))
        return box


def smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int, channels: int = 1) -> np.ndarray:
    """Low-frequency noise in [0, 1], shape ``(height, width, channels)``: random cells upsampled smoothly."""
    ch = max(2, int(cells * height / max(height, width)))
    cw = max(2, int(cells * width / max(height, width)))
    small = rng.random((ch, cw, channels)).astype(np.float32)
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(big.reshape(height, width, channels), 0.0, 1.0)


def paper_texture(rng: np.random.Generator, height: int, width: int) -> tuple[np.ndarray, tuple[int, int, int]]:
    """A paper background (white, cream, grey, tinted) with blotches and grain; returns it and its mean colour."""
    choice = rng.random()
    if choice < 0.5:
        base = np.array([250, 250, 250]) - rng.integers(0, 12)
    elif choice < 0.7:
        base = np.array([252, 246, 228]) - rng.integers(0, 20, size=3)
    elif choice < 0.85:
        base = np.full(3, int(rng.integers(200, 240)))
    else:
        base = rng.integers(200, 256, size=3)
    page = np.empty((height, width, 3), np.float32)
    page[:] = base
    page += (smooth_noise(rng, height, width, int(rng.integers(3, 12))) - 0.5) * rng.uniform(0, 30)
    page += rng.normal(0, rng.uniform(0, 5), size=(height, width, 1))
    page = np.clip(page, 0, 255).astype(np.uint8)
    return page, tuple(int(v) for v in base)


def natural_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A natural-looking RGB background: a scikit-image sample photo if scikit-image is installed, otherwise
    smooth coloured noise, gradients and soft shapes."""
    photo = _skimage_photo(rng)
    if photo is not None:
        ph, pw = photo.shape[:2]
        scale = max(height / ph, width / pw) * rng.uniform(1.0, 1.6)
        photo = cv2.resize(photo, (int(pw * scale) + 1, int(ph * scale) + 1), interpolation=cv2.INTER_LINEAR)
        y = int(rng.integers(0, photo.shape[0] - height + 1))
        x = int(rng.integers(0, photo.shape[1] - width + 1))
        return np.ascontiguousarray(photo[y : y + height, x : x + width])
    colours = rng.integers(0, 256, size=(2, 3)).astype(np.float32)
    t = smooth_noise(rng, height, width, int(rng.integers(2, 6)))
    image = colours[0] * (1 - t) + colours[1] * t
    image += (smooth_noise(rng, height, width, int(rng.integers(8, 40)), 3) - 0.5) * rng.uniform(20, 90)
    canvas = image.clip(0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(3, 12))):  # soft blobs and blocks: trees, walls, windows
        colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            axes = (int(rng.integers(10, width // 3 + 11)), int(rng.integers(10, height // 3 + 11)))
            cv2.ellipse(canvas, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
        else:
            cv2.rectangle(canvas, (cx, cy), (cx + int(rng.integers(20, width // 2 + 21)),
                                             cy + int(rng.integers(20, height // 2 + 21))), colour, -1)
    k = int(rng.integers(1, 5)) * 2 + 1
    canvas = cv2.GaussianBlur(canvas, (k, k), 0)
    noise = rng.normal(0, rng.uniform(2, 10), size=canvas.shape)
    return np.clip(canvas.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def table_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A table top or desk under a document photo: one colour, wood-like streaks or grain, a light gradient."""
    base = rng.integers(30, 230, size=3).astype(np.float32)
    image = np.empty((height, width, 3), np.float32)
    image[:] = base
    if rng.random() < 0.5:  # streaks along one axis
        streaks = smooth_noise(rng, 1, width, int(rng.integers(20, 80)))
        image += (np.repeat(streaks, height, axis=0) - 0.5) * rng.uniform(10, 50)
    image += (smooth_noise(rng, height, width, int(rng.integers(2, 6))) - 0.5) * rng.uniform(10, 60)
    image += rng.normal(0, rng.uniform(1, 6), size=(height, width, 1))
    return np.clip(image, 0, 255).astype(np.uint8)


_SKIMAGE_SAMPLES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry")


def _skimage_photo(rng: np.random.Generator) -> np.ndarray | None:
    try:
        from skimage import data as skdata
    except ImportError:
        return None
    name = _SKIMAGE_SAMPLES[int(rng.integers(len(_SKIMAGE_SAMPLES)))]
    try:
        photo = getattr(skdata, name)()
    except Exception:  # noqa: BLE001 - a sample that needs a download (pooch) is simply not used
        return None
    return photo[..., :3] if photo.ndim == 3 else np.repeat(photo[..., None], 3, axis=2)


# --- geometry ---------------------------------------------------------------------------------------------------


def warp_boxes(boxes: list[Box], matrix: np.ndarray, width: int, height: int, min_visibility: float) -> list[Box]:
    """Boxes moved by the 3x3 ``matrix``: the enclosing box of the four moved corners, clipped to the image.

    Boxes keeping less than ``min_visibility`` of their area inside ``width`` x ``height`` are dropped.
    """
    return [r.box for r in warp_regions([Region(b, "") for b in boxes], matrix, width, height, min_visibility)]


def warp_regions(regions: list[Region], matrix: np.ndarray, width: int, height: int, min_visibility: float) -> list[Region]:
    """:func:`warp_boxes` for regions: the kept ones with their texts."""
    if not regions:
        return []
    boxes = [r.box for r in regions]
    b = np.asarray(boxes, dtype=np.float64)
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, matrix.astype(np.float64)).reshape(-1, 4, 2)
    x0, y0 = moved[..., 0].min(axis=1), moved[..., 1].min(axis=1)
    x1, y1 = moved[..., 0].max(axis=1), moved[..., 1].max(axis=1)
    area = (x1 - x0) * (y1 - y0)
    cx0, cy0 = np.clip(x0, 0, width), np.clip(y0, 0, height)
    cx1, cy1 = np.clip(x1, 0, width), np.clip(y1, 0, height)
    kept = (cx1 - cx0) * (cy1 - cy0) >= min_visibility * np.maximum(area, 1e-9)
    moved_boxes = np.stack([cx0, cy0, cx1, cy1], axis=1)
    return [Region(tuple(float(v) for v in moved_boxes[i]), regions[i].text) for i in np.flatnonzero(kept)]


def _jitter_quad(rng: np.random.Generator, quad: np.ndarray, amount: float) -> np.ndarray:
    size = np.ptp(quad, axis=0)
    return (quad + rng.uniform(-amount, amount, size=quad.shape) * size).astype(np.float32)


def _rotation_quad(quad: np.ndarray, degrees: float) -> np.ndarray:
    centre = quad.mean(axis=0)
    t = np.deg2rad(degrees)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return ((quad - centre) @ rot.T + centre).astype(np.float32)


def fit_long_side(image: np.ndarray, regions: list[Region], min_side: int, max_side: int) -> tuple[np.ndarray, list[Region]]:
    """Scale an image (and its text regions) so that its long side lies in ``[min_side, max_side]``."""
    long_side = max(image.shape[:2])
    target = min(max(long_side, min_side), max_side)
    if target == long_side:
        return image, regions
    s = target / long_side
    size = (max(1, int(round(image.shape[1] * s))), max(1, int(round(image.shape[0] * s))))
    image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    return image, [Region(tuple(v * s for v in r.box), r.text) for r in regions]


def _photometric(rng: np.random.Generator, transform: A.Compose, image: np.ndarray) -> np.ndarray:
    transform.set_random_seed(int(rng.integers(2**31)))
    return transform(image=image)["image"]


def photo_damage() -> A.Compose:
    """Camera damage that leaves geometry alone: shadows, light, blur, noise, JPEG."""
    return A.Compose(
        [
            A.RandomShadow(shadow_roi=(0, 0, 1, 1), num_shadows_limit=(1, 2), shadow_dimension=5,
                           shadow_intensity_range=(0.2, 0.6), p=0.35),
            A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.3, p=0.6),
            A.RandomGamma(gamma_limit=(70, 140), p=0.3),
            A.OneOf([A.GaussianBlur(blur_limit=(3, 7), p=1.0), A.MotionBlur(blur_limit=(3, 7), p=1.0),
                     A.Defocus(radius=(1, 3), alias_blur=(0.1, 0.3), p=1.0)], p=0.45),
            A.OneOf([A.GaussNoise(std_range=(0.01, 0.06), p=1.0), A.ISONoise(p=1.0)], p=0.5),
            A.ImageCompression(quality_range=(35, 92), p=0.7),
        ]
    )


def scan_damage() -> A.Compose:
    """Scanner and fax damage: grey, contrast, slight blur, noise, JPEG."""
    return A.Compose(
        [
            A.ToGray(p=0.4),
            A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.25, p=0.5),
            A.GaussianBlur(blur_limit=(3, 3), sigma_limit=(0.3, 0.9), p=0.2),
            A.GaussNoise(std_range=(0.005, 0.04), p=0.4),
            A.ImageCompression(quality_range=(45, 95), p=0.6),
        ]
    )


# --- pages ------------------------------------------------------------------------------------------------------


class _ReceiptCursor:
    """Writes a receipt top to bottom: centred lines, item/price pairs flush left and right, and rules."""

    def __init__(self, c: Canvas, w: int, margin: int, size: float, leading: float, ink: tuple[int, int, int],
                 truncate: Callable[[str, ImageFont.FreeTypeFont, float], str]):
        self.c, self.w, self.margin, self.size, self.leading, self.ink = c, w, margin, size, leading, ink
        self.truncate, self.usable, self.y = truncate, w - 2 * margin, float(margin)

    def centred(self, text: str, font: ImageFont.FreeTypeFont) -> None:
        text = self.truncate(text, font, self.usable)
        self.c.write((self.w - text_width(text, font)) / 2, self.y, text, font, self.ink)
        self.y += font.size * 1.35

    def pair(self, left: str, right: str, font: ImageFont.FreeTypeFont) -> None:
        right = self.truncate(right, font, self.usable * 0.4)
        left = self.truncate(left, font, self.usable - text_width(right, font) - font.size)
        self.c.write(self.margin, self.y, left, font, self.ink)
        self.c.write(self.w - self.margin - text_width(right, font), self.y, right, font, self.ink)
        self.y += self.leading

    def rule(self, rng: np.random.Generator) -> None:
        yy, size, margin = int(self.y + self.size * 0.5), self.size, self.margin
        if rng.random() < 0.5:
            for x in range(margin, self.w - margin, max(4, int(size * 0.6))):
                self.c.draw.line([(x, yy), (x + int(size * 0.35), yy)], fill=self.ink, width=1)
        else:
            self.c.draw.line([(margin, yy), (self.w - margin, yy)], fill=self.ink, width=1)
        self.y += size


class PageRenderer:
    """Draws one page of a random kind with its line boxes, from a seeded generator."""

    def __init__(self, fonts: list[Path], text_source: TextSource, config: SynthPagesConfig):
        if not fonts:
            raise YocrError("no usable fonts found under /usr/share/fonts: install Debian's font packages (see README)")
        names = [(str(f), f.name.lower()) for f in fonts]
        self.fonts = [p for p, n in names if not any(k in n for k in _FAINT)] or [p for p, _ in names]
        self.mono = [p for p in self.fonts if any(k in Path(p).name.lower() for k in _MONO)] or self.fonts
        self.bold = [p for p in self.fonts if any(k in Path(p).name.lower() for k in _BOLD)] or self.fonts
        self.regular = [p for p in self.fonts if p not in self.bold and p not in self.mono] or self.fonts
        self.text = text_source
        self.config = config
        self.photo = photo_damage()
        self.scan = scan_damage()

    # small helpers
    def font(self, rng: np.random.Generator, size: float, family: list[str] | None = None) -> ImageFont.FreeTypeFont:
        family = family or self.regular
        return _font(family[int(rng.integers(len(family)))], max(6, int(round(size))))

    def clean(self, text: str) -> str:
        return " ".join("".join(c for c in text if c in self.config.charset).split())

    def phrase(self, rng: np.random.Generator) -> str:
        return self.clean(self.text(rng))

    def fill(self, rng: np.random.Generator, font: ImageFont.FreeTypeFont, max_width: float) -> str:
        """Text that fills most of ``max_width`` in ``font``: phrases and words added while they fit."""
        words: list[str] = []
        target = max_width * rng.uniform(0.75, 1.0)
        for _ in range(60):
            piece = self.phrase(rng) if rng.random() < 0.5 else self.clean(self.text.word(rng))
            candidate = " ".join(words + [piece])
            if text_width(candidate, font) > target:
                if not words:
                    words = [self._truncate(piece, font, target)]
                break
            words.append(piece)
        return " ".join(w for w in words if w)

    @staticmethod
    def _truncate(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
        while text and text_width(text, font) > width:
            text = text[: max(1, int(len(text) * 0.8))] if len(text) > 1 else ""
        return text

    @staticmethod
    def ink(rng: np.random.Generator, paper: tuple[int, int, int]) -> tuple[int, int, int]:
        if rng.random() < 0.15:  # blue or red ink, stamps, faded thermal print
            return tuple(int(v) for v in rng.integers(0, 160, size=3))
        level = int(rng.integers(0, max(1, min(paper) - 110)))
        return (level, level, level)

    def page_size(self, rng: np.random.Generator, aspect: tuple[float, float]) -> tuple[int, int]:
        long_side = int(rng.integers(self.config.min_side, self.config.max_side + 1))
        ratio = rng.uniform(*aspect)
        if rng.random() < 0.15:  # landscape
            return long_side, int(long_side / ratio)
        return int(long_side / ratio), long_side

    def body_size(self, rng: np.random.Generator, long_side: int) -> float:
        return float(np.clip(long_side * rng.uniform(0.008, 0.022), 9, 48))

    def small_size(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(8, 12.5))

    # the page kinds
    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, list[Region], str]:
        """One page: ``(RGB image, text lines (box in pixels and transcription), kind)``."""
        weights = np.array([w if k in self.config.kinds else 0.0 for k, w in zip(KINDS, _KIND_WEIGHTS)])
        kind = KINDS[int(rng.choice(len(KINDS), p=weights / weights.sum()))]
        if kind in ("scene", "label"):
            image, lines = getattr(self, kind)(rng)
        else:
            canvas, paper = getattr(self, kind)(rng)
            lines = merge_rows(canvas.segments, gap=1.0)
            image = np.asarray(canvas.image)
            if rng.random() < self.config.photo:
                image, lines = self.photograph(rng, image, lines)
            else:
                image, lines = self.scanned(rng, image, lines, paper)
        image, lines = fit_long_side(image, lines, self.config.min_side, self.config.max_side)
        return image, lines, kind

    def document(self, rng: np.random.Generator) -> tuple[Canvas, tuple[int, int, int]]:
        w, h = self.page_size(rng, (1.25, 1.5))
        texture, paper = paper_texture(rng, h, w)
        c = Canvas(texture)
        ink = self.ink(rng, paper)
        margin = int(max(w, h) * rng.uniform(0.04, 0.1))
        body = self.body_size(rng, max(w, h))
        y = float(margin)
        if rng.random() < 0.5:  # running header in small print
            f = self.font(rng, self.small_size(rng))
            c.write(margin, y, self.phrase(rng), f, ink)
            right = self.clean(self.text.date(rng))
            c.write(w - margin - text_width(right, f), y, right, f, ink)
            y += f.size * 2.5
        if rng.random() < 0.85:  # heading
            f = self.font(rng, body * rng.uniform(1.4, 2.6), self.bold if rng.random() < 0.7 else None)
            for _ in range(int(rng.integers(1, 3))):
                text = self.fill(rng, f, (w - 2 * margin) * rng.uniform(0.3, 0.9))
                x = (w - text_width(text, f)) / 2 if rng.random() < 0.5 else margin
                c.write(x, y, text, f, ink)
                y += f.size * rng.uniform(1.2, 1.5)
            y += body
        columns = 2 if rng.random() < 0.25 and w > 700 else 1
        gutter = body * 2
        col_w = (w - 2 * margin - (columns - 1) * gutter) / columns
        bottom = h - margin - 3 * body
        for col in range(columns):
            x0 = margin + col * (col_w + gutter)
            yy = y
            while yy < bottom:
                size = body if rng.random() < 0.75 else body * rng.uniform(0.7, 1.3)  # mixed sizes
                f = self.font(rng, size)
                if rng.random() < 0.2:  # sub-heading
                    fb = self.font(rng, size * rng.uniform(1.1, 1.5), self.bold)
                    c.write(x0, yy, self.fill(rng, fb, col_w * 0.6), fb, ink)
                    yy += fb.size * 1.6
                leading = size * rng.uniform(1.2, 1.7)
                indent = size * 2 if rng.random() < 0.3 else 0.0
                bullet = rng.random() < 0.15
                for i in range(int(rng.integers(1, 9))):
                    if yy + leading > bottom:
                        break
                    prefix = ("- " if rng.random() < 0.5 else f"{i + 1}. ") if bullet else ""
                    xi = x0 + (indent if i == 0 or bullet else 0.0)
                    text = prefix + self.fill(rng, f, col_w - (xi - x0))
                    c.write(xi, yy, text, f, ink)
                    yy += leading
                yy += leading * rng.uniform(0.3, 1.2)
        fs = self.font(rng, self.small_size(rng))
        yy = h - margin - fs.size * 2.5
        for _ in range(int(rng.integers(0, 3))):  # footer small print
            c.write(margin, yy, self.fill(rng, fs, w - 2 * margin), fs, ink)
            yy += fs.size * 1.3
        return c, paper

    def book(self, rng: np.random.Generator) -> tuple[Canvas, tuple[int, int, int]]:
        """A book or magazine page: dense justified body text in one or two columns, a running head and page
        number, at times a heading, a drop cap, hyphenated line ends and footnotes in smaller type."""
        w, h = self.page_size(rng, (1.3, 1.55))
        texture, paper = paper_texture(rng, h, w)
        c = Canvas(texture)
        ink = self.ink(rng, paper)
        margin = int(w * rng.uniform(0.06, 0.12))
        body = float(np.clip(h * rng.uniform(0.011, 0.018), 8, 40))
        serif = [f for f in self.fonts if any(k in f.lower() for k in ("serif", "times", "roman", "caladea", "tinos",
                                                                         "p052", "c059", "nimbusroman", "bookman"))]
        family = serif if serif and rng.random() < 0.75 else None
        y = float(margin)
        head = self.font(rng, body * 0.85, family)
        folio = str(int(rng.integers(1, 600)))
        left_page = rng.random() < 0.5
        c.write(margin if left_page else w - margin - text_width(folio, head), y, folio, head, ink)
        title = self.clean(self.text.sign(rng))
        if title:
            c.write((w - text_width(title, head)) / 2, y, title, head, ink)
        y += body * 3
        if rng.random() < 0.3:
            hf = self.font(rng, body * rng.uniform(1.5, 2.4), self.bold)
            c.write(margin, y, self.fill(rng, hf, (w - 2 * margin) * 0.7), hf, ink)
            y += hf.size * 2
        columns = 2 if rng.random() < 0.45 else 1
        gutter = body * rng.uniform(1.5, 3)
        col_w = (w - 2 * margin - (columns - 1) * gutter) / columns
        notes = int(rng.integers(0, 4)) if rng.random() < 0.3 else 0
        note_size = body * 0.8
        bottom = h - margin - body * 2 - notes * note_size * 1.3
        leading = body * rng.uniform(1.15, 1.45)
        f = self.font(rng, body, family)
        for col in range(columns):
            x0 = margin + col * (col_w + gutter)
            self._book_column(c, rng, (x0, y, x0 + col_w, bottom), body, leading, f, family, ink, col == 0)
        fn = self.font(rng, note_size, family)
        yy = bottom + body
        for k in range(notes):
            c.write(margin, yy, f"{k + 1} " + self.fill(rng, fn, w - 2 * margin - note_size * 2), fn, ink)
            yy += note_size * 1.3
        return c, paper

    def _book_column(self, c: Canvas, rng: np.random.Generator, area: tuple[float, float, float, float],
                     body: float, leading: float, f: ImageFont.FreeTypeFont, family: list[str] | None, ink: tuple[int, int, int],
                     first_column: bool) -> None:
        """One column of body text filling ``area`` (x0, y0, x1, bottom): justified lines, paragraph ends and
        indents, and in the first column at times a drop cap."""
        x0, yy, x1, bottom = area
        col_w = x1 - x0
        first = first_column and rng.random() < 0.15
        while yy + leading < bottom:
            if first:  # a drop cap two lines high, the first two lines indented past it
                cap_font = self.font(rng, body * 2.4, family)
                letter = self.clean(self.text.word(rng))[:1].upper() or "T"
                c.write(x0, yy, letter, cap_font, ink)
                indent = text_width(letter, cap_font) + body * 0.4
                for _ in range(2):
                    self._justified(c, rng, x0 + indent, yy, col_w - indent, f, ink)
                    yy += leading
                first = False
                continue
            last_of_paragraph = rng.random() < 0.12
            indent = body * 1.5 if rng.random() < 0.1 else 0.0
            if last_of_paragraph:
                c.write(x0 + indent, yy, self.fill(rng, f, (col_w - indent) * rng.uniform(0.2, 0.8)), f, ink)
            else:
                self._justified(c, rng, x0 + indent, yy, col_w - indent, f, ink)
            yy += leading

    def _justified(self, c: Canvas, rng: np.random.Generator, x: float, y: float, width: float,
                   font: ImageFont.FreeTypeFont, ink: tuple[int, int, int]) -> None:
        """One justified line: words spread so the line fills ``width``; at times a hyphenated last word."""
        words = self.fill(rng, font, width).split()
        if rng.random() < 0.15 and words:
            words[-1] = words[-1][: max(2, len(words[-1]) // 2)] + "-"
        if len(words) < 2:
            c.write(x, y, " ".join(words), font, ink)
            return
        widths = [text_width(wd, font) for wd in words]
        while len(words) > 2 and sum(widths) + 0.25 * font.size * (len(words) - 1) > width:
            words.pop(), widths.pop()
        gap = (width - sum(widths)) / (len(words) - 1)
        gap = float(np.clip(gap, font.size * 0.25, font.size * 0.6))  # wider than this is a column gap, not a space
        first = len(c.segments)
        xx = x
        for wd, ww in zip(words, widths):
            c.write(xx, y, wd, font, ink)
            xx += ww + gap
        drawn = c.segments[first:]
        if len(drawn) > 1:  # one printed line is one box, however wide its spaces
            del c.segments[first:]
            c.segments.append(Region(union([r.box for r in drawn]), " ".join(r.text for r in drawn)))

    def label(self, rng: np.random.Generator) -> tuple[np.ndarray, list[Region]]:
        """A small image with one to three short lines on a plain or textured ground: a label, a sticker, a
        screenshot of a single field."""
        size = float(rng.uniform(12, 48))
        f = self.font(rng, size, self.bold if rng.random() < 0.3 else None)
        lines = [self._truncate(self.phrase(rng), f, size * 18) for _ in range(int(rng.integers(1, 4)))]
        lines = [t for t in lines if t] or ["Label"]
        pad = size * rng.uniform(0.4, 2.0)
        w = int(max(text_width(t, f) for t in lines) + 2 * pad + size * rng.uniform(0, 6))
        h = int(len(lines) * size * rng.uniform(1.3, 1.8) + 2 * pad)
        if rng.random() < 0.5:
            ground = np.full((h, w, 3), rng.integers(150, 256, size=3), np.uint8)
        else:
            ground, _ = paper_texture(rng, h, w)
        c = Canvas(ground)
        mean = np.asarray(c.image).reshape(-1, 3).mean(axis=0)
        ink = self.ink(rng, tuple(int(v) for v in mean))
        y = pad
        for t in lines:
            x = pad if rng.random() < 0.6 else (w - text_width(t, f)) / 2
            c.write(x, y, t, f, ink)
            y += size * rng.uniform(1.3, 1.8)
        image = _photometric(rng, self.scan if rng.random() < 0.5 else self.photo, np.ascontiguousarray(c.image))
        return image, merge_rows(c.segments, gap=1.0)

    def receipt(self, rng: np.random.Generator) -> tuple[Canvas, tuple[int, int, int]]:
        h = int(rng.integers(self.config.min_side, self.config.max_side + 1))
        w = max(200, int(h * rng.uniform(0.28, 0.6)))
        texture, paper = paper_texture(rng, h, w)
        c = Canvas(texture)
        ink = self.ink(rng, paper)
        family = self.mono if rng.random() < 0.8 else self.regular
        margin = int(w * rng.uniform(0.04, 0.1))
        chars = int(rng.integers(28, 48))
        size = float(np.clip((w - 2 * margin) / (chars * 0.6), 9, 40))
        f = self.font(rng, size, family)
        fb = self.font(rng, size * rng.uniform(1.0, 1.8), self.bold if rng.random() < 0.5 else family)
        leading = size * rng.uniform(1.15, 1.6)
        cur = _ReceiptCursor(c, w, margin, size, leading, ink, self._truncate)
        cur.centred(self.clean(self.text.word(rng)).upper() + " " + self.clean(self.text.word(rng)).upper(), fb)
        for _ in range(int(rng.integers(1, 5))):
            cur.centred(self.phrase(rng), f)
        cur.rule(rng)
        cur.pair("Date: " + self.clean(self.text.date(rng)), self.clean(self.text.code(rng)), f)
        cur.rule(rng)
        for _ in range(int(rng.integers(3, 25))):
            if cur.y > h - margin - 8 * leading:
                break
            item = self.clean(self.text.word(rng)) + " " + self.clean(self.text.word(rng))
            price = f"{rng.random() * 10 ** rng.integers(1, 3):.2f}"
            cur.pair(item, price, f)
            if rng.random() < 0.3:  # qty x unit price under the item
                c.write(margin + size * 2, cur.y, f"{int(rng.integers(1, 9))} x {price}", f, ink)
                cur.y += leading
        cur.rule(rng)
        for label in ("SUBTOTAL", "TAX", "TOTAL", "CASH", "CHANGE")[: int(rng.integers(1, 6))]:
            if cur.y > h - margin - 3 * leading:
                break
            cur.pair(label, f"{rng.random() * 200:.2f}", fb if label == "TOTAL" else f)
        if cur.y < h - margin - 3 * leading:
            cur.rule(rng)
            cur.centred(self.clean(rng.choice(["THANK YOU", "Thank you, come again", "GOODS SOLD ARE NOT RETURNABLE",
                                               "Please keep this receipt"])), f)
        return c, paper

    def form(self, rng: np.random.Generator) -> tuple[Canvas, tuple[int, int, int]]:
        w, h = self.page_size(rng, (1.25, 1.45))
        texture, paper = paper_texture(rng, h, w)
        c = Canvas(texture)
        ink = self.ink(rng, paper)
        margin = int(max(w, h) * rng.uniform(0.04, 0.08))
        body = self.body_size(rng, max(w, h))
        f = self.font(rng, body)
        fill_font = self.font(rng, body * rng.uniform(0.9, 1.3), self.fonts)
        fill_ink = tuple(int(v) for v in rng.integers(0, 120, size=3))
        fh = self.font(rng, body * rng.uniform(1.5, 2.4), self.bold)
        y = float(margin)
        title = self.fill(rng, fh, (w - 2 * margin) * 0.7)
        c.write((w - text_width(title, fh)) / 2, y, title, fh, ink)
        y += fh.size * 2
        columns = int(rng.integers(1, 4))
        col_w = (w - 2 * margin) / columns
        row_h = body * rng.uniform(2.0, 3.0)
        while y < h - margin - 4 * row_h:
            r = rng.random()
            if r < 0.12:  # section band: light text on a dark bar, or dark text on a tinted bar
                dark = rng.random() < 0.5
                bar = tuple(int(v) for v in (rng.integers(0, 90, size=3) if dark else rng.integers(180, 235, size=3)))
                c.draw.rectangle([margin, y, w - margin, y + body * 1.8], fill=bar)
                fb = self.font(rng, body * 1.1, self.bold)
                c.write(margin + body * 0.5, y + body * 0.3, self.fill(rng, fb, col_w), fb,
                        (255, 255, 255) if dark else ink)
                y += body * 2.6
                continue
            for col in range(columns):
                x = margin + col * col_w
                label = self.clean(self.text.word(rng)).title() + rng.choice([":", "", " :", " No.:"])
                box = c.write(x, y, label, f, ink)
                if box is None:
                    continue
                fx0, fx1 = box[2] + body * 0.6, x + col_w - body
                if fx1 - fx0 >= body * 3:
                    self._form_field(c, rng, fx0, fx1, y, body, f, fill_font, ink, fill_ink)
            y += row_h
        fs = self.font(rng, self.small_size(rng))
        yy = h - margin - fs.size * 3
        for _ in range(int(rng.integers(1, 3))):
            c.write(margin, yy, self.fill(rng, fs, w - 2 * margin), fs, ink)
            yy += fs.size * 1.3
        return c, paper

    def _form_field(self, c: Canvas, rng: np.random.Generator, fx0: float, fx1: float, y: float, body: float,
                    f: ImageFont.FreeTypeFont, fill_font: ImageFont.FreeTypeFont, ink: tuple[int, int, int],
                    fill_ink: tuple[int, int, int]) -> None:
        """A form's field from ``fx0`` to ``fx1`` beside its label: an underline or a box, at times filled in, or a
        row of labelled check boxes."""
        if rng.random() < 0.5:  # underline field
            c.draw.line([(fx0, y + body * 1.15), (fx1, y + body * 1.15)], fill=ink, width=1)
        elif rng.random() < 0.6:  # boxed field
            c.draw.rectangle([fx0, y - body * 0.35, fx1, y + body * 1.35], outline=ink, width=1)
        else:  # check boxes
            xx = fx0
            for _ in range(int(rng.integers(1, 4))):
                s = body * 0.9
                if xx + s + body * 4 > fx1:
                    break
                c.draw.rectangle([xx, y + body * 0.1, xx + s, y + body * 0.1 + s], outline=ink, width=1)
                b = c.write(xx + s * 1.5, y, self.clean(self.text.word(rng)), f, ink)
                xx = (b[2] if b else xx + s * 2) + body * 1.5
            return
        if rng.random() < 0.7:  # filled in
            value = self._truncate(self.phrase(rng), fill_font, (fx1 - fx0) * rng.uniform(0.3, 0.95))
            c.write(fx0 + body * 0.3, y - body * 0.1, value, fill_font, fill_ink)

    def table(self, rng: np.random.Generator) -> tuple[Canvas, tuple[int, int, int]]:
        w, h = self.page_size(rng, (1.25, 1.5))
        texture, paper = paper_texture(rng, h, w)
        c = Canvas(texture)
        ink = self.ink(rng, paper)
        margin = int(max(w, h) * rng.uniform(0.04, 0.09))
        body = self.body_size(rng, max(w, h))
        f = self.font(rng, body, self.mono if rng.random() < 0.2 else None)
        fb = self.font(rng, body, self.bold)
        y = float(margin)
        if rng.random() < 0.7:
            fh = self.font(rng, body * rng.uniform(1.3, 2.0), self.bold)
            c.write(margin, y, self.fill(rng, fh, (w - 2 * margin) * 0.6), fh, ink)
            y += fh.size * 2
        if rng.random() < 0.5:
            for _ in range(int(rng.integers(1, 4))):
                c.write(margin, y, self.fill(rng, f, w - 2 * margin), f, ink)
                y += body * 1.5
            y += body
        while y < h - margin - body * 6:
            ncols = int(rng.integers(2, 8))
            weights = rng.uniform(0.5, 2.0, size=ncols)
            edges = margin + np.concatenate([[0], np.cumsum(weights / weights.sum())]) * (w - 2 * margin)
            kinds = [rng.choice(["word", "number", "price", "date", "code", "phrase"]) for _ in range(ncols)]
            pad = body * rng.uniform(0.4, 1.0)
            row_h = body * rng.uniform(1.5, 2.3)
            nrows = int(rng.integers(3, 30))
            vertical = rng.random() < 0.5
            horizontal = "all" if rng.random() < 0.5 else "header"
            top = y
            for r in range(nrows):
                if y + row_h > h - margin:
                    break
                if r == 0 and rng.random() < 0.3:  # shaded header row
                    c.draw.rectangle([edges[0], y, edges[-1], y + row_h], fill=tuple(int(v) for v in
                                                                                  rng.integers(190, 240, size=3)))
                for j in range(ncols):
                    font = fb if r == 0 else f
                    text = self.clean(self.text.word(rng)).title() if r == 0 else self._cell(rng, kinds[j])
                    text = self._truncate(text, font, edges[j + 1] - edges[j] - 2 * pad)
                    if not text or (r > 0 and rng.random() < 0.05):  # a few empty cells
                        continue
                    right = kinds[j] in ("number", "price") and r > 0
                    x = edges[j + 1] - pad - text_width(text, font) if right else edges[j] + pad
                    c.write(x, y + (row_h - body) / 2, text, font, ink)
                if horizontal == "all" or r == 0:
                    c.draw.line([(edges[0], y + row_h), (edges[-1], y + row_h)], fill=ink, width=1)
                y += row_h
            c.draw.line([(edges[0], top), (edges[-1], top)], fill=ink, width=1)
            c.draw.line([(edges[0], y), (edges[-1], y)], fill=ink, width=1)
            if vertical:
                for e in edges:
                    c.draw.line([(e, top), (e, y)], fill=ink, width=1)
            y += body * rng.uniform(1.5, 4.0)
            if rng.random() < 0.5 and y < h - margin - body * 3:  # caption in small print
                fs = self.font(rng, self.small_size(rng))
                c.write(margin, y, self.fill(rng, fs, w - 2 * margin), fs, ink)
                y += fs.size * 3
        return c, paper

    def _cell(self, rng: np.random.Generator, kind: str) -> str:
        if kind == "number":
            return str(int(rng.integers(0, 10 ** int(rng.integers(1, 6)))))
        if kind == "price":
            return f"{rng.random() * 10 ** rng.integers(1, 5):,.2f}"
        if kind == "date":
            return self.clean(self.text.date(rng))
        if kind == "code":
            return self.clean(self.text.code(rng))
        if kind == "phrase":
            return self.phrase(rng)
        return self.clean(self.text.word(rng))

    def scene(self, rng: np.random.Generator) -> tuple[np.ndarray, list[Region]]:
        long_side = int(rng.integers(self.config.min_side, self.config.max_side + 1))
        ratio = rng.uniform(1.2, 1.8)
        w, h = (long_side, int(long_side / ratio)) if rng.random() < 0.7 else (int(long_side / ratio), long_side)
        image = natural_background(rng, h, w)
        lines: list[Region] = []
        taken: list[tuple[int, int, int, int]] = []
        for _ in range(int(rng.integers(1, 5))):
            sign, sign_lines = self.sign(rng, max_width=int(w * 0.8), max_height=int(h * 0.5))
            sh, sw = sign.shape[:2]
            for _attempt in range(10):
                x, y = int(rng.integers(0, max(1, w - sw))), int(rng.integers(0, max(1, h - sh)))
                spot = (x, y, x + sw, y + sh)
                if all(spot[2] < t[0] or spot[0] > t[2] or spot[3] < t[1] or spot[1] > t[3] for t in taken):
                    break
            else:
                continue
            taken.append(spot)
            src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
            dst = _jitter_quad(rng, _rotation_quad(src, rng.uniform(-8, 8)), 0.06) + np.float32([x, y])
            matrix = cv2.getPerspectiveTransform(src, dst)
            warped = cv2.warpPerspective(sign, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            alpha = warped[..., 3:4].astype(np.float32) / 255.0
            image = (image * (1 - alpha) + warped[..., :3] * alpha).astype(np.uint8)
            lines += warp_regions(sign_lines, matrix, w, h, self.config.min_visibility)
        if rng.random() < 0.3:  # loose text painted straight on the background
            f = self.font(rng, rng.uniform(18, 60), self.bold)
            c = Canvas(image)
            colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
            text = self._truncate(self.phrase(rng), f, w * 0.6)
            c.write(rng.uniform(0, w * 0.3), rng.uniform(0, h * 0.85), text, f, colour)
            image = np.asarray(c.image)
            lines += c.segments
        image = _photometric(rng, self.photo, np.ascontiguousarray(image))
        return image, lines

    def sign(self, rng: np.random.Generator, max_width: int, max_height: int) -> tuple[np.ndarray, list[Region]]:
        """An RGBA sign or plate with 1-3 lines of text, and its lines (boxes in sign pixels)."""
        plate = rng.random() < 0.3
        size = float(rng.uniform(16, 70))
        family = self.bold if rng.random() < 0.6 else self.fonts
        f = self.font(rng, size, family)
        lines = [self.clean(self.text.plate(rng))] if plate else [
            self.phrase(rng) if rng.random() < 0.6 else self.clean(self.text.word(rng)).upper()
            for _ in range(int(rng.integers(1, 4)))
        ]
        lines = [self._truncate(t, f, max_width * 0.9) for t in lines if t] or ["OPEN"]
        pad = size * rng.uniform(0.3, 1.0)
        sw = int(min(max_width, max(text_width(t, f) for t in lines) + 2 * pad))
        sh = int(min(max_height, len(lines) * size * 1.35 + 2 * pad))
        if plate:
            ground = (255, 255, 255) if rng.random() < 0.5 else (250, 210, 40)
            ink = (0, 0, 0)
        else:
            ground = tuple(int(v) for v in rng.integers(0, 256, size=3))
            light = sum(ground) / 3 > 128
            ink = tuple(int(v) for v in (rng.integers(0, 70, size=3) if light else rng.integers(190, 256, size=3)))
        layer = Image.new("RGBA", (max(sw, 8), max(sh, 8)), ground + (255,))
        c = Canvas(layer)
        if plate or rng.random() < 0.4:
            c.draw.rectangle([1, 1, layer.width - 2, layer.height - 2], outline=ink + (255,), width=max(1, int(size / 12)))
        y = pad
        for t in lines:
            if y + size > layer.height:
                break
            x = (layer.width - text_width(t, f)) / 2 if rng.random() < 0.7 else pad
            c.write(x, y, t, f, ink + (255,))
            y += size * 1.35
        return np.asarray(layer), merge_rows(c.segments, gap=1.0)

    def photograph(self, rng: np.random.Generator, page: np.ndarray, lines: list[Region]) -> tuple[np.ndarray, list[Region]]:
        """The page lying on a table, shot at an angle: perspective, uneven light, shadows, blur, noise, JPEG."""
        ph, pw = page.shape[:2]
        grow = rng.uniform(1.05, 1.6)  # the page covers about 40-90 % of the frame
        w, h = int(pw * grow), int(ph * grow)
        r = rng.random()
        if r < 0.3:
            background = natural_background(rng, h, w)
        elif r < 0.55:  # a dark desk or cloth around the page
            background = (table_background(rng, h, w).astype(np.float32) * rng.uniform(0.1, 0.4)).astype(np.uint8)
        else:
            background = table_background(rng, h, w)
        src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        dst = _jitter_quad(rng, _rotation_quad(src, rng.uniform(-6, 6)), 0.04)
        dst = dst - dst.min(axis=0)
        dst = dst * min(1.0, (w - 2) / np.ptp(dst[:, 0]), (h - 2) / np.ptp(dst[:, 1]))
        dst = dst + np.float32([rng.uniform(0, w - np.ptp(dst[:, 0])), rng.uniform(0, h - np.ptp(dst[:, 1]))])
        matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
        warped = cv2.warpPerspective(page, matrix, (w, h), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (w, h))[..., None] / 255.0
        image = warped * mask + background * (1 - mask)
        light = 0.55 + 0.55 * smooth_noise(rng, h, w, int(rng.integers(2, 5)))  # uneven light
        image = np.clip(image * light, 0, 255).astype(np.uint8)
        image = _photometric(rng, self.photo, image)
        return image, warp_regions(lines, matrix, w, h, self.config.min_visibility)

    def scanned(
        self, rng: np.random.Generator, page: np.ndarray, lines: list[Region], paper: tuple[int, int, int]
    ) -> tuple[np.ndarray, list[Region]]:
        """A flatbed scan: a slight rotation (the corners filled with the paper colour), grey, noise, JPEG."""
        ph, pw = page.shape[:2]
        if rng.random() < 0.6:
            matrix = cv2.getRotationMatrix2D((pw / 2, ph / 2), float(rng.uniform(-1.5, 1.5)), 1.0)
            page = cv2.warpAffine(page, matrix, (pw, ph), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=paper)
            lines = warp_regions(lines, np.vstack([matrix, [0, 0, 1]]), pw, ph, self.config.min_visibility)
        return _photometric(rng, self.scan, np.ascontiguousarray(page)), lines


# --- the command ------------------------------------------------------------------------------------------------

_worker: PageRenderer | None = None


def _init_worker(fonts: list[Path], corpus: list[str], config: SynthPagesConfig) -> None:
    global _worker
    cv2.setNumThreads(1)
    _worker = PageRenderer(fonts, TextSource(corpus, config.charset), config)


def split_of(index: int, config: SynthPagesConfig) -> str:
    """The last ``round(count * val_fraction)`` pages go to val, the others to train."""
    n_val = int(round(config.count * config.val_fraction))
    return "val" if index >= config.count - n_val else "train"


def _render_one(args: tuple[int, SynthPagesConfig, str]) -> tuple[str, int, str]:
    index, config, out = args
    rng = np.random.default_rng([config.seed, index])
    image, lines, kind = _worker.render(rng)
    split, name = split_of(index, config), f"synth_{config.seed}_{index:06d}"
    height, width = image.shape[:2]
    lines = labelled_lines(lines, width, height, config.min_size)
    text = yolo_label_text([r.box for r in lines], width, height, config.min_size)
    cv2.imwrite(str(Path(out) / "images" / split / f"{name}.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 92])
    atomic_write_text(Path(out) / "labels" / split / f"{name}.txt", text)
    atomic_write_text(Path(out) / "text" / split / f"{name}.txt", "".join(r.text + "\n" for r in lines))
    return split, len(lines), kind


def labelled_lines(lines: list[Region], width: int, height: int, min_size: float) -> list[Region]:
    """The lines that get a label: those at least ``min_size`` px wide and high once clipped to the page (the rule
    of :func:`yocr.data.yolo.yolo_label_text`), so that label and transcription files stay line for line."""
    kept = []
    for r in lines:
        x0, y0, x1, y1 = clip_box(r.box, width, height)
        if x1 - x0 >= min_size and y1 - y0 >= min_size:
            kept.append(r)
    return kept


def render_page(index: int, config: SynthPagesConfig, corpus: list[str] | None = None) -> tuple[np.ndarray, list[Box], str]:
    """Page ``index`` of a run (RGB image, line boxes in pixels, kind), as :func:`synth_pages` would write it."""
    image, lines, kind = render_page_lines(index, config, corpus)
    return image, [r.box for r in lines], kind


def render_page_lines(index: int, config: SynthPagesConfig, corpus: list[str] | None = None) -> tuple[np.ndarray, list[Region], str]:
    """:func:`render_page` with each line's transcription: ``(RGB image, lines, kind)``."""
    renderer = PageRenderer(find_fonts(config.charset.replace(" ", "")), TextSource(corpus or [], config.charset), config)
    return renderer.render(np.random.default_rng([config.seed, index]))


def synth_pages(
    out: str | Path, config: SynthPagesConfig, corpus: list[str] | None = None, progress: Callable[[], None] | None = None
) -> YoloSummary:
    """Render ``config.count`` pages into the YOLO layout under ``out`` and write ``out/data.yaml``.

    Pages are named ``synth_<seed>_<index>``, so runs with different seeds can share one folder. Deterministic for
    a seed, whatever the number of workers.
    """
    out = prepare_layout(out)
    for split in ("train", "val"):
        (out / "text" / split).mkdir(parents=True, exist_ok=True)
    fonts = find_fonts(config.charset.replace(" ", ""))
    corpus = corpus or []
    jobs = [(i, config, str(out)) for i in range(config.count)]
    summary = YoloSummary()

    def record(result: tuple[str, int, str]) -> None:
        split, n, _ = result
        summary.images[split] += 1
        summary.boxes[split] += n
        if progress:
            progress()

    if config.workers > 1:
        with mp.get_context("fork").Pool(config.workers, _init_worker, (fonts, corpus, config)) as pool:
            for result in pool.imap(_render_one, jobs, chunksize=4):
                record(result)
    else:
        _init_worker(fonts, corpus, config)
        for job in jobs:
            record(_render_one(job))
    summary.yaml = write_dataset_yaml(out)
    return summary


def contact_sheet(root: str | Path, out: str | Path, count: int = 12, cell: int = 320) -> Path:
    """A PNG grid of the first ``count`` pages of a YOLO folder with their boxes drawn, for a person to look at."""
    from yocr.data.yolo import read_yolo_labels

    root = Path(root)
    images = sorted(p for split in ("train", "val") for p in (root / "images" / split).glob("*.*"))[:count]
    if not images:
        raise YocrError(f"{root}: no pages to show")
    tiles = []
    for path in images:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        split = path.parent.name
        for box in read_yolo_labels(root / "labels" / split / f"{path.stem}.txt", image.shape[1], image.shape[0]):
            cv2.rectangle(image, (int(box[0]), int(box[1])), (int(box[2]), int(box[3])), (0, 0, 255), 2)
        scale = cell / max(image.shape[:2])
        small = cv2.resize(image, (max(1, int(image.shape[1] * scale)), max(1, int(image.shape[0] * scale))))
        tile = np.full((cell, cell, 3), 255, np.uint8)
        tile[: small.shape[0], : small.shape[1]] = small
        tiles.append(tile)
    cols = 4
    while len(tiles) % cols:
        tiles.append(np.full((cell, cell, 3), 255, np.uint8))
    grid = np.vstack([np.hstack(tiles[i : i + cols]) for i in range(0, len(tiles), cols)])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), grid)
    return out
