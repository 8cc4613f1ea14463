"""Detector data and scoring for street photos, plates, book pages and small labels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from yocr.errors import YocrError

from yocr.data.annotations import AnnotatedPage, Region
from yocr.data.scene import mask_dont_care, obb_label_text, read_quads, scene_yolo
from yocr.data.synth_pages import SynthPagesConfig, render_page
from yocr.data.yolo import read_yolo_labels
from yocr.detector.evaluate import DONT_CARE, drop_dont_care, truth_boxes

from conftest import render_line


def _street_folder(root: Path) -> Path:
    (root / "img").mkdir(parents=True)
    (root / "gt").mkdir()
    for n in (3, 950):
        photo = np.full((200, 400, 3), 120, np.uint8)
        photo[20:60, 20:180] = cv2.cvtColor(cv2.resize(render_line("OPEN"), (160, 40)), cv2.COLOR_GRAY2BGR)
        photo[120:160, 220:380] = cv2.cvtColor(cv2.resize(render_line("blur"), (160, 40)), cv2.COLOR_GRAY2BGR)
        cv2.imwrite(str(root / "img" / f"img_{n}.jpg"), photo)
        (root / "gt" / f"gt_img_{n}.txt").write_text(
            "\ufeff20,20,180,20,180,60,20,60,OPEN\n220,120,380,120,380,160,220,160,###\n", encoding="utf-8"
        )
    return root


def _plates_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    for n in range(5):
        cv2.imwrite(str(root / f"car{n}.jpg"), np.full((120, 200, 3), 90, np.uint8))
        (root / f"car{n}.txt").write_text(f"car{n}.jpg\t50\t40\t100\t30\tAB{n}\n")
    return root


def test_scene_yolo_keeps_words_apart_blurs_dont_care_and_keeps_the_splits(tmp_path):
    street, plates = _street_folder(tmp_path / "ic15"), _plates_folder(tmp_path / "plates")
    counts = scene_yolo(tmp_path / "yolo", ic15=street, plates=plates)
    assert counts == {"train": 5, "val": 2}  # img_3 + 4 plates train; img_950 + the 5th plate validate
    out = tmp_path / "yolo"
    boxes = read_yolo_labels(out / "labels" / "train" / "ic15_img_3.txt", 400, 200)
    assert len(boxes) == 1 and np.allclose(boxes[0], (20, 20, 180, 60), atol=1)  # the ### word is no box
    plate = read_yolo_labels(out / "labels" / "val" / "plate_car4.txt", 200, 120)
    assert len(plate) == 1 and np.allclose(plate[0], (50, 40, 150, 70), atol=1)
    original = cv2.imread(str(street / "img" / "img_3.jpg"))
    written = cv2.imread(str(out / "images" / "train" / "ic15_img_3.jpg"))
    assert np.abs(written[125:155, 225:375].astype(int) - original[125:155, 225:375]).mean() > 5  # blurred out
    assert np.abs(written[25:55, 25:175].astype(int) - original[25:55, 25:175]).mean() < 3  # legible word kept


def test_oriented_labels_are_the_words_quads_and_the_plates_corners(tmp_path):
    street, plates = _street_folder(tmp_path / "ic15"), _plates_folder(tmp_path / "plates")
    (street / "gt" / "gt_img_3.txt").write_text(  # a slanted word, and a ### region
        "30,40,170,20,176,58,36,78,OPEN\n220,120,380,120,380,160,220,160,###\n", encoding="utf-8")
    assert scene_yolo(tmp_path / "obb", ic15=street, plates=plates, obb=True) == {"train": 5, "val": 2}
    words = [line.split() for line in (tmp_path / "obb/labels/train/ic15_img_3.txt").read_text().splitlines()]
    assert len(words) == 1 and words[0][0] == "0"  # the ### region is no box
    assert np.allclose(np.array(words[0][1:], float).reshape(4, 2) * [400, 200],
                       [[30, 40], [170, 20], [176, 58], [36, 78]], atol=0.01)
    plate = np.array((tmp_path / "obb/labels/val/plate_car4.txt").read_text().split()[1:], float).reshape(4, 2)
    assert np.allclose(plate * [200, 120], [[50, 40], [150, 40], [150, 70], [50, 70]], atol=0.01)


def test_oriented_labels_are_clipped_to_the_image_and_tiny_quads_dropped():
    text = obb_label_text([np.array([[-10, 5], [50, 5], [50, 25], [-10, 25]], float),
                           np.array([[1, 1], [2, 1], [2, 2], [1, 2]], float)], 100, 50)
    values = np.array(text.split()[1:], float)
    assert text.count("\n") == 1 and values.min() == 0.0 and values.max() <= 1.0
    assert obb_label_text([np.array([[-30, 5], [-10, 5], [-10, 25], [-30, 25]], float)], 100, 50) == ""  # off it


def test_mask_dont_care_leaves_images_without_such_regions_alone(tmp_path):
    gt = tmp_path / "gt.txt"
    gt.write_text("0,0,10,0,10,10,0,10,word\n", encoding="utf-8")
    image = np.random.default_rng(0).integers(0, 255, (20, 20, 3), dtype=np.uint8)
    assert np.array_equal(mask_dont_care(image, read_quads(gt)), image)


def test_predictions_in_dont_care_regions_neither_count_nor_miss():
    page = AnnotatedPage(Path("x.jpg"), (Region((0, 0, 100, 20), "OPEN"), Region((200, 0, 300, 20), DONT_CARE)))
    pred = [(0, 0, 100, 20), (205, 2, 290, 18), (400, 0, 450, 20)]
    assert drop_dont_care(pred, page) == [(0, 0, 100, 20), (400, 0, 450, 20)]
    assert [tuple(b) for b in truth_boxes(page, None)] == [(0, 0, 100, 20)]


def test_street_words_are_not_merged_into_lines():
    page = AnnotatedPage(Path("x.jpg"), (Region((0, 0, 40, 20), "NO"), Region((50, 0, 120, 20), "PARKING")))
    assert len(truth_boxes(page, None)) == 2
    assert len(truth_boxes(page, 1.0)) == 1


def _unboxed_ink(image: np.ndarray, boxes) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    ink = grey < 0.5 * np.median(grey)
    covered = np.zeros_like(ink)
    for x0, y0, x1, y1 in boxes:
        covered[max(0, int(y0) - 2) : int(y1) + 3, max(0, int(x0) - 2) : int(x1) + 3] = True
    return float((ink & ~covered).sum()) / max(1, int(ink.sum()))


@pytest.mark.parametrize("kind", ["book", "label"])
def test_book_pages_and_labels_box_their_text(kind):
    cfg = SynthPagesConfig(count=4, seed=3, min_side=700, max_side=900, photo=0.0, kinds=(kind,))
    for index in range(3):
        image, boxes, got = render_page(index, cfg)
        assert got == kind and boxes
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        for x0, y0, x1, y1 in boxes:  # ink inside every box
            patch = grey[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1]
            assert patch.size and patch.min() < np.median(grey) - 40
        assert _unboxed_ink(image, boxes) < 0.02  # no unboxed text
    again, boxes_again, _ = render_page(1, cfg)
    assert np.array_equal(render_page(1, cfg)[0], again) and boxes_again == render_page(1, cfg)[1]


def test_book_lines_are_whole_lines_not_words():
    cfg = SynthPagesConfig(count=2, seed=5, min_side=900, max_side=1200, photo=0.0, kinds=("book",))
    image, boxes, _ = render_page(0, cfg)
    widths = sorted(b[2] - b[0] for b in boxes)
    assert widths[len(widths) // 2] > 0.25 * image.shape[1]  # the median box spans most of a column


def test_unknown_page_kinds_are_refused():
    with pytest.raises(YocrError, match="--kinds"):
        SynthPagesConfig(kinds=("poster",))
