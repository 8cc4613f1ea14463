"""Row merging, the YOLO converters, box augmentation and synthetic pages: offline, on tiny hand-made data."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from yocr.data.annotations import Region
from yocr.data.box_augment import BoxAugmentConfig, augment_yolo, augment_yolo_folder, box_augmentations
from yocr.core.geometry import same_row
from yocr.data.rows import merge_rows
from yocr.detector.evaluate import iou_matrix
from yocr.data.synth_pages import SynthPagesConfig, render_page, synth_pages, warp_boxes
from yocr.data.yolo import (
    build_yolo_dataset,
    format_yolo_line,
    parse_yolo_labels,
    read_yolo_labels,
    to_yolo,
    write_dataset_yaml,
    yolo_label_text,
)
from yocr.data.cli import data_app
from yocr.errors import LabelError


def assert_valid_label_text(text: str) -> None:
    """Every value in [0, 1], box edges inside [0, 1], positive sizes."""
    for cls, (cx, cy, w, h) in parse_yolo_labels(text):
        assert cls == 0
        assert all(0.0 <= v <= 1.0 for v in (cx, cy, w, h))
        assert w > 0 and h > 0
        assert cx - w / 2 >= -1e-9 and cx + w / 2 <= 1 + 1e-9
        assert cy - h / 2 >= -1e-9 and cy + h / 2 <= 1 + 1e-9


# --- row merging ------------------------------------------------------------------------------------------------


def test_merge_rows_joins_close_cells_and_keeps_far_ones_apart():
    regions = [
        Region((10, 10, 60, 30), "QTY"),
        Region((70, 12, 120, 31), "2"),  # gap 10 <= 1.0 x height 20: joined
        Region((300, 11, 360, 30), "9.90"),  # gap 180: its own line
        Region((10, 50, 100, 70), "TOTAL"),  # next row
    ]
    lines = merge_rows(regions)
    assert [ln.text for ln in lines] == ["QTY 2", "9.90", "TOTAL"]
    assert lines[0].box == (10, 10, 120, 31)
    assert len(merge_rows(regions, gap=20.0)) == 2  # a wide gap joins the whole row


def test_merge_rows_does_not_chain_neighbouring_lines_of_a_skewed_page():
    # each overlaps the next by more than half a height, but the first and the last do not share a row
    regions = [Region((0, 0, 40, 20), "a"), Region((45, 9, 85, 29), "b"), Region((90, 18, 130, 38), "c")]
    lines = merge_rows(regions, gap=5.0)
    assert len(lines) >= 2
    assert all(ln.height <= 30 for ln in lines)


def test_merge_rows_drops_empty_boxes_and_rejects_negative_gap():
    assert merge_rows([Region((5, 5, 5, 10), "x")]) == []
    with pytest.raises(ValueError):
        merge_rows([], gap=-1)


def test_iou_and_same_row():
    assert iou_matrix([[0, 0, 10, 10]], [[0, 0, 10, 10]])[0, 0] == 1.0
    assert iou_matrix([[0, 0, 10, 10]], [[20, 20, 30, 30]])[0, 0] == 0.0
    assert abs(iou_matrix([[0, 0, 10, 10]], [[5, 0, 15, 10]])[0, 0] - 1 / 3) < 1e-9
    assert same_row((0, 0, 10, 20), (20, 8, 30, 28))
    assert not same_row((0, 0, 10, 20), (20, 12, 30, 32))


# --- converters -------------------------------------------------------------------------------------------------


def _image(path: Path, width: int = 200, height: int = 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((height, width, 3), 255, np.uint8))
    return path


@pytest.fixture()
def sroie_dir(tmp_path: Path) -> Path:
    root = tmp_path / "sroie"
    for number in ("000", "526"):
        _image(root / "img" / f"{number}.jpg")
        (root / "box").mkdir(parents=True, exist_ok=True)
        (root / "box" / f"{number}.csv").write_text(
            "10,10,60,10,60,30,10,30,QTY\n"
            "70,12,120,12,120,31,70,31,2\n"
            "150,10,250,10,250,30,150,30,FAR, OFF PAGE\n"  # runs past the right edge: clipped
            "10,50,12,50,12,70,10,70,I\n",  # 2 px wide: kept at min_size 2
            encoding="utf-8",
        )
    return root


@pytest.fixture()
def funsd_dir(tmp_path: Path) -> Path:
    root = tmp_path / "funsd"
    (root / "annotations").mkdir(parents=True)
    for k in range(31):  # 30 validation forms and one training form
        _image(root / "images" / f"form{k:02d}.png", 300, 200)
        form = {"form": [{"words": [{"box": [20, 20, 60, 35], "text": "Date:"}, {"box": [65, 20, 120, 35], "text": "1/2"}]},
                         {"words": [{"box": [20, 100, 80, 115], "text": "Name"}, {"box": [0, 0, 0, 0], "text": ""}]}]}
        (root / "annotations" / f"form{k:02d}.json").write_text(json.dumps(form), encoding="utf-8")
    return root


def test_sroie_and_funsd_convert_into_the_yolo_layout_with_fixed_splits(sroie_dir, funsd_dir, tmp_path):
    out = tmp_path / "yolo"
    summary = build_yolo_dataset(out, sroie=sroie_dir, funsd=funsd_dir)
    assert summary.images == {"train": 2, "val": 31}
    assert (out / "images" / "train" / "sroie_000.jpg").is_file()
    assert (out / "images" / "val" / "sroie_526.jpg").is_file()
    assert (out / "images" / "train" / "funsd_form00.png").is_file()
    assert (out / "labels" / "val" / "funsd_form30.txt").is_file()
    yaml_text = (out / "data.yaml").read_text()
    assert "train: images/train" in yaml_text and "val: images/val" in yaml_text and "0: text_line" in yaml_text
    assert str(out.resolve()) in yaml_text
    sroie_label = (out / "labels" / "train" / "sroie_000.txt").read_text()
    assert_valid_label_text(sroie_label)
    boxes = read_yolo_labels(out / "labels" / "train" / "sroie_000.txt", 200, 100)
    assert len(boxes) == 3  # "QTY 2" merged; "FAR, OFF PAGE" clipped; "I"
    assert any(abs(b[0] - 10) < 0.01 and abs(b[2] - 120) < 0.01 for b in boxes)
    assert max(b[2] for b in boxes) <= 200
    funsd_boxes = read_yolo_labels(out / "labels" / "train" / "funsd_form00.txt", 300, 200)
    assert len(funsd_boxes) == 2  # "Date: 1/2" and "Name"


def test_yolo_folder_is_merged_with_boxes_clipped_and_small_ones_dropped(tmp_path):
    src = tmp_path / "src"
    _image(src / "images" / "train" / "a.jpg", 100, 50)
    (src / "labels" / "train").mkdir(parents=True)
    (src / "labels" / "train" / "a.txt").write_text("0 0.95 0.5 0.3 0.4\n3 0.5 0.5 0.001 0.5\n0 0.2 0.2 0.2 0.2\n")
    out = tmp_path / "out"
    summary = build_yolo_dataset(out, yolo=[src])
    assert summary.images["train"] == 1 and summary.boxes["train"] == 2
    text = (out / "labels" / "train" / "src_a.txt").read_text()
    assert_valid_label_text(text)


def test_converter_errors_name_the_file(tmp_path):
    with pytest.raises(LabelError, match="nowhere"):
        build_yolo_dataset(tmp_path / "o", sroie=tmp_path / "nowhere")
    bad = tmp_path / "bad.txt"
    bad.write_text("0 0.5 0.5\n")
    with pytest.raises(LabelError, match="bad.txt:1"):
        read_yolo_labels(bad, 10, 10)
    with pytest.raises(LabelError):
        build_yolo_dataset(tmp_path / "o")


def test_label_text_clips_and_drops():
    text = yolo_label_text([(-10, -5, 50, 20), (10, 10, 11, 30), (90, 40, 200, 200)], 100, 50, min_size=2)
    assert_valid_label_text(text)
    assert text.count("\n") == 2


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[st.floats(-0.5, 1.5, allow_nan=False)] * 4))
def test_format_yolo_line_is_always_inside_the_unit_square(box):
    for _, (cx, cy, w, h) in parse_yolo_labels(format_yolo_line(box)):
        assert all(0.0 <= v <= 1.0 for v in (cx, cy, w, h))
        assert cx - w / 2 >= -1e-9 and cx + w / 2 <= 1 + 1e-9
        assert cy - h / 2 >= -1e-9 and cy + h / 2 <= 1 + 1e-9


# --- box augmentation -------------------------------------------------------------------------------------------

_yolo_box = st.tuples(
    st.floats(0.0, 0.98), st.floats(0.0, 0.98), st.floats(0.01, 1.0), st.floats(0.01, 1.0)
).map(lambda t: (t[0], t[1], min(1.0, t[0] + t[2]), min(1.0, t[1] + t[3])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    boxes=st.lists(_yolo_box, max_size=8),
    width=st.integers(24, 120),
    height=st.integers(24, 120),
    seed=st.integers(0, 2**31 - 1),
    scale=st.tuples(st.floats(0.3, 1.0), st.floats(1.0, 2.0)),
    rotate=st.floats(0.0, 45.0),
)
def test_augmented_boxes_always_lie_inside_the_image(boxes, width, height, seed, scale, rotate):
    cfg = BoxAugmentConfig(scale=scale, rotate=rotate, min_size=2.0)
    image = np.full((height, width, 3), 255, np.uint8)
    yolo = [to_yolo((x0 * width, y0 * height, x1 * width, y1 * height), width, height) for x0, y0, x1, y1 in boxes]
    out, out_boxes = augment_yolo(image, yolo, seed, cfg, box_augmentations(cfg))
    assert out.shape == image.shape
    assert len(out_boxes) <= len(yolo)
    for cx, cy, w, h in out_boxes:
        assert all(0.0 <= v <= 1.0 for v in (cx, cy, w, h))
        assert cx - w / 2 >= -1e-9 and cx + w / 2 <= 1 + 1e-9
        assert cy - h / 2 >= -1e-9 and cy + h / 2 <= 1 + 1e-9
        assert w * width >= 2.0 - 1e-6 and h * height >= 2.0 - 1e-6
    assert_valid_label_text("".join(format_yolo_line(b) + "\n" for b in out_boxes))


def test_augment_folder_is_deterministic(tmp_path):
    src = tmp_path / "src"
    _image(src / "images" / "train" / "a.jpg", 120, 80)
    (src / "labels" / "train").mkdir(parents=True)
    (src / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.6 0.2\n0 0.9 0.9 0.2 0.2\n")
    write_dataset_yaml(src)
    a = augment_yolo_folder(src, tmp_path / "a", copies=2, seed=3)
    augment_yolo_folder(src, tmp_path / "b", copies=2, seed=3)
    assert a.images["train"] == 2
    for name in ("a_aug0.txt", "a_aug1.txt"):
        text = (tmp_path / "a" / "labels" / "train" / name).read_text()
        assert text == (tmp_path / "b" / "labels" / "train" / name).read_text()
        assert_valid_label_text(text)


# --- synthetic pages --------------------------------------------------------------------------------------------


def test_warp_boxes_moves_clips_and_drops():
    shift = np.array([[1, 0, 10], [0, 1, 5], [0, 0, 1]], float)
    assert warp_boxes([(0, 0, 10, 10)], shift, 100, 100, 0.5) == [(10.0, 5.0, 20.0, 15.0)]
    assert warp_boxes([(85, 0, 100, 10)], shift, 100, 100, 0.5) == []  # 5 of 15 px left inside
    assert warp_boxes([(80, 0, 90, 10)], shift, 100, 100, 0.5) == [(90.0, 5.0, 100.0, 15.0)]


def test_synth_pages_are_deterministic_and_well_labelled(tmp_path):
    cfg = SynthPagesConfig(count=5, seed=7, val_fraction=0.2, min_side=256, max_side=384)
    summary = synth_pages(tmp_path / "a", cfg)
    assert summary.images == {"train": 4, "val": 1}
    assert summary.boxes["train"] > 0
    assert (tmp_path / "a" / "data.yaml").is_file()
    for label in sorted((tmp_path / "a" / "labels").rglob("*.txt")):
        assert_valid_label_text(label.read_text())
    image, boxes, kind = render_page(2, cfg)
    again, boxes_again, _ = render_page(2, cfg)
    assert np.array_equal(image, again) and boxes == boxes_again
    assert 256 <= max(image.shape[:2]) <= 384
    h, w = image.shape[:2]
    assert all(0 <= b[0] < b[2] <= w and 0 <= b[1] < b[3] <= h for b in boxes)


def test_synth_pages_write_each_labelled_lines_transcription(cli, tmp_path):
    """text/ holds one transcription per label line, in the charset; bench pages reads the pair back, and
    `yocr data crops --yolo` cuts one labelled crop per line."""
    from yocr.core.alphabet import PRINTABLE_ASCII
    from yocr.data.yolo import yolo_text_pages

    cfg = SynthPagesConfig(count=4, seed=3, val_fraction=0.25, min_side=400, max_side=640, kinds=("book", "form"))
    synth_pages(tmp_path / "sp", cfg)
    lines = 0
    for label in sorted((tmp_path / "sp" / "labels").rglob("*.txt")):
        text = tmp_path / "sp" / "text" / label.parent.name / label.name
        texts = text.read_text(encoding="utf-8").splitlines()
        assert len(texts) == len(label.read_text().splitlines()) > 0
        assert all(t.strip() == t and t and set(t) <= set(PRINTABLE_ASCII) for t in texts)
        lines += len(texts)
    pages = yolo_text_pages(tmp_path / "sp", "train") + yolo_text_pages(tmp_path / "sp")
    assert len(pages) == 4 and sum(len(p.regions) for p in pages) == lines
    result = CliRunner().invoke(cli, ["data", "crops", "--yolo", str(tmp_path / "sp"), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    train_lines = sum(len(p.regions) for p in yolo_text_pages(tmp_path / "sp", "train"))
    labels = (tmp_path / "c" / "labels.txt").read_text(encoding="utf-8").splitlines()
    assert 0 < len(labels) <= train_lines and all(len(line.split(" ", 1)) == 2 for line in labels)
    result = CliRunner().invoke(cli, ["data", "crops", "--yolo", str(tmp_path / "sp"), "--yolo-split", "test",
                                      "--out", str(tmp_path / "c2")])
    assert result.exit_code == 2 and "--yolo-split" in result.output


# --- CLI --------------------------------------------------------------------------------------------------------


@pytest.fixture()
def cli():
    app = typer.Typer()
    app.add_typer(data_app, name="data")
    return app


def test_cli_data_yolo_and_augment_boxes(cli, sroie_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "ds"
    result = runner.invoke(cli, ["data", "yolo", "--out", str(out), "--sroie", str(sroie_dir)])
    assert result.exit_code == 0, result.output
    assert (out / "data.yaml").is_file()
    result = runner.invoke(cli, ["data", "augment-boxes", str(out), "--out", str(tmp_path / "aug"), "--copies", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "aug" / "labels" / "train" / "sroie_000_aug0.txt").is_file()
    result = runner.invoke(cli, ["data", "synth-pages", "--out", str(tmp_path / "sp"), "--count", "2",
                                 "--min-side", "200", "--max-side", "256"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "sp" / "images").rglob("*.jpg"))) == 2


def test_cli_data_errors_name_the_file(cli, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["data", "yolo", "--out", str(tmp_path / "o"), "--sroie", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "missing" in result.output
    result = runner.invoke(cli, ["data", "yolo", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2


def test_own_sroie_style_pages_split_by_name_without_overlap(tmp_path):
    from yocr.data.yolo import sroie_split

    root = tmp_path / "mine"
    (root / "box").mkdir(parents=True)
    for k in range(20):
        _image(root / "img" / f"shop-{k:02d}.jpg")
        (root / "box" / f"shop-{k:02d}.csv").write_text("10,10,60,10,60,30,10,30,TOTAL\n", encoding="utf-8")
    train, val = sroie_split(root)
    names = lambda pages: {p.image.stem for p in pages}  # noqa: E731
    assert names(val) == {"shop-09", "shop-19"} and len(train) == 18 and not names(train) & names(val)
