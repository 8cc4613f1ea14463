"""Converters for scene-text data: word quadrilaterals (ICDAR 2015), word-crop folders (IIIT5K/SVT style) and
licence-plate photos (OpenALPR style), into labelled crops for the recognizer in the TRSynth layout.

Every converter takes the dataset's fixed split (``train`` or ``val``, see ``../shared/data/README.md``) so that the
validation images are never trained on, and writes ``out/images`` + ``out/labels.txt`` (+ ``groups.csv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from yocr.core.geometry import CROP_MARGIN, QUAD_MARGIN, crop, rectify_quad
from yocr.core.io import atomic_write_text
from yocr.core.splits import FUNSD_VAL_COUNT, IC15_VAL_FIRST, PLATES_VAL_EVERY, WORDS_VAL_EVERY
from yocr.errors import YocrError

DONT_CARE = "###"


@dataclass(frozen=True)
class Quad:
    points: np.ndarray  # 4 x 2 float32, clockwise from the word's top-left
    text: str

    @property
    def legible(self) -> bool:
        return self.text != DONT_CARE and bool(self.text.strip())


def read_quads(path: str | Path) -> list[Quad]:
    """``x1,y1,...,x4,y4,TRANSCRIPTION`` per line (UTF-8, optional BOM; split on the first 8 commas)."""
    quads = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(",", 8)
        if len(parts) < 9:
            raise YocrError(f"{path}:{n}: expected 8 coordinates and a transcription, got {line!r}")
        try:
            pts = np.array([float(v) for v in parts[:8]], dtype=np.float32).reshape(4, 2)
        except ValueError:
            raise YocrError(f"{path}:{n}: coordinates are not numbers: {line!r}") from None
        quads.append(Quad(pts, parts[8].strip()))
    return quads


def rectify(image: np.ndarray, points: np.ndarray, margin: float = QUAD_MARGIN) -> np.ndarray:
    """The quadrilateral ``points`` (clockwise from top-left) warped to an upright rectangle, grown by ``margin`` x
    its height on every side (taking in the image around it, as a detector's crop does): what the pipeline cuts
    along an oriented detector's quads (:func:`~yocr.core.geometry.rectify_quad`)."""
    return rectify_quad(image, points, margin)[0]


def _ic15_number(path: Path) -> int:
    match = re.search(r"(\d+)$", path.stem)
    return int(match.group(1)) if match else -1


def _in_split(index: int, split: str, is_val: bool) -> bool:
    if split not in ("train", "val", "all"):
        raise YocrError(f"split must be 'train', 'val' or 'all', got {split!r}")
    return split == "all" or (split == "val") == is_val


class _CropWriter:
    def __init__(self, out: str | Path):
        self.out = Path(out)
        (self.out / "images").mkdir(parents=True, exist_ok=True)
        self.lines: list[str] = []
        self.groups = ["name,group"]

    def add(self, name: str, crop: np.ndarray, text: str, group: str) -> None:
        cv2.imwrite(str(self.out / "images" / name), crop)
        self.lines.append(f"{name} {text}\n")
        self.groups.append(f"{name},{group}")

    def close(self) -> int:
        atomic_write_text(self.out / "labels.txt", "".join(self.lines))
        atomic_write_text(self.out / "groups.csv", "\n".join(self.groups) + "\n")
        return len(self.lines)


def ic15_crops(root: str | Path, out: str | Path, split: str = "train", min_height: int = 6) -> int:
    """Rectified crops of the legible words of ``root/img/img_N.jpg`` with ``root/gt/gt_img_N.txt``."""
    root = Path(root)
    images = sorted((root / "img").glob("*.jpg"), key=_ic15_number)
    if not images:
        raise YocrError(f"{root}/img: no img_N.jpg files")
    writer = _CropWriter(out)
    for image_path in images:
        number = _ic15_number(image_path)
        if not _in_split(number, split, number >= IC15_VAL_FIRST):
            continue
        gt = root / "gt" / f"gt_{image_path.stem}.txt"
        image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        if image is None or not gt.is_file():
            continue
        for k, quad in enumerate(read_quads(gt)):
            if not quad.legible:
                continue
            crop = rectify(image, quad.points)
            if crop.shape[0] < min_height or crop.shape[1] < 2:
                continue
            if crop.shape[0] > 1.5 * crop.shape[1] and len(quad.text) > 2:  # vertical words: not supported
                continue
            writer.add(f"{image_path.stem}_{k:03d}.png", crop, " ".join(quad.text.split()), image_path.stem)
    return writer.close()


def word_crops(root: str | Path, out: str | Path, split: str = "train") -> int:
    """A ``labels.tsv`` of ``FOLDER/N.jpg<TAB>label`` (IIIT5K/SVT) as a labels file of the split's crops."""
    root = Path(root)
    tsv = root / "labels.tsv"
    if not tsv.is_file():
        raise YocrError(f"{tsv}: not found")
    writer = _CropWriter(out)
    for n, line in enumerate(tsv.read_text(encoding="utf-8-sig").splitlines(), start=1):
        name, sep, label = line.partition("\t")
        if not sep or not label.strip() or not _in_split(n, split, n % WORDS_VAL_EVERY == 0):
            continue
        image = cv2.imread(str(root / name), cv2.IMREAD_COLOR)
        if image is None:
            continue
        writer.add(name.replace("/", "_").rsplit(".", 1)[0] + ".png", image, label.strip(), name)
    return writer.close()


# Horizontal bands (top, bottom as fractions of the crop's height) holding a plate's number.
PLATE_BANDS = ((0.1, 0.9), (0.15, 0.85), (0.2, 0.8), (0.1, 0.8))


def plate_crops(
    root: str | Path, out: str | Path, split: str = "train", margin: float = 0.1, bands: bool = False
) -> int:
    """Plate crops (the box grown by ``margin`` x its height) of ``NAME.jpg`` + ``NAME.txt`` photos.

    ``bands`` also writes horizontal bands of each crop (:data:`PLATE_BANDS`: the middle of the plate, where the
    number is, without the state name above and the slogan below) as extra samples ``NAME_bK.png``, so that a
    recognizer learns plate numbers both in the whole plate and filling the line height.
    """
    pages = plate_pages(root, split)
    if not pages and not any(Path(root).glob("*.txt")):
        raise YocrError(f"{root}: no NAME.txt plate files")
    writer = _CropWriter(out)
    for path, (box,), number in pages:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        x0, y0, x1, y1 = box
        if x0 >= image.shape[1] or y0 >= image.shape[0] or x1 <= 0 or y1 <= 0:
            continue  # the plate box lies outside the photo
        plate = crop(image, box, margin)
        writer.add(f"{path.stem}.png", plate, number, path.stem)
        for k, (top, bottom) in enumerate(PLATE_BANDS if bands else ()):
            band = plate[int(top * plate.shape[0]) : int(bottom * plate.shape[0])]
            if band.shape[0] >= 2:
                writer.add(f"{path.stem}_b{k}.png", band, number, path.stem)
    return writer.close()


def funsd_word_crops(root: str | Path, out: str | Path, split: str = "train", margin: float = CROP_MARGIN) -> int:
    """Crops of single FUNSD words (``annotations/NAME.json``), for word-level training and the word benchmark."""
    import json

    root = Path(root)
    notes = sorted((root / "annotations").glob("*.json"))
    if not notes:
        raise YocrError(f"{root}/annotations: no JSON files")
    writer = _CropWriter(out)
    for n, note in enumerate(notes):
        if not _in_split(n, split, n >= len(notes) - FUNSD_VAL_COUNT):
            continue
        image_path = next((p for p in (root / "images").glob(note.stem + ".*")), None)
        image = cv2.imread(str(image_path), cv2.IMREAD_COLOR) if image_path else None
        if image is None:
            continue
        words = [w for entity in json.loads(note.read_text(encoding="utf-8"))["form"] for w in entity.get("words", [])]
        for k, word in enumerate(words):
            text = " ".join(str(word.get("text", "")).split())
            x0, y0, x1, y1 = (float(v) for v in word["box"])
            if not text or y1 - y0 < 6 or x1 - x0 < 2 or (y1 - y0) > 1.5 * (x1 - x0) and len(text) > 2:
                continue
            if x0 < image.shape[1] and y0 < image.shape[0] and x1 > 0 and y1 > 0:
                writer.add(f"{note.stem}_{k:03d}.png", crop(image, (x0, y0, x1, y1), margin), text, note.stem)
    return writer.close()


def _quad_box(points: np.ndarray) -> tuple[float, float, float, float]:
    return float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), float(points[:, 1].max())


def mask_dont_care(image: np.ndarray, quads: list[Quad]) -> np.ndarray:
    """``image`` with the "don't care" regions (``###``: text too blurred to read) blurred out, so a detector
    trained on it learns neither to box them nor that they are background."""
    out = image.copy()
    for q in quads:
        if q.legible:
            continue
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(q.points).astype(np.int32)], 255)
        mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
        x0, y0, x1, y1 = (int(v) for v in _quad_box(q.points))
        k = max(3, (max(x1 - x0, y1 - y0) // 2) | 1)
        blurred = cv2.GaussianBlur(out, (k, k), 0)
        out[mask > 0] = blurred[mask > 0]
    return out


def ic15_pages(root: str | Path, split: str) -> list[tuple[Path, list[tuple[float, float, float, float]], list[Quad]]]:
    """The split's street photos with the axis-aligned boxes of their legible words (each word its own box) and
    all quads (the ``###`` ones are don't-care regions)."""
    root = Path(root)
    pages = []
    for image_path in sorted((root / "img").glob("*.jpg"), key=_ic15_number):
        number = _ic15_number(image_path)
        if not _in_split(number, split, number >= IC15_VAL_FIRST):
            continue
        gt = root / "gt" / f"gt_{image_path.stem}.txt"
        quads = read_quads(gt) if gt.is_file() else []
        pages.append((image_path, [_quad_box(q.points) for q in quads if q.legible], quads))
    return pages


def plate_pages(root: str | Path, split: str) -> list[tuple[Path, list[tuple[float, float, float, float]], str]]:
    """The split's car photos with the plate box (one box per plate) and the plate number."""
    root = Path(root)
    pages = []
    for n, note in enumerate(sorted(root.glob("*.txt")), start=1):
        if not _in_split(n, split, n % PLATES_VAL_EVERY == 0):
            continue
        fields = note.read_text(encoding="utf-8").strip().split("\t")
        if len(fields) < 6:
            continue
        x, y, w, h = (float(v) for v in fields[1:5])
        pages.append((root / fields[0], [(x, y, x + w, y + h)], fields[5].strip()))
    return pages


def obb_label_text(quads: list[np.ndarray], width: int, height: int, min_size: float = 2.0) -> str:
    """Label file text of ultralytics' oriented-box task: ``0 x1 y1 x2 y2 x3 y3 x4 y4`` per quadrilateral (pixel
    corners, clockwise from the word's top-left), normalised to [0, 1] and clipped to the image; quads whose sides
    are under ``min_size`` px are dropped. ultralytics fits the smallest rotated rectangle around each."""
    lines = []
    for q in quads:
        p = np.clip(np.asarray(q, dtype=np.float64).reshape(4, 2), 0.0, [width, height])
        if min(np.linalg.norm(p - np.roll(p, 1, axis=0), axis=1)) < min_size:  # after clipping: off the image
            continue
        p = p / [width, height]
        lines.append("0 " + " ".join(f"{v:.6f}" for v in p.ravel()) + "\n")
    return "".join(lines)


def _box_quad(box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def scene_yolo(
    out: str | Path, ic15: str | Path | None = None, plates: str | Path | None = None, obb: bool = False
) -> dict[str, int]:
    """Street photos (words as boxes of their own, don't-care regions blurred out) and car photos (the plate as
    one box) in the YOLO layout under ``out`` (``images/{train,val}``, ``labels/{train,val}``), fixed splits kept.

    With ``obb`` the labels are the words' quadrilaterals (:func:`obb_label_text`, the plate's box as four corners),
    for a detector of ultralytics' oriented-box task."""
    from yocr.data.yolo import prepare_layout, write_dataset_yaml, yolo_label_text

    out = prepare_layout(out)
    counts = {"train": 0, "val": 0}
    for split in ("train", "val"):
        items = []
        if ic15:
            items += [(f"ic15_{p.stem}", p, boxes, quads) for p, boxes, quads in ic15_pages(ic15, split)]
        if plates:
            items += [(f"plate_{p.stem}", p, boxes, []) for p, boxes, _ in plate_pages(plates, split)]
        for name, path, boxes, quads in items:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                continue
            if any(not q.legible for q in quads):
                image = mask_dont_care(image, quads)
            cv2.imwrite(str(out / "images" / split / f"{name}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
            if obb:
                corners = [q.points for q in quads if q.legible] if quads else [_box_quad(b) for b in boxes]
                text = obb_label_text(corners, image.shape[1], image.shape[0])
            else:
                text = yolo_label_text(boxes, image.shape[1], image.shape[0])
            atomic_write_text(out / "labels" / split / f"{name}.txt", text)
            counts[split] += 1
    write_dataset_yaml(out)
    return counts
