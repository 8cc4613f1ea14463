"""The line detector: box post-processing, checkpoints, the benchmark, and a tiny model trained for one epoch."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from yocr.data.annotations import AnnotatedPage, Region
from yocr.data.synth_pages import SynthPagesConfig, synth_pages
from yocr.core.results import Detection
from yocr.detector.boxes import merge_line_boxes, tiles, touches_inner_border
from yocr.detector.cli import register
from yocr.detector.evaluate import DetectionScores, evaluate_detector, match_boxes
from yocr.detector.checkpoint import DEFAULT_WEIGHTS, MODEL_YAML, load_checkpoint
from yocr.detector.predictor import Detector, inference_size, lineboxes_from_result
from yocr.errors import CheckpointError, YocrError

# --- post-processing --------------------------------------------------------------------------------------------


def test_merge_line_boxes_joins_a_line_and_its_piece_but_not_neighbours():
    boxes = np.array([
        [10, 10, 300, 30],  # a line
        [150, 12, 290, 31],  # a piece of it, found again
        [320, 10, 400, 30],  # the next cell of the row: apart
        [10, 40, 300, 60],  # the next row
    ], float)
    scores = np.array([0.9, 0.6, 0.8, 0.7])
    merged, s = merge_line_boxes(boxes, scores)
    assert len(merged) == 3
    assert [10, 10, 300, 31] in merged.tolist()
    assert 0.9 in s.tolist()


def test_merge_keeps_the_stacked_lines_of_a_slanted_page_apart():
    # a photographed page turned by 3 degrees: each 1,000-px line's box is 80 px tall, the lines 38 px apart, so
    # neighbours share 42 of their 80 px (the old rule, half the height, joined them all into one box)
    boxes = np.array([[100, 100 + 38 * i, 1100, 180 + 38 * i] for i in range(5)], float)
    merged, _ = merge_line_boxes(boxes, np.linspace(0.5, 0.9, 5))
    assert len(merged) == 5
    assert len(merge_line_boxes(boxes, np.linspace(0.5, 0.9, 5), duplicate_overlap=0.5)[0]) == 1
    merged, _ = merge_line_boxes(np.array([[100, 100, 1100, 180], [300, 102, 900, 178]], float), np.array([0.8, 0.6]))
    assert merged.tolist() == [[100, 100, 1100, 180]]  # a piece of the same line, found again


def test_large_pages_run_at_a_larger_size_unless_the_caller_chose_one(monkeypatch):
    sizes = []

    def record(image, size, *args):
        sizes.append(size)
        return np.zeros((0, 4)), np.zeros(0)

    det = Detector(runtime="onnx")  # the shipped weights, trained at 1280 px
    monkeypatch.setattr(det.yolo, "predict", record)
    det.raw(np.full((3000, 2200, 3), 255, np.uint8))  # a photo of a book page: small print
    det.raw(np.full((2000, 1414, 3), 255, np.uint8))  # a receipt scan
    assert sizes == [1920, 1280]
    chosen = Detector(imgsz=1280, runtime="onnx")
    monkeypatch.setattr(chosen.yolo, "predict", record)
    chosen.raw(np.full((3000, 2200, 3), 255, np.uint8))
    assert sizes[-1] == 1280


def _print(page: np.ndarray, scale: float, thickness: int) -> np.ndarray:
    """``page`` with rows of printed words, Hershey capitals and digits ``scale`` x 22 px high."""
    step = int(60 * scale)
    for y in range(step, page.shape[0] - step // 2, step):
        cv2.putText(page, "TOTAL 12.50 CASH 20.00", (40, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness)
    return page


def test_glyph_height_measures_the_print_and_scales_with_the_page():
    from yocr.detector.ink import glyph_height, rough_ink

    grey = cv2.cvtColor(_print(np.full((1600, 1000, 3), 255, np.uint8), 1.0, 2), cv2.COLOR_BGR2GRAY)
    height = glyph_height(rough_ink(grey))
    assert height is not None and 20 <= height <= 28  # capitals of FONT_HERSHEY_SIMPLEX at scale 1: 22 px + stroke
    double = glyph_height(rough_ink(cv2.resize(grey, (2000, 3200), interpolation=cv2.INTER_CUBIC)))
    assert double == pytest.approx(2 * height, rel=0.15)
    half = glyph_height(rough_ink(cv2.resize(grey, (500, 800), interpolation=cv2.INTER_AREA)), scale=0.5)
    assert half == pytest.approx(height, rel=0.15)  # measured on a shrunk copy, in page pixels
    assert glyph_height(rough_ink(np.full((1600, 1000), 255, np.uint8))) is None  # no print: no height


def test_right_size_shows_glyphs_at_their_height_but_never_enlarges():
    from yocr.detector.predictor import GLYPH_PX, RIGHT_SIZE_FLOOR, RIGHT_SIZE_GAIN, right_size

    assert (GLYPH_PX, RIGHT_SIZE_FLOOR, RIGHT_SIZE_GAIN) == (12, 640, 0.85)
    assert right_size(1000, 2000, 24, 1280) == 1024  # 2000 x 12 / 24 = 1000, up to the stride
    assert right_size(1000, 2000, 60, 1280) == 640  # not under the floor
    assert right_size(1000, 2000, 10, 1280) is None  # small print: the usual size
    assert right_size(1000, 2000, 20, 1280) is None  # 1,216 px: under 15 % smaller is not worth the change
    assert right_size(400, 500, 40, 1280) is None  # small page: already at its own size
    assert right_size(1000, 2000, None, 1280) is None


def _recording(det: Detector, monkeypatch, sizes: list, found: bool = True) -> None:
    """Both networks of ``det`` replaced by one that records the size it is run at and finds one box (or none)."""

    def record(image, size, *args):
        sizes.append(size)
        return (np.array([[40.0, 40.0, 600.0, 80.0]]), np.array([0.9])) if found else (np.zeros((0, 4)), np.zeros(0))

    for network in (det.yolo, det.fast):
        if network is not None:
            monkeypatch.setattr(network, "predict", record)


def test_documents_are_detected_at_their_right_size_and_scenes_again_at_the_usual_size(monkeypatch):
    from yocr.core.results import Detections
    from yocr.detector import predictor
    from yocr.detector.ink import glyph_height, rough_ink

    page = _print(np.full((2000, 1400, 3), 255, np.uint8), 1.6, 3)  # large print
    shrunk = cv2.resize(page, (980, 1400), interpolation=cv2.INTER_AREA)  # as the ink steps see it
    right = predictor.right_size(1400, 2000, glyph_height(rough_ink(shrunk), 0.7), 1280)
    assert right is not None and right < 1280
    made, views = [], []

    def counted(image):
        made.append(image.shape)
        return rough_ink(image)

    monkeypatch.setattr(predictor, "rough_ink", counted)
    sizes = []
    det = Detector()  # the shipped weights: the int8 copy reads documents first
    _recording(det, monkeypatch, sizes)

    def post(kind):
        def fake(page, boxes, scores, cut, view):
            views.append(view)
            return Detections([Detection(boxes[0], 0.9)], scene=kind == "scene")
        return fake

    monkeypatch.setattr(det, "_postprocess_page", post("document"))
    det.detect(page)
    assert sizes == [right] and made == [(1400, 980)]  # one pass at its right size; the page's ink made once
    monkeypatch.setattr(det, "_postprocess_page", post("scene"))
    det.detect(page)
    assert sizes == [right, right, 1280]  # a photo of a scene: again at the usual size
    assert views[-1] is not views[0] and len(made) == 2  # a new page, a new view
    nothing = Detector()
    _recording(nothing, monkeypatch, sizes, found=False)
    nothing.detect(page)
    assert sizes[-2:] == [right, 1280]  # nothing found at the right size: the usual size decides


def test_photos_of_scenes_keep_less_sure_boxes_and_documents_do_not(monkeypatch):
    from yocr.core.results import Detections
    from yocr.detector.predictor import SCENE_CONF_SHARE

    page = np.full((720, 1280, 3), 255, np.uint8)
    det = Detector()  # the shipped weights: an int8 copy for documents, the fp32 network for scenes
    boxes = np.array([[40.0, 40.0, 600.0, 80.0], [40.0, 400.0, 300.0, 440.0]])
    scores = np.array([0.9, 0.2])  # the second: a small plate, say
    asked, seen = [], []

    def network(first_finds: bool):
        def predict(image, size, conf, *args):
            asked.append(conf)
            keep = scores >= conf if (first_finds or len(asked) > 1) else np.zeros(2, bool)
            return boxes[keep].copy(), scores[keep].copy()
        return predict

    def post(scene_when):
        def fake(page, b, s, cut, view):
            seen.append(sorted(s.tolist()))
            return Detections([Detection(x, c) for x, c in zip(b, s)], scene=scene_when(s))
        return fake

    def detect(first_finds: bool, scene_when):
        asked.clear(), seen.clear()
        monkeypatch.setattr(det.fast, "predict", network(first_finds))
        monkeypatch.setattr(det.yolo, "predict", network(first_finds))
        monkeypatch.setattr(det, "_postprocess_page", post(scene_when))
        return det.detect(page)

    found = detect(True, lambda s: True)  # a scene: the fp32 pass keeps boxes down to 0.6 x the threshold
    assert asked == [det.conf, pytest.approx(det.conf * SCENE_CONF_SHARE)] and found.scene and len(found) == 2
    found = detect(True, lambda s: False)  # a document: one pass, the threshold's boxes
    assert asked == [det.conf] and not found.scene and [d.score for d in found] == [0.9]
    found = detect(False, lambda s: False)  # nothing found first, a document: the sure boxes alone
    assert seen == [[], [0.9]] and [d.score for d in found] == [0.9] and not found.scene
    found = detect(False, lambda s: len(s) > 0)  # nothing found first, a scene: the less sure boxes join
    assert seen == [[], [0.9], [0.2, 0.9]] and found.scene and len(found) == 2


@pytest.mark.parametrize("options", [dict(imgsz=1280), dict(tile=1024)])
def test_a_size_or_tiles_of_the_callers_turn_the_right_size_off(monkeypatch, options):
    page = _print(np.full((2000, 1400, 3), 255, np.uint8), 1.6, 3)
    sizes = []
    det = Detector(**options)
    _recording(det, monkeypatch, sizes, found=False)
    det.detect(page)
    assert sizes and all(size in (1024, 1280) for size in sizes)  # never a right size
    assert not Detector.from_yolo(object(), imgsz=640).right


def test_the_ink_mask_leaves_the_shared_rough_ink_as_it_was():
    from yocr.detector.ink import ink_mask, rough_ink

    grey = cv2.cvtColor(_print(np.full((600, 900, 3), 255, np.uint8), 1.0, 2), cv2.COLOR_BGR2GRAY)
    grey[300, 100] = 0  # a speck
    rough = rough_ink(grey)
    before = rough.ink.copy()
    for speck in (0, 2, 16):
        ink_mask(grey, speck, rough)[:] = 1
    np.testing.assert_array_equal(rough.ink, before)
    np.testing.assert_array_equal(ink_mask(grey, 4, rough), ink_mask(grey, 4))  # shared or made afresh: the same


def test_cut_boxes_of_neighbouring_tiles_are_stitched():
    boxes = np.array([[10, 10, 210, 30], [190, 11, 400, 31]], float)  # a line cut by a tile seam at x=200..210
    merged, _ = merge_line_boxes(boxes, np.array([0.5, 0.7]), cut=np.array([True, True]))
    assert merged.tolist() == [[10, 10, 400, 31]]
    merged, _ = merge_line_boxes(boxes, np.array([0.5, 0.7]))  # not flagged: 20 px of 200 is too little
    assert len(merged) == 2


def test_tiles_cover_the_page_and_flag_boxes_on_inner_borders():
    cover = np.zeros((700, 1000), bool)
    grid = tiles(1000, 700, 400, 0.2)
    for x0, y0, x1, y1 in grid:
        assert x1 - x0 <= 400 and y1 - y0 <= 400
        cover[y0:y1, x0:x1] = True
    assert cover.all()
    assert tiles(300, 200, 400) == [(0, 0, 300, 200)]
    flags = touches_inner_border(np.array([[0, 10, 50, 30], [350, 10, 400, 30]]), (0, 0, 400, 400), 1000, 700)
    assert flags.tolist() == [False, True]


def test_inference_size():
    assert inference_size(2000, 1000, 1280) == 1280
    assert inference_size(300, 500, 1280) == 512


class _FakeBoxes:
    def __init__(self, xyxy, conf):
        self.xyxy, self.conf = torch.tensor(xyxy, dtype=torch.float32), torch.tensor(conf, dtype=torch.float32)

    def __len__(self):
        return len(self.conf)


class _FakeResult:
    def __init__(self, xyxy, conf):
        self.boxes = _FakeBoxes(xyxy, conf)


def test_lineboxes_from_result_offsets_tiles():
    boxes, scores = lineboxes_from_result(_FakeResult([[1, 2, 3, 4]], [0.5]), offset=(10, 20))
    assert boxes.tolist() == [[11, 22, 13, 24]] and scores.tolist() == [0.5]
    boxes, scores = lineboxes_from_result(_FakeResult(np.zeros((0, 4)), []))
    assert boxes.shape == (0, 4) and scores.shape == (0,)


# --- benchmark --------------------------------------------------------------------------------------------------


def test_greedy_matching_is_one_to_one():
    truth = [(0, 0, 100, 20), (0, 30, 100, 50)]
    pred = [(0, 0, 100, 20), (2, 0, 100, 20), (0, 31, 100, 50), (500, 500, 600, 520)]
    pairs = match_boxes(pred, truth)
    assert sorted((p, t) for p, t, _ in pairs) == [(0, 0), (2, 1)]
    scores = DetectionScores()
    scores.add(pred, truth, 1.0)
    assert scores.precision == 0.5 and scores.recall == 1.0 and abs(scores.f1 - 2 / 3) < 1e-9
    assert match_boxes([], truth) == [] and match_boxes(pred, []) == []


class _OracleDetector:
    """Returns the row-merged truth of the one page it knows."""

    def __init__(self, lines):
        self.lines = lines

    def detect(self, image):
        return [Detection(b, 1.0) for b in self.lines]


def test_evaluate_detector_scores_against_row_merged_truth(tmp_path):
    image = tmp_path / "p.png"
    cv2.imwrite(str(image), np.full((100, 400, 3), 255, np.uint8))
    page = AnnotatedPage(image, (Region((10, 10, 60, 30), "QTY"), Region((70, 10, 120, 30), "2")))
    result = evaluate_detector(_OracleDetector([(10, 10, 120, 30)]), [page], "tiny")
    assert (result.precision, result.recall, result.pages) == (1.0, 1.0, 1)
    result = evaluate_detector(_OracleDetector([(10, 10, 60, 30), (70, 10, 120, 30)]), [page])
    assert result.recall == 0.0  # the cells, not the line


# --- checkpoints ------------------------------------------------------------------------------------------------


def test_missing_and_foreign_checkpoints_raise_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")
    foreign = tmp_path / "foreign.pt"
    torch.save({"model": "something else"}, foreign)
    with pytest.raises(CheckpointError, match="not a yocr detector checkpoint"):
        load_checkpoint(foreign)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="garbage.pt"):
        Detector(garbage)
    assert MODEL_YAML.is_file()
    if not DEFAULT_WEIGHTS.is_file():
        with pytest.raises(CheckpointError, match="yocr detector train"):
            Detector()


# --- a tiny detector, trained through the CLI for one epoch -----------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """3 synthetic pages, one epoch at imgsz 64 on the CPU (about 10-20 s)."""
    root = tmp_path_factory.mktemp("detector")
    synth_pages(root / "ds", SynthPagesConfig(count=3, seed=1, val_fraction=0.34, min_side=160, max_side=224))
    result = CliRunner().invoke(_cli(), [
        "detector", "train", "--data", str(root / "ds" / "data.yaml"), "--epochs", "1", "--imgsz", "64",
        "--batch", "2", "--workers", "0", "--device", "cpu", "--out", str(root / "runs"), "--name", "tiny",
        "--no-plots", "--mosaic", "0", "--weights-out", str(root / "yolo-lines.pt"),
    ])
    assert result.exit_code == 0, result.output
    return {"root": root, "weights": root / "yolo-lines.pt", "run": root / "runs" / "tiny"}


def test_training_writes_config_and_a_self_describing_checkpoint(trained):
    config = json.loads((trained["run"] / "config.json").read_text())
    assert config["epochs"] == 1 and config["ultralytics"]["amp"] is False
    ckpt = load_checkpoint(trained["weights"])
    assert ckpt["imgsz"] == 64 and ckpt["names"] == ["text_line"] and "nc: 1" in ckpt["yaml"]
    assert (trained["run"] / "yolo-lines.pt").is_file()


def test_an_oriented_box_model_fine_tunes_from_axis_aligned_weights(trained, tmp_path):
    """The OBB head's network is the detector's plus an angle branch: every other layer starts from the weights."""
    from yocr.detector import ultra

    obb_yaml = Path(__file__).resolve().parents[1] / "detector" / "yolo-lines-obb.yaml"
    assert ultra.yaml_task(obb_yaml.read_text()) == "obb" and ultra.yaml_task(MODEL_YAML.read_text()) == "detect"
    axis = ultra.model_from_checkpoint(load_checkpoint(trained["weights"]))
    oriented = ultra.build_model(obb_yaml)
    assert oriented.task == "obb"
    ultra.init_from(oriented, axis)
    mine, theirs = oriented.model.state_dict(), axis.model.state_dict()
    shared = [k for k in theirs if k in mine and mine[k].shape == theirs[k].shape]
    assert len(shared) == len(theirs) and all(torch.equal(mine[k], theirs[k]) for k in shared)
    assert any("cv4" in k for k in mine) and not any("cv4" in k for k in theirs)  # the angle branch is new


def test_scene_weights_must_be_an_oriented_detector_and_none_turns_them_off(trained):
    from yocr.detector.predictor import oriented_source

    with pytest.raises(YocrError, match="not an oriented-box"):
        oriented_source(str(trained["weights"]), default=False)
    assert oriented_source("none", default=True) is None
    assert oriented_source(None, default=False) is None  # another detector's weights: no shipped scene detector
    det = Detector(trained["weights"], scene_weights="none", runtime="torch")
    assert det.scene_source is None and det.oriented is None


def test_resume_refuses_a_finished_run_only_with_a_clear_error(trained, tmp_path):
    result = CliRunner().invoke(_cli(), ["detector", "train", "--data", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "none.yaml" in result.output
    result = CliRunner().invoke(_cli(), [
        "detector", "train", "--data", str(trained["root"] / "ds" / "data.yaml"), "--out", str(trained["root"] / "runs"),
        "--name", "tiny", "--epochs", "1", "--imgsz", "64",
    ])
    assert result.exit_code == 2 and "--resume" in result.output


def test_postprocess_clips_boxes_to_the_page_and_drops_those_outside_it():
    detector = Detector.from_yolo(object(), imgsz=640, snap=False)
    boxes = np.array([[-20, -5, 300, 50], [250, 10, 400, 60], [30, 100, 90, 120]], float)
    found = detector.postprocess(boxes, np.array([0.9, 0.8, 0.7]), np.zeros(3, bool), 240, 180)
    assert sorted(d.box for d in found) == [(0, 0, 240, 50), (30, 100, 90, 120)]


def test_detector_returns_line_boxes_inside_the_image(trained):
    image = np.full((180, 240, 3), 255, np.uint8)
    cv2.putText(image, "TOTAL 12.00", (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    for tile in (0, 96):
        detector = Detector(trained["weights"], conf=0.0001, tile=tile)
        lines = detector.detect(image)
        assert isinstance(lines, list)
        for ln in lines:
            assert isinstance(ln, Detection)
            assert 0 <= ln.score <= 1
            assert 0 <= ln.box.x0 < ln.box.x1 <= 240 and 0 <= ln.box.y0 < ln.box.y1 <= 180
    assert Detector(trained["weights"], conf=1.0).detect(image) == []  # no text found is a normal, empty result


def test_cli_detect_writes_json_and_overlays(trained, tmp_path):
    page = tmp_path / "page.png"
    cv2.imwrite(str(page), np.full((120, 160, 3), 240, np.uint8))
    out = tmp_path / "lines.json"
    result = CliRunner().invoke(_cli(), [
        "detect", str(page), "--weights", str(trained["weights"]), "--out", str(out), "--overlay",
        str(tmp_path / "overlay"), "--conf", "0.0001",
    ])
    assert result.exit_code == 0, result.output
    entries = json.loads(out.read_text())
    assert entries[0]["image"] == str(page) and entries[0]["width"] == 160
    assert all(0 <= line["score"] <= 1 for line in entries[0]["lines"])
    assert (tmp_path / "overlay" / "page.jpg").is_file()
    result = CliRunner().invoke(_cli(), ["detect", str(tmp_path / "missing.png"), "--weights", str(trained["weights"])])
    assert result.exit_code == 1 and "missing.png" in result.output
    result = CliRunner().invoke(_cli(), ["detect", str(page), "--weights", str(tmp_path / "none.pt")])
    assert result.exit_code == 2 and "none.pt" in result.output


def test_cli_detector_eval_on_a_tiny_benchmark(trained, tmp_path):
    data = tmp_path / "data"
    sroie = data / "sroie-train"
    (sroie / "img").mkdir(parents=True)
    (sroie / "box").mkdir()
    cv2.imwrite(str(sroie / "img" / "526.jpg"), np.full((100, 200, 3), 255, np.uint8))
    (sroie / "box" / "526.csv").write_text("10,10,60,10,60,30,10,30,QTY\n")
    cv2.imwrite(str(sroie / "img" / "001.jpg"), np.full((100, 200, 3), 255, np.uint8))  # a training receipt: unused
    (sroie / "box" / "001.csv").write_text("10,10,60,10,60,30,10,30,QTY\n")
    result = CliRunner().invoke(_cli(), [
        "detector", "eval", str(data), "--weights", str(trained["weights"]), "--json", str(tmp_path / "m.json"),
    ])
    assert result.exit_code == 0, result.output
    (figures,) = json.loads((tmp_path / "m.json").read_text())
    assert figures["name"] == "sroie" and figures["pages"] == 1 and figures["truths"] == 1
    assert 0 <= figures["f1"] <= 1 and figures["seconds_per_page"] >= 0


def test_snap_to_ink_restores_truncated_line_ends_only():
    from yocr.detector.ink import ink_mask, snap_to_ink

    page = np.full((120, 900, 3), 255, np.uint8)
    cv2.putText(page, "a long line of text across the page", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.putText(page, "label", (20, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.putText(page, "field", (135, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.line(page, (0, 90), (899, 90), (0, 0, 0), 1)  # a form's ruling line through the second row
    ink = ink_mask(page)
    long_line = [30, 15, 400, 50]  # the model's box stopped mid-line
    label = [15, 75, 112, 110]  # ends in the blank space before "field"
    (a, b) = snap_to_ink(np.array([long_line, label], float), ink)
    assert a[0] <= 22 and a[2] >= 481  # grown to both ends of the text (ink spans x 21..481)
    assert b[2] < 135  # not grown into the next field, nor along the ruling line


def test_snap_to_ink_takes_in_a_glyph_just_outside_the_box():
    from yocr.detector.ink import ink_mask, snap_to_ink

    page = np.full((70, 600, 3), 255, np.uint8)
    cv2.line(page, (50, 16), (50, 48), (0, 0, 0), 3)  # the stem of a first letter, just left of the box
    cv2.putText(page, "hank you", (62, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    (box,) = snap_to_ink(np.array([[57, 14, 220, 50]], float), ink_mask(page))
    assert box[0] <= 50  # the stem, 0.2 x the height beyond the edge, belongs to the line


def test_ink_mask_drops_scanner_specks_that_would_pull_a_box_into_the_margin():
    from yocr.detector.ink import ink_mask, snap_to_ink, speck_size

    page = np.full((80, 700, 3), 255, np.uint8)
    cv2.putText(page, "07 3823455", (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # ink x 21..188
    rng = np.random.default_rng(0)
    for x in range(206, 600, 14):  # a trail of one-pixel specks in the blank margin, closer together than a space
        page[rng.integers(28, 48), x] = 0
    box = np.array([[40, 20, 150, 56]], float)  # the model's box, a little short of the text at both ends
    assert speck_size(np.array([36.0, 30.0, 40.0])) == round((0.15 * 36) ** 2)
    noisy = snap_to_ink(box, ink_mask(page))[0]
    clean = snap_to_ink(box, ink_mask(page, speck=speck_size(np.array([36.0]))))[0]
    assert noisy[2] > 300  # the specks chain the box out along the margin (as far as its reach)...
    assert 186 <= clean[2] <= 192  # ...without them it ends at the text
    assert ink_mask(page, speck=4)[:, 206:600].sum() == 0


def test_split_at_gaps_cuts_a_box_only_at_gaps_wider_than_the_line_rule():
    from yocr.detector.ink import ink_mask, split_at_gaps

    page = np.full((70, 800, 3), 255, np.uint8)
    cv2.putText(page, "TOTAL", (20, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # ink x ~20..118, h ~30
    cv2.putText(page, "25.85", (300, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # far right: another segment
    cv2.putText(page, "Co Reg", (500, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # word spaces stay
    ink = ink_mask(page)
    boxes, scores = split_at_gaps(np.array([[15, 15, 420, 50], [495, 15, 620, 50]], float), np.array([0.9, 0.8]), ink)
    assert len(boxes) == 3 and scores.tolist() == [0.9, 0.9, 0.8]
    (a, b, c) = boxes
    assert a[0] == 15 and 110 <= a[2] <= 125  # outer edge kept, inner edge on the ink
    assert 295 <= b[0] <= 305 and b[2] == 420
    assert c.tolist() == [495, 15, 620, 50]
    none, _ = split_at_gaps(np.zeros((0, 4)), np.zeros(0), ink)
    assert none.shape == (0, 4)


def test_ink_mask_keeps_punctuation_next_to_a_word():
    from yocr.detector.ink import ink_mask

    page = np.full((60, 300, 3), 255, np.uint8)
    cv2.putText(page, "guests", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.rectangle(page, (108, 37), (110, 39), (0, 0, 0), -1)  # a 3 x 3 full stop, just after the s
    cv2.rectangle(page, (250, 37), (252, 39), (0, 0, 0), -1)  # the same blob alone in the margin
    ink = ink_mask(page, speck=16)
    assert ink[37:40, 108:111].all() and not ink[37:40, 250:253].any()


def test_split_at_gaps_threshold_is_the_blank_run_against_the_height():
    from yocr.detector.ink import split_at_gaps

    ink = np.zeros((40, 200), np.uint8)
    ink[8:24, 10:40] = 1
    ink[8:24, 73:100] = 1  # 33 blank columns before it: 1.1 x the height of 30, kept together
    ink[8:24, 139:160] = 1  # 39 blank columns: 1.3 x, cut
    boxes, _ = split_at_gaps(np.array([[5, 0, 170, 30]], float), np.array([0.5]), ink)
    assert boxes.tolist() == [[5, 0, 100, 30], [139, 0, 170, 30]]
    flat, _ = split_at_gaps(np.array([[5, 20, 170, 23]], float), np.array([0.5]), ink)  # too thin to judge
    assert flat.tolist() == [[5, 20, 170, 23]]
    with pytest.raises(ValueError):
        split_at_gaps(np.array([[5, 0, 170, 30]], float), np.array([0.5, 0.6]), ink)


def test_split_at_gaps_counts_the_ink_of_the_whole_box_height_before_cutting():
    from yocr.detector.ink import split_at_gaps

    ink = np.zeros((40, 200), np.uint8)
    ink[2:28, 10:14] = 1  # an L: its stem ...
    ink[25:28, 14:30] = 1  # ... and its foot, low in the row (outside the middle band)
    ink[2:6, 55:62] = 1  # the flag of a 1, high in the row
    ink[2:28, 62:66] = 1  # its stem: 48 blank columns in the middle band, 24 over the whole height
    boxes, _ = split_at_gaps(np.array([[5, 0, 100, 30]], float), np.array([0.5]), ink)
    assert boxes.tolist() == [[5, 0, 100, 30]]  # a word space, not a gap between segments
    ink[:] = 0
    ink[8:24, 10:40] = 1
    ink[25:28, 40:80] = 1  # ink low in the row (an underscore): its piece keeps it, the cut goes after it
    ink[8:24, 120:140] = 1
    boxes, _ = split_at_gaps(np.array([[5, 0, 150, 30]], float), np.array([0.5]), ink)
    assert boxes.tolist() == [[5, 0, 80, 30], [120, 0, 150, 30]]
    ink = np.zeros((40, 300), np.uint8)
    ink[8:24, 10:40] = 1
    ink[26:28, 120:123] = 1  # a stray mark low in a wide gap: a piece of its own, the words keep their edges
    ink[8:24, 240:260] = 1
    boxes, _ = split_at_gaps(np.array([[5, 0, 265, 30]], float), np.array([0.5]), ink)
    assert boxes.tolist() == [[5, 0, 40, 30], [120, 0, 123, 30], [240, 0, 265, 30]]


def test_dot_leaders_are_ink_and_keep_their_line_whole():
    from yocr.detector.ink import ink_mask, speck_size, split_at_gaps

    page = np.full((60, 700, 3), 255, np.uint8)
    cv2.putText(page, "Total", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # ink ~10..95
    for x in range(110, 560, 12):  # a dot leader of 3 x 3 dots
        cv2.rectangle(page, (x, 38), (x + 2, 40), (0, 0, 0), -1)
    cv2.putText(page, "25.85", (575, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    speck = speck_size(np.array([36.0]))
    ink = ink_mask(page, speck)
    assert ink[38:41, 302:305].all()  # a dot far from any glyph survives: it is in a leader
    boxes, _ = split_at_gaps(np.array([[8, 12, 665, 48]], float), np.array([0.9]), ink, band=0.0)
    assert len(boxes) == 1


def _receipt_row(width: int = 900) -> np.ndarray:
    """A white page with one receipt row: 'Coffee' boxed by the detector, a lone quantity '1' far to its right."""
    page = np.full((120, width, 3), 255, np.uint8)
    cv2.putText(page, "Coffee", (40, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # ink ~40..150, y ~50..77
    cv2.putText(page, "1", (400, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # ~8 x 22 px, 250 px away
    return page


def test_lone_segments_boxes_a_quantity_standing_alone_in_a_boxed_row():
    from yocr.detector.ink import ink_mask, lone_segments

    page = _receipt_row()
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    row = np.array([[36.0, 44.0, 156.0, 80.0]])  # the detector's box of "Coffee", 36 px high
    found = lone_segments(row, ink_mask(grey), grey)
    assert found.shape == (1, 4)
    x0, y0, x1, y1 = found[0]
    assert 395 <= x0 < 402 and 415 < x1 <= 426  # the "1" (~403..419) plus a little margin
    assert y1 - y0 == pytest.approx(36.0) and y0 < 50 and y1 > 70  # as tall as its row's box, around the glyph
    # nothing when no box is in its row, or when the segment is within the row rule's gap of the boxed line
    assert lone_segments(row + [0, 60, 0, 60], ink_mask(grey), grey).shape == (0, 4)
    assert lone_segments(np.zeros((0, 4)), ink_mask(grey), grey).shape == (0, 4)
    near = np.full((120, 900, 3), 255, np.uint8)
    cv2.putText(near, "Coffee", (40, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.putText(near, "1", (175, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # 25 px: < 1.0 x the height
    near_grey = cv2.cvtColor(near, cv2.COLOR_BGR2GRAY)
    assert lone_segments(row, ink_mask(near_grey), near_grey).shape == (0, 4)


def test_lone_segments_ignores_faint_marks_page_edges_and_vertical_text():
    from yocr.detector.ink import LoneRule, ink_mask, lone_segments

    row = np.array([[36.0, 44.0, 156.0, 80.0]])
    faint = _receipt_row()
    faint[40:90, 380:440][faint[40:90, 380:440] < 128] = 200  # the "1" faded to light grey (bleed-through)
    grey = cv2.cvtColor(faint, cv2.COLOR_BGR2GRAY)
    assert lone_segments(row, ink_mask(grey), grey).shape == (0, 4)

    edge = _receipt_row()
    edge[:, 410:] = 90  # the page ends at x = 410 and a dark table begins: the two sides of the "1" differ
    grey = cv2.cvtColor(edge, cv2.COLOR_BGR2GRAY)
    assert lone_segments(row, ink_mask(grey), grey).shape == (0, 4)

    stacked = _receipt_row()
    cv2.putText(stacked, "2", (400, 95), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # glyph right below: a column
    grey = cv2.cvtColor(stacked, cv2.COLOR_BGR2GRAY)
    assert lone_segments(row, ink_mask(grey), grey).shape == (0, 4)

    border = np.ascontiguousarray(_receipt_row()[:72])  # the scan ends just below the row: the "1" touches it
    grey = cv2.cvtColor(border, cv2.COLOR_BGR2GRAY)
    assert lone_segments(row, ink_mask(grey), grey).shape == (0, 4)
    assert lone_segments(row, ink_mask(grey), grey, LoneRule(border=-1)).shape == (1, 4)  # what the border test removes


def test_drop_blank_removes_boxes_without_ink_unless_the_page_shows_none():
    from yocr.detector.ink import drop_blank

    ink = np.zeros((100, 400), np.uint8)
    ink[10:30, 10:100:3] = 1  # a line of text: a third of its columns inked
    ink[50:70, 10:100:3] = 1
    ink[80:95, 300:380][::10, ::20] = 1  # eight dots of dust in a blank patch: 0.5 % of its box
    boxes = np.array([[8, 8, 102, 32], [8, 48, 102, 72], [298, 78, 382, 97]], float)
    kept, scores = drop_blank(boxes, np.array([0.9, 0.8, 0.3]), ink)
    assert kept.tolist() == boxes[:2].tolist() and scores.tolist() == [0.9, 0.8]
    # a low-contrast photo where the threshold finds (almost) no ink anywhere: every box stays
    faint = np.zeros_like(ink)
    assert len(drop_blank(boxes, np.array([0.9, 0.8, 0.3]), faint)[0]) == 3
    assert drop_blank(np.zeros((0, 4)), np.zeros(0), ink)[0].shape == (0, 4)


def test_lone_segments_needs_the_segment_apart_from_other_ink_and_keeps_boxes_on_the_page():
    from yocr.detector.ink import ink_mask, lone_segments

    row = np.array([[36.0, 44.0, 156.0, 80.0]])
    pair = _receipt_row()
    cv2.putText(pair, "kg", (440, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)  # unboxed word ~20 px after "1"
    grey = cv2.cvtColor(pair, cv2.COLOR_BGR2GRAY)
    assert lone_segments(row, ink_mask(grey), grey).shape == (0, 4)  # "1" and "kg" are one segment, too wide apart
    top = np.full((60, 900, 3), 255, np.uint8)  # a row at the very top: the box centred on the "1" would start above
    cv2.putText(top, "Coffee", (40, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.putText(top, "1", (400, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 2)  # ink y 6..29
    grey = cv2.cvtColor(top, cv2.COLOR_BGR2GRAY)
    found = lone_segments(np.array([[36.0, 0.0, 156.0, 40.0]]), ink_mask(grey), grey)
    assert found.shape == (1, 4) and found[0, 1] == 0.0 and found[0, 3] == pytest.approx(38.0)  # 17.5 +- 20, clipped
    with pytest.raises(ValueError, match="shape"):
        lone_segments(row, ink_mask(grey), top)


def test_detector_postprocess_adds_lone_segments_and_drops_blank_boxes_unless_switched_off():
    from yocr.detector.ink import ink_mask

    page = np.full((240, 900, 3), 255, np.uint8)
    page[:120] = _receipt_row()
    cv2.putText(page, "Tea", (40, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.putText(page, "Cake", (40, 190), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    ink = ink_mask(grey)
    # "Coffee", "Tea", "Cake", and a box over a blank patch
    boxes = np.array([[36, 44, 156, 80], [36, 104, 100, 140], [36, 164, 120, 200], [600, 150, 700, 170]], float)
    scores, cut = np.array([0.9, 0.8, 0.7, 0.4]), np.zeros(4, bool)
    detector = Detector.from_yolo(object(), imgsz=640)
    lines = detector.postprocess(boxes, scores, cut, 900, 240, ink, grey)
    assert sorted(round(line.box.x0) for line in lines) == [36, 36, 36, 399]  # the lone "1" in, the blank patch out
    assert max(lines, key=lambda line: line.box.x0).score == detector.conf
    plain = Detector.from_yolo(object(), imgsz=640, lone=False)
    assert len(plain.postprocess(boxes, scores, cut, 900, 240, ink, grey)) == 3
    assert len(plain.postprocess(boxes, scores, cut, 900, 240)) == 4  # no ink: no ink steps


def test_drop_blank_threshold_and_large_type():
    from yocr.detector.ink import drop_blank

    ink = np.zeros((400, 400), np.uint8)
    for top in (10, 50, 200, 250, 300):  # five ordinary lines, a third of their columns inked
        ink[top:top + 20, 10:100:3] = 1
    sparse = np.zeros(2000, np.uint8)
    sparse[::40] = 1
    ink[100:120, 10:110] = sparse.reshape(20, 100)  # 2.5 % of its pixels: kept
    sparse[:] = 0
    sparse[::66] = 1
    ink[150:170, 10:110] = sparse.reshape(20, 100)  # 1.6 %: dropped
    lines = [[10, top, 100, top + 20] for top in (10, 50, 200, 250, 300)]
    boxes = np.array(lines + [[10, 100, 110, 120], [10, 150, 110, 170], [200, 100, 300, 360]], float)
    kept, _ = drop_blank(boxes, np.ones(8), ink)  # the last box: large type whose stems ink_mask took for rules
    assert kept.tolist() == boxes[[0, 1, 2, 3, 4, 5, 7]].tolist()


@pytest.mark.parametrize("name, params", [("yolo-lines.yaml", 2_590_035), ("yolo-lines-v8.yaml", 3_011_043),
                                          ("yolo-lines-26.yaml", 2_504_190)])
def test_shipped_model_yamls_build_one_class_nano_models(name, params):
    from yocr.detector import ultra

    yolo = ultra.build_model(MODEL_YAML.parent / name)
    assert sum(p.numel() for p in yolo.model.parameters()) == params  # scale n, one class: no 80-class head
    assert yolo.model.yaml["nc"] == 1


def test_ink_steps_stand_aside_on_photos_of_scenes():
    from yocr.core.image import PageImage
    from yocr.detector.ink import SCENE_OUTSIDE, ink_mask, ink_outside

    document = np.full((240, 900, 3), 255, np.uint8)
    cv2.putText(document, "Tea 4.50", (40, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    word = np.array([[36, 100, 200, 140]], float)
    assert ink_outside(word, ink_mask(document)) < 0.1
    rng = np.random.default_rng(0)
    scene = cv2.resize(rng.integers(0, 255, (24, 90, 3), dtype=np.uint8), (900, 240), interpolation=cv2.INTER_NEAREST)
    scene[100:140, 36:200] = 255
    cv2.putText(scene, "Tea 4.50", (40, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    assert ink_outside(word, ink_mask(scene)) > SCENE_OUTSIDE
    assert ink_outside(word, np.zeros((240, 900), np.uint8)) == 0.0

    # on the scene the network's box stays as it is; on the document it is snapped to the ink
    detector = Detector.from_yolo(object(), imgsz=640)
    loose = np.array([[30, 95, 260, 145]], float)
    on_scene = detector._postprocess_page(PageImage(scene), loose, np.array([0.9]), np.zeros(1, bool))
    on_document = detector._postprocess_page(PageImage(document), loose, np.array([0.9]), np.zeros(1, bool))
    assert [d.box.xyxy for d in on_scene] == [(30.0, 95.0, 260.0, 145.0)]
    assert on_document[0].box.x1 < 240


def test_large_pages_get_the_ink_steps_on_a_shrunk_copy_with_boxes_in_page_pixels(monkeypatch):
    from yocr.detector import predictor

    if not predictor.DEFAULT_WEIGHTS.is_file():
        pytest.skip("no shipped detector weights")
    page = np.full((1100, 850, 3), 255, np.uint8)
    for k, text in enumerate(["INVOICE 1001", "TOTAL 12.50", "Thank you, come again"]):
        cv2.putText(page, text, (80, 150 + 110 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    # 4,400 px: shrunk for the ink steps. (Capitals under 1/40 of the page's long side, or their stems would count
    # as ruling lines at any scale: see ink.rule_span.)
    big = cv2.resize(page, (850 * 4, 1100 * 4), interpolation=cv2.INTER_CUBIC)
    det = predictor.Detector()
    shrunk = sorted((tuple(d.box) for d in det.detect(big)), key=lambda b: b[1])
    monkeypatch.setattr(predictor, "INK_MAX_SIDE", 10_000)  # the ink steps at full size
    full = sorted((tuple(d.box) for d in det.detect(big)), key=lambda b: b[1])
    assert len(shrunk) == len(full) == 3
    np.testing.assert_allclose(shrunk, full, atol=12)  # page pixels either way (a shrunk pixel is 2.2 of them)
    assert max(b[2] for b in shrunk) <= big.shape[1] and max(b[3] for b in shrunk) <= big.shape[0]


def _paragraph(missing: int = 3, rule: bool = False):
    """A white page of six printed lines, 40 px apart, and the detector's boxes of all but line ``missing``; with
    ``rule``, that line is a dashed rule instead of text."""
    page = np.full((320, 900, 3), 255, np.uint8)
    texts = ["the detector now and then", "skips one line of a long", "paragraph on a dense page",
             "and the ink shows it there", "between the lines it found", "above and below it all"]
    boxes = []
    for k, text in enumerate(texts):
        y = 60 + 40 * k
        if k == missing and rule:
            for x in range(40, 560, 24):
                cv2.line(page, (x, y - 8), (x + 12, y - 8), (0, 0, 0), 2)
        else:
            cv2.putText(page, text, (40, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
        if k != missing:
            width = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.9, 2)[0][0]
            boxes.append([34.0, y - 26.0, 46.0 + width, y + 8.0])
    return cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), np.array(boxes)


def test_lost_lines_boxes_a_line_the_detector_skipped_between_others():
    from yocr.detector.ink import ink_mask, lost_lines

    grey, boxes = _paragraph()
    found = lost_lines(boxes, ink_mask(grey), grey)
    assert found.shape == (1, 4)
    x0, y0, x1, y1 = found[0]
    cols = np.nonzero((grey[160:185] < 128).any(axis=0))[0]  # the skipped line's ink (baseline at y = 180)
    assert x0 < cols[0] and x1 > cols[-1]  # the whole line, not a piece of it
    assert y0 < 160 and y1 > 180  # around its glyphs
    assert y1 - y0 == pytest.approx(np.median(boxes[:, 3] - boxes[:, 1]))
    assert lost_lines(boxes, ink_mask(grey), grey).tolist() == found.tolist()
    # all lines boxed: nothing to add; a dashed rule where the line was: not text
    full, every = _paragraph(missing=-1)
    assert lost_lines(every, ink_mask(full), full).shape == (0, 4)
    dashed, around = _paragraph(rule=True)
    assert lost_lines(around, ink_mask(dashed), dashed).shape == (0, 4)
    assert lost_lines(np.zeros((0, 4)), ink_mask(grey), grey).shape == (0, 4)  # no line found: no column to look in
    with pytest.raises(ValueError, match="differ in shape"):
        lost_lines(boxes, ink_mask(grey), grey[:-1])


def test_lost_lines_takes_a_skipped_paragraph_but_not_text_standing_apart():
    from yocr.detector.ink import ink_mask, lost_lines

    grey, boxes = _paragraph()
    first = boxes[:1]  # only the first line boxed: the five below it are taken one from the next
    found = lost_lines(first, ink_mask(grey), grey)
    centres = sorted((found[:, 1] + found[:, 3]) / 2)
    assert len(found) == 5 and all(abs(c - (60 + 40 * k - 9)) < 8 for c, k in zip(centres, range(1, 6)))
    narrow = boxes.copy()
    narrow[:, 2] = narrow[:, 0] + 60  # boxes spanning a tenth of the line's width: not its column
    assert lost_lines(narrow, ink_mask(grey), grey).shape == (0, 4)
    page = np.full((400, 900, 3), 255, np.uint8)
    for k, text in enumerate(["three lines of a paragraph", "all of them found by the", "detector, then far below"]):
        cv2.putText(page, text, (40, 60 + 40 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    cv2.putText(page, "a caption standing apart", (40, 330), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    apart = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    rows = np.array([[34.0, 34.0 + 40 * k, 520.0, 68.0 + 40 * k] for k in range(3)])
    assert lost_lines(rows, ink_mask(apart), apart).shape == (0, 4)  # 150 px below the last line: not among them


def test_banded_blobs_are_the_short_wide_blobs_of_the_whole_mask():
    from yocr.detector.ink import _banded_blobs, components

    rng = np.random.default_rng(3)
    for k in range(80):
        rows = 300 if k < 20 else int(rng.integers(3, 80))  # short masks too: a label of two lines
        tallest = 20 if k < 40 else int(rng.integers(1, 25))
        mask = np.zeros((rows, 400), np.uint8)
        for _ in range(12):  # bars of every size: short and wide ones sought, tall ones (columns, drawings) not
            x, y = rng.integers(0, 380), rng.integers(0, rows)
            mask[y:y + rng.integers(2, 60), x:x + rng.integers(3, 200)] = 1
        count, _, stats, _ = components(mask)
        stats = stats[1:count]
        heavy = np.count_nonzero(mask, axis=1) >= 40  # rows of the mask with 40 pixels or more
        wanted = {tuple(s) for s in stats if s[3] <= tallest and heavy[s[1]:s[1] + s[3]].any()}
        got = {tuple(s) for s in _banded_blobs(mask, 40, tallest)}
        assert wanted <= got <= {tuple(s) for s in stats}  # every blob sought, and whole blobs only (none cut short)
    short = np.zeros((7, 200), np.uint8)  # a mask shorter than the band around its rows (a small label)
    short[1:7, 162:200] = 1
    short[6, 53:105] = 1  # row 6 has 90 pixels: the blob at the right crosses it
    assert (162, 1, 38, 6, 228) in {tuple(s) for s in _banded_blobs(short, 40, 16)}
