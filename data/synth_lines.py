"""Render single-line images with labels, in the TRSynth100K layout (``images/`` + ``labels.txt``)."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from yocr.data.augment import line_degradations
from yocr.data.fonts import find_fonts, font_covers
from yocr.core.io import atomic_write_text
from yocr.data.text_gen import TextSource
from yocr.errors import YocrError
from yocr.core.alphabet import PRINTABLE_ASCII


@dataclass(frozen=True)
class SynthLinesConfig:
    count: int = 1000
    seed: int = 0
    min_size: int = 14  # font size in pixels
    max_size: int = 44
    charset: str = PRINTABLE_ASCII
    workers: int = 2
    scene: float = 0.0  # share of lines drawn as scene text: photo/texture grounds, colour, outline, shadow, tilt
    backgrounds: str = ""  # folder of photographs whose patches become scene grounds (none: procedural textures)
    # a store's lines scaled to this height, grey, JPEG quality 85, as tools/pack_lines.py packs real crops (0: as
    # rendered, in colour): the recognizer's input height (32) makes a million lines about 2.5 GB instead of about 9 GB
    store_height: int = 0

    def __post_init__(self) -> None:
        if self.count < 1:
            raise YocrError(f"--count must be at least 1, not {self.count}")
        if not 6 <= self.min_size <= self.max_size:
            raise YocrError(f"--min-size and --max-size must satisfy 6 <= min <= max, not {self.min_size} and {self.max_size}")
        if not 0.0 <= self.scene <= 1.0:
            raise YocrError(f"--scene must be a share in [0, 1], not {self.scene}")
        if self.store_height and not 8 <= self.store_height <= 256:
            raise YocrError(f"--height must be 0 (as rendered) or 8 to 256 pixels, not {self.store_height}")


class LineRenderer:
    """Draws one line of text with a random font, size, colours, spacing and damage, from a seeded generator."""

    def __init__(self, fonts: list[Path], text_source: TextSource, config: SynthLinesConfig):
        if not fonts:
            raise YocrError("no usable fonts found under /usr/share/fonts: install Debian's font packages (see README)")
        self.fonts = [str(f) for f in fonts]
        self.text_source = text_source
        self.config = config
        self.augment = line_degradations()
        self.scene_augment = scene_degradations()
        self.backgrounds = _background_files(config.backgrounds)

    def _font_for(self, text: str, rng: np.random.Generator) -> str:
        """A random font with a glyph for every character of ``text`` (fonts are chosen for ASCII coverage)."""
        special = "".join(sorted({c for c in text if ord(c) > 126}))
        if not special:
            return self.fonts[rng.integers(len(self.fonts))]
        able = [f for f in self.fonts if font_covers(f, special)]
        if not able:
            return ""
        return able[rng.integers(len(able))]

    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        text = self.text_source(rng)
        font_path = self._font_for(text, rng)
        while not font_path:  # no installed font draws one of its characters: draw another text
            text = self.text_source(rng)
            font_path = self._font_for(text, rng)
        if rng.random() < self.config.scene:
            return self._render_scene(rng, text, font_path), text
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

    def _render_scene(self, rng: np.random.Generator, text: str, font_path: str) -> np.ndarray:
        """Scene text: a photo patch or texture as ground, a contrasting colour sampled against it, an outline or a
        drop shadow at times, a tilt of up to about 15 degrees, then a crop that is tight, loose or cut into."""
        size = int(rng.integers(self.config.min_size, self.config.max_size + 1))
        font = ImageFont.truetype(font_path, size)
        left, top, right, bottom = font.getbbox(text)
        pad = size
        w, h = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
        ground = self._ground(rng, w, h)
        mean = ground.reshape(-1, 3).mean(axis=0)
        lum = float(mean @ [0.299, 0.587, 0.114])
        target = rng.uniform(0, max(1.0, lum - 80)) if lum > 128 else rng.uniform(min(254.0, lum + 80), 255)
        hue = rng.uniform(0.4, 1.6, size=3)
        ink = tuple(int(np.clip(target * hh, 0, 255)) for hh in hue)
        canvas = Image.fromarray(ground)
        draw = ImageDraw.Draw(canvas)
        origin = (pad - left, pad - top)
        style = rng.random()
        if style < 0.15:  # drop shadow
            off = max(1, size // 15)
            shadow = tuple(int(255 - c) if lum < 128 else int(c * 0.3) for c in ink)
            draw.text((origin[0] + off, origin[1] + off), text, font=font, fill=shadow)
            draw.text(origin, text, font=font, fill=ink)
        elif style < 0.3:  # outline
            outline = tuple(int(255 - c) for c in ink)
            draw.text(origin, text, font=font, fill=ink, stroke_width=max(1, size // 14), stroke_fill=outline)
        else:
            draw.text(origin, text, font=font, fill=ink)
        if rng.random() < 0.1:  # underline or a frame
            y = int(pad + (bottom - top) * 1.1)
            draw.line([(pad // 2, y), (w - pad // 2, y)], fill=ink, width=max(1, size // 16))
        image = np.asarray(canvas)
        angle = float(rng.normal(0, 4)) if rng.random() < 0.8 else float(rng.uniform(-15, 15))
        image, box = _rotate_with_box(image, angle, (pad, pad, w - pad, h - pad))
        image = _scene_crop(image, box, rng)
        self.scene_augment.set_random_seed(int(rng.integers(2**31)))
        return self.scene_augment(image=image)["image"]

    def _ground(self, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
        if self.backgrounds and rng.random() < 0.7:
            photo = cv2.imread(self.backgrounds[rng.integers(len(self.backgrounds))], cv2.IMREAD_COLOR)
            if photo is not None and photo.shape[0] > 8 and photo.shape[1] > 8:
                scale = max(w / photo.shape[1], h / photo.shape[0], rng.uniform(0.2, 1.0))
                if scale != 1.0:
                    photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                y = int(rng.integers(0, photo.shape[0] - h + 1))
                x = int(rng.integers(0, photo.shape[1] - w + 1))
                patch = cv2.cvtColor(photo[y : y + h, x : x + w], cv2.COLOR_BGR2RGB)
                return cv2.GaussianBlur(patch, (0, 0), float(rng.uniform(0.5, 2.5)))
        return _texture(rng, w, h)

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


def scene_degradations():
    """Damage for scene-text lines: light perspective, blur, light and colour shifts, noise, JPEG."""
    import albumentations as A

    return A.Compose(
        [
            A.Perspective(scale=(0.01, 0.05), fit_output=True, border_mode=cv2.BORDER_REPLICATE, p=0.4),
            A.OneOf(
                [A.GaussianBlur(blur_limit=(3, 7), p=1.0), A.MotionBlur(blur_limit=(3, 7), p=1.0),
                 A.Downscale(scale_range=(0.3, 0.7), p=1.0)],
                p=0.5,
            ),
            A.RandomBrightnessContrast(brightness_limit=0.3, contrast_limit=0.4, p=0.6),
            A.HueSaturationValue(p=0.3),
            A.GaussNoise(std_range=(0.01, 0.1), p=0.4),
            A.ImageCompression(quality_range=(25, 95), p=0.5),
        ]
    )


def _background_files(folder: str) -> list[str]:
    if not folder:
        return []
    root = Path(folder)
    if not root.is_dir():
        raise YocrError(f"{root}: backgrounds folder not found")
    files = sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise YocrError(f"{root}: no .jpg/.png photographs to cut backgrounds from")
    return files


def _texture(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A procedural ground: a colour gradient with blotches and grain (paint, card, metal, fabric)."""
    base = rng.integers(0, 256, size=3).astype(np.float32)
    other = np.clip(base + rng.normal(0, 60, size=3), 0, 255).astype(np.float32)
    t = np.linspace(0, 1, w, dtype=np.float32)[None, :, None] if rng.random() < 0.5 else \
        np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    image = base + (other - base) * t * np.ones((h, w, 1), np.float32)
    blotch = cv2.resize(rng.normal(0, 1, size=(max(2, h // 8), max(2, w // 8))).astype(np.float32), (w, h))
    image += blotch[..., None] * rng.uniform(0, 25)
    image += rng.normal(0, rng.uniform(0, 12), size=image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _rotate_with_box(image: np.ndarray, angle: float, box: tuple[int, int, int, int]):
    """``image`` rotated by ``angle`` degrees (canvas grown to fit) and the axis-aligned box of the rotated ``box``."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(image, m, (nw, nh), borderMode=cv2.BORDER_REFLECT)
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], np.float32) @ m.T
    return out, (corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max())


def _scene_crop(image: np.ndarray, box, rng: np.random.Generator) -> np.ndarray:
    """The text's box with a margin drawn per side: tight (a few px), loose, or cutting slightly into the text."""
    x0, y0, x1, y1 = box
    bh = max(1.0, y1 - y0)
    margins = rng.uniform(-0.03, 0.25, size=4) * bh
    if rng.random() < 0.3:
        margins = rng.uniform(0.0, 0.5, size=4) * bh
    H, W = image.shape[:2]
    xa, ya = int(max(0, x0 - margins[0])), int(max(0, y0 - margins[1]))
    xb, yb = int(min(W, x1 + margins[2])), int(min(H, y1 + margins[3]))
    if xb - xa < 4 or yb - ya < 4:
        return image
    return image[ya:yb, xa:xb]


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


def _render_encoded(args: tuple[int, int, str]) -> tuple[bytes, str, int, int]:
    index, seed, _ = args
    image, text = _worker.render(np.random.default_rng([seed, index]))
    height = _worker.config.store_height
    if height:  # grey at the network's input height, as tools/pack_lines.py packs real crops
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        image = cv2.resize(grey, (max(1, round(grey.shape[1] * height / grey.shape[0])), height),
                           interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    else:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return buf.tobytes(), text, image.shape[1], image.shape[0]


def synth_lines(
    out: str | Path, config: SynthLinesConfig, corpus: list[str] | None = None, progress=None, store: bool = False
) -> int:
    """Render ``config.count`` lines into ``out/images`` and write ``out/labels.txt``, or with ``store`` into a
    compact line store (:mod:`yocr.data.line_store`) that training streams from. Deterministic for a seed."""
    out = Path(out)
    if config.store_height and not store:
        raise YocrError("--height applies to a store: add --store")
    fonts = find_fonts("".join(c for c in config.charset if c != " " and ord(c) < 127))
    corpus = corpus or []
    jobs = [(i, config.seed, str(out)) for i in range(config.count)]
    if store:
        return _synth_store(out, config, fonts, corpus, jobs, progress)
    (out / "images").mkdir(parents=True, exist_ok=True)
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


def _synth_store(out: Path, config: SynthLinesConfig, fonts, corpus, jobs, progress) -> int:
    from yocr.data.line_store import LineStoreWriter

    writer = LineStoreWriter(out)
    if config.workers > 1:
        with mp.get_context("fork").Pool(config.workers, _init_worker, (fonts, corpus, config)) as pool:
            results = pool.imap(_render_encoded, jobs, chunksize=64)  # in order: the store is deterministic
            for encoded, text, w, h in results:
                writer.add(encoded, text, w, h)
                if progress:
                    progress()
    else:
        _init_worker(fonts, corpus, config)
        for job in jobs:
            writer.add(*_render_encoded(job))
            if progress:
                progress()
    return writer.close()


def contact_sheet(labels_file: str | Path, out: str | Path, count: int = 48, height: int = 40, width: int = 640) -> Path:
    """A PNG of the first ``count`` lines of a labels file, each scaled to ``height`` with its label beside it, so a
    person can look at what is being generated."""
    from yocr.data.labels import read_labels

    from yocr.data.line_store import parse_ref, read_ref

    samples, _ = read_labels(labels_file)
    rows = []
    font = ImageFont.truetype(find_fonts("Aa")[0], 14) if find_fonts("Aa") else ImageFont.load_default()
    for s in samples[:count]:
        image = read_ref(s.path, cv2.IMREAD_COLOR) if parse_ref(s.path) else cv2.imread(str(s.path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        scaled = cv2.resize(image, (max(8, int(image.shape[1] * height / image.shape[0])), height))[:, : width // 2]
        row = np.full((height + 4, width, 3), 255, np.uint8)
        row[2 : 2 + height, : scaled.shape[1]] = scaled
        canvas = Image.fromarray(cv2.cvtColor(row, cv2.COLOR_BGR2RGB))
        ImageDraw.Draw(canvas).text((width // 2 + 8, height // 2 - 6), s.label[:60], font=font, fill=(200, 0, 0))
        rows.append(np.asarray(canvas))
    if not rows:
        raise YocrError(f"{labels_file}: no readable lines for a contact sheet")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
    return out
