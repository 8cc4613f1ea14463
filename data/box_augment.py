"""Box-aware augmentation of YOLO line data: scale, rotate, horizontal flip and Gaussian blur (``yocr data augment-boxes``).

albumentations moves the boxes with the image (``BboxParams(format="yolo", clip=True)``). After the transform every
box is clipped to the image again and boxes left narrower or lower than ``min_size`` pixels, or keeping less than
``min_visibility`` of their area, are dropped; the labels written are therefore always inside [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import albumentations as A
import cv2
import numpy as np

from yocr.core.image import IMAGE_SUFFIXES
from yocr.core.io import atomic_write_text
from yocr.data.yolo import (
    SPLITS,
    YoloBox,
    YoloSummary,
    format_yolo_line,
    from_yolo,
    parse_yolo_labels,
    prepare_layout,
    to_yolo,
    write_dataset_yaml,
)
from yocr.errors import ImageLoadError, LabelError, YocrError


@dataclass(frozen=True)
class BoxAugmentConfig:
    scale: tuple[float, float] = (0.6, 1.3)
    rotate: float = 5.0  # degrees, either way
    flip: float = 0.5  # probability of a horizontal flip
    blur: float = 0.3  # probability of a Gaussian blur
    min_visibility: float = 0.4
    min_size: float = 3.0  # pixels

    def __post_init__(self) -> None:
        if not 0 < self.scale[0] <= self.scale[1]:
            raise YocrError(f"--scale-min and --scale-max must satisfy 0 < min <= max, not {self.scale[0]} and {self.scale[1]}")
        if not 0 <= self.rotate <= 180:
            raise YocrError(f"--rotate must be in [0, 180] degrees, not {self.rotate}")
        for name in ("flip", "blur", "min_visibility"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise YocrError(f"--{name.replace('_', '-')} must be in [0, 1], not {getattr(self, name)}")


def box_augmentations(config: BoxAugmentConfig = BoxAugmentConfig()) -> A.Compose:
    """The seed design's detector augmentation with box-aware albumentations transforms."""
    return A.Compose(
        [
            A.Affine(
                scale=config.scale,
                rotate=(-config.rotate, config.rotate),
                rotate_method="largest_box",
                border_mode=cv2.BORDER_CONSTANT,
                fill=255,
                p=1.0,
            ),
            A.HorizontalFlip(p=config.flip),
            A.GaussianBlur(blur_limit=(3, 5), p=config.blur),
        ],
        bbox_params=A.BboxParams(
            format="yolo",
            label_fields=["classes"],
            min_visibility=config.min_visibility,
            clip=True,
            filter_invalid_bboxes=True,
        ),
    )


def sanitize_yolo_boxes(boxes: Sequence[Sequence[float]], width: int, height: int, min_size: float) -> list[YoloBox]:
    """Boxes clipped into the image, those under ``min_size`` pixels dropped; all values in [0, 1]."""
    out = []
    for box in boxes:
        x0, y0, x1, y1 = from_yolo(box, 1.0, 1.0)
        x0, y0, x1, y1 = max(x0, 0.0), max(y0, 0.0), min(x1, 1.0), min(y1, 1.0)
        if (x1 - x0) * width < min_size or (y1 - y0) * height < min_size:
            continue
        out.append(to_yolo((x0, y0, x1, y1), 1.0, 1.0))
    return out


def augment_yolo(
    image: np.ndarray,
    boxes: Sequence[Sequence[float]],
    rng_seed: int,
    config: BoxAugmentConfig = BoxAugmentConfig(),
    transform: A.Compose | None = None,
) -> tuple[np.ndarray, list[YoloBox]]:
    """One augmented copy of ``image`` and its YOLO boxes ``(cx, cy, w, h)``; the same seed gives the same copy.

    The boxes returned lie inside [0, 1] (clipped), and none is under ``config.min_size`` pixels.
    """
    height, width = image.shape[:2]
    clean = sanitize_yolo_boxes(boxes, width, height, min_size=1e-9)
    transform = transform or box_augmentations(config)
    transform.set_random_seed(int(rng_seed))
    result = transform(image=image, bboxes=np.asarray(clean, dtype=np.float64).reshape(-1, 4), classes=[0] * len(clean))
    out = result["image"]
    return out, sanitize_yolo_boxes(result["bboxes"], out.shape[1], out.shape[0], config.min_size)


def augment_yolo_folder(
    source: str | Path,
    out: str | Path,
    copies: int = 1,
    seed: int = 0,
    splits: Sequence[str] = ("train",),
    config: BoxAugmentConfig = BoxAugmentConfig(),
    progress: Callable[[], None] | None = None,
) -> YoloSummary:
    """Write ``copies`` augmented copies of every image of ``source``'s ``splits`` into the YOLO layout ``out``.

    Copies are named ``NAME_augK``; ``out`` may be ``source`` itself (copies are added beside the originals).
    Unreadable images and malformed label files are reported and skipped.
    """
    source, out = Path(source), prepare_layout(out)
    if copies < 1:
        raise YocrError(f"--copies must be at least 1, not {copies}")
    for split in splits:
        if split not in SPLITS:
            raise YocrError(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    transform = box_augmentations(config)
    summary = YoloSummary()
    found = False
    for split in splits:
        images_dir = source / "images" / split
        if not images_dir.is_dir():
            continue
        files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and "_aug" not in p.stem)
        found = found or bool(files)
        for n, path in enumerate(files):
            try:
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    raise ImageLoadError(path, "not a readable image")
                label_file = source / "labels" / split / f"{path.stem}.txt"
                text = label_file.read_text(encoding="utf-8") if label_file.is_file() else ""
                boxes = [b for _, b in parse_yolo_labels(text, str(label_file))]
            except (ImageLoadError, LabelError) as exc:
                summary.problems.append(str(exc))
                continue
            for k in range(copies):
                aug, aug_boxes = augment_yolo(image, boxes, int(np.random.SeedSequence([seed, n, k]).generate_state(1)[0]),
                                              config, transform)
                name = f"{path.stem}_aug{k}"
                cv2.imwrite(str(out / "images" / split / f"{name}.jpg"), aug, [cv2.IMWRITE_JPEG_QUALITY, 92])
                atomic_write_text(out / "labels" / split / f"{name}.txt",
                                  "".join(format_yolo_line(b) + "\n" for b in aug_boxes))
                summary.images[split] += 1
                summary.boxes[split] += len(aug_boxes)
            if progress:
                progress()
    if not found:
        raise LabelError(f"{source}: no images under images/{{{','.join(splits)}}}: not a YOLO folder")
    summary.yaml = write_dataset_yaml(out)
    return summary
