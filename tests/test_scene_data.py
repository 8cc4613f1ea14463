"""Scene-text data for the recognizer: quad/plate/word converters with their fixed splits, scene-style synthetic
lines, the extended charset and fine-tuning onto a new alphabet."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from yocr.data.labels import read_labels
from yocr.data.scene import PLATE_BANDS, funsd_word_crops, ic15_crops, plate_crops, read_quads, rectify, word_crops
from yocr.data.synth_lines import SynthLinesConfig, contact_sheet, synth_lines
from yocr.errors import YocrError
from yocr.core.alphabet import EXTENDED, EXTRA_LETTERS, EXTRA_SYMBOLS, PRINTABLE_ASCII
from yocr.recognizer.charset import Charset

from yocr.core.geometry import order_quad
from yocr.core.image import PageImage
from yocr.core.results import Detection, Detections
from yocr.pipeline.crop import line_crops_with_transforms
from yocr.pipeline.order import merge_overlapping

from conftest import render_line


def _slanted_word(text: str, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """A photo-like image with ``text`` rotated by ``angle`` degrees, and the word's quad (clockwise from top-left)."""
    line = cv2.cvtColor(render_line(text, size=28, pad=2), cv2.COLOR_GRAY2BGR)
    h, w = line.shape[:2]
    canvas = np.full((300, 400, 3), 255, np.uint8)
    canvas[130 : 130 + h, 120 : 120 + w] = line
    m = cv2.getRotationMatrix2D((200.0, 150.0), angle, 1.0)
    image = cv2.warpAffine(canvas, m, (400, 300), borderValue=(255, 255, 255))
    quad = np.array([[120, 130], [120 + w, 130], [120 + w, 130 + h], [120, 130 + h]], np.float32)
    return image, (np.c_[quad, np.ones(4)] @ m.T).astype(np.float32)


def test_quads_parse_with_bom_and_commas_in_the_text(tmp_path):
    gt = tmp_path / "gt_img_1.txt"
    gt.write_text("\ufeff1,2,30,2,30,20,1,20,Hello, world\n5,5,9,5,9,9,5,9,###\n", encoding="utf-8")
    quads = read_quads(gt)
    assert [q.text for q in quads] == ["Hello, world", "###"]
    assert [q.legible for q in quads] == [True, False]
    assert quads[0].points.shape == (4, 2)


def test_rectify_turns_a_slanted_word_into_a_horizontal_crop_of_just_that_word():
    image, quad = _slanted_word("SLANTED", 20.0)
    crop = rectify(image, quad, margin=0.0)
    reference = render_line("SLANTED", size=28, pad=2)
    assert abs(crop.shape[0] - reference.shape[0]) <= 2 and abs(crop.shape[1] - reference.shape[1]) <= 2
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    ink_rows = np.flatnonzero((grey < 128).any(axis=1))
    assert ink_rows.size and ink_rows[-1] - ink_rows[0] < 0.9 * grey.shape[0] + 2  # one line, not a diagonal band
    resized = cv2.resize(reference, (grey.shape[1], grey.shape[0]))
    assert np.corrcoef(resized.ravel().astype(float), grey.ravel().astype(float))[0, 1] > 0.6


def _ic15_folder(root: Path) -> Path:
    (root / "img").mkdir(parents=True)
    (root / "gt").mkdir()
    for n in (1, 2, 901):
        image, quad = _slanted_word(f"W{n}", 5.0)
        cv2.imwrite(str(root / "img" / f"img_{n}.jpg"), image)
        coords = ",".join(str(int(v)) for v in quad.ravel())
        (root / "gt" / f"gt_img_{n}.txt").write_text(f"{coords},W{n}\n{coords},###\n", encoding="utf-8")
    return root


def test_ic15_crops_keep_the_fixed_split_and_skip_dont_care(tmp_path):
    root = _ic15_folder(tmp_path / "ic15")
    assert ic15_crops(root, tmp_path / "train", "train") == 2
    assert ic15_crops(root, tmp_path / "val", "val") == 1
    samples, problems = read_labels(tmp_path / "val" / "labels.txt")
    assert [s.label for s in samples] == ["W901"] and problems == []
    assert {s.label for s in read_labels(tmp_path / "train" / "labels.txt")[0]} == {"W1", "W2"}


def test_word_and_plate_crops_split_every_tenth_and_fifth(tmp_path):
    words = tmp_path / "words"
    (words / "iiit5k").mkdir(parents=True)
    rows = []
    for n in range(1, 21):
        cv2.imwrite(str(words / "iiit5k" / f"{n}.jpg"), render_line(f"w{n}"))
        rows.append(f"iiit5k/{n}.jpg\tw{n}")
    (words / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert word_crops(words, tmp_path / "wv", "val") == 2
    assert [s.label for s in read_labels(tmp_path / "wv" / "labels.txt")[0]] == ["w10", "w20"]
    assert word_crops(words, tmp_path / "wt", "train") == 18

    plates = tmp_path / "plates"
    plates.mkdir()
    for n in range(10):
        photo = np.full((120, 200, 3), 90, np.uint8)
        photo[40:80, 50:150] = cv2.cvtColor(cv2.resize(render_line(f"AB{n}CD"), (100, 40)), cv2.COLOR_GRAY2BGR)
        cv2.imwrite(str(plates / f"car{n}.jpg"), photo)
        (plates / f"car{n}.txt").write_text(f"car{n}.jpg\t50\t40\t100\t40\tAB{n}CD\n")
    assert plate_crops(plates, tmp_path / "pv", "val") == 2
    samples = read_labels(tmp_path / "pv" / "labels.txt")[0]
    assert [s.label for s in samples] == ["AB4CD", "AB9CD"]
    crop = cv2.imread(str(samples[0].path))
    assert crop.shape[:2] == (48, 108)  # the box grown by 0.1 x its height on every side
    assert plate_crops(plates, tmp_path / "pb", "val", bands=True) == 2 * (1 + len(PLATE_BANDS))
    banded = read_labels(tmp_path / "pb" / "labels.txt")[0]
    assert [s.label for s in banded[: 1 + len(PLATE_BANDS)]] == ["AB4CD"] * (1 + len(PLATE_BANDS))
    assert cv2.imread(str(banded[3].path)).shape[:2] == (int(0.8 * 48) - int(0.2 * 48), 108)  # PLATE_BANDS[2]


def test_funsd_word_crops_hold_out_the_last_30_forms(tmp_path):
    root = tmp_path / "funsd"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    for n in range(32):
        cv2.imwrite(str(root / "images" / f"f{n:02d}.png"), np.full((100, 200, 3), 255, np.uint8))
        form = {"form": [{"words": [{"box": [10, 10, 60, 30], "text": f"w{n}"}, {"box": [0, 0, 5, 5], "text": ""}]}]}
        (root / "annotations" / f"f{n:02d}.json").write_text(json.dumps(form))
    assert funsd_word_crops(root, tmp_path / "t", "train") == 2
    assert funsd_word_crops(root, tmp_path / "v", "val") == 30


def test_extended_charset_round_trips_its_new_characters():
    charset = Charset.extended()
    assert charset.chars.startswith(PRINTABLE_ASCII) and len(set(EXTENDED)) == len(EXTENDED)
    for text in ("café “Noël” – 25°C", "€12.50 £3 ¥400", "Zürich ½ × ÷ § ¶ ™ ® © …", "ÉCOLE SEÑOR ß"):
        assert charset.decode_indices(charset.encode(text)) == text
    assert all(c in charset for c in EXTRA_SYMBOLS + EXTRA_LETTERS)


@pytest.fixture(scope="module")
def scene_lines(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scene")
    cfg = SynthLinesConfig(count=60, seed=3, charset=EXTENDED, scene=0.5, workers=1)
    synth_lines(out, cfg, corpus=["TOTAL 12.50", "Café Noël"])
    return out


def test_scene_synth_lines_pair_every_image_with_an_encodable_label(scene_lines):
    samples, problems = read_labels(scene_lines / "labels.txt")
    assert len(samples) == 60 and problems == []
    charset = Charset.extended()
    for s in samples:
        assert s.label.strip() == s.label and s.label and not charset.unknown(s.label)
        image = cv2.imread(str(s.path))
        assert image is not None and image.shape[0] >= 4 and image.shape[1] >= 4
    assert any(ord(c) > 126 for s in samples for c in s.label), "the extended characters are generated"


def test_scene_synth_lines_are_deterministic_for_a_seed(scene_lines, tmp_path):
    again = tmp_path / "again"
    synth_lines(again, SynthLinesConfig(count=60, seed=3, charset=EXTENDED, scene=0.5, workers=2),
                corpus=["TOTAL 12.50", "Café Noël"])
    assert (again / "labels.txt").read_text() == (scene_lines / "labels.txt").read_text()
    for name in ("0000000.jpg", "0000031.jpg", "0000059.jpg"):
        a = cv2.imread(str(again / "images" / name))
        b = cv2.imread(str(scene_lines / "images" / name))
        assert a.shape == b.shape and np.array_equal(a, b)


def test_contact_sheet_shows_the_lines(scene_lines, tmp_path):
    sheet = contact_sheet(scene_lines / "labels.txt", tmp_path / "sheet.png", count=10)
    image = cv2.imread(str(sheet))
    assert image.shape[0] == 10 * 44 and image.shape[1] == 640


def test_fine_tuning_onto_a_larger_alphabet_keeps_the_shared_characters():
    from yocr.recognizer.model import CRNN
    from yocr.recognizer.train import load_init_weights

    old, new = Charset.default(), Charset.extended()
    torch.manual_seed(0)
    old_model, new_model = CRNN(old.num_classes), CRNN(new.num_classes)
    load_init_weights(new_model, new, old_model, old)
    for c in "aZ7 $":
        assert torch.equal(new_model.head.weight[new.encode(c)[0]], old_model.head.weight[old.encode(c)[0]])
    assert torch.equal(new_model.head.weight[new.blank], old_model.head.weight[old.blank])
    assert torch.equal(new_model.rnn.weight_hh_l0, old_model.rnn.weight_hh_l0)
    x = torch.rand(1, 1, 32, 64)
    old_model.eval(), new_model.eval()
    shared = [old.encode(c)[0] for c in PRINTABLE_ASCII]
    assert torch.allclose(old_model(x)[..., [0] + shared], new_model(x)[..., [0] + [new.encode(c)[0] for c in PRINTABLE_ASCII]])


def test_oversample_repeats_a_sources_samples(line_folder, tmp_path):
    from yocr.recognizer.config import TrainConfig
    from yocr.recognizer.train import load_samples

    labels = str(line_folder / "labels.txt")
    cfg = TrainConfig(train=[labels], val=[labels], oversample=[f"{labels}=3"])
    train, val, _ = load_samples(cfg)
    assert len(train) == 18 and len(val) == 6
    with pytest.raises(YocrError, match="--oversample"):
        TrainConfig(train=[labels], oversample=[f"{labels}=zero"])


def test_line_store_round_trips_and_trains_like_loose_files(tmp_path):
    from yocr.data.line_store import LineStore, is_store
    from yocr.recognizer.dataset import LineDataset, image_widths

    cfg = SynthLinesConfig(count=40, seed=4, charset=EXTENDED, scene=0.5, workers=2)
    n = synth_lines(tmp_path / "store", cfg, corpus=["Café Noël"], store=True)
    synth_lines(tmp_path / "files", SynthLinesConfig(count=40, seed=4, charset=EXTENDED, scene=0.5, workers=1),
                corpus=["Café Noël"])
    assert n == 40 and is_store(tmp_path / "store") and not (tmp_path / "store" / "images").exists()
    stored, problems = read_labels(tmp_path / "store")
    loose, _ = read_labels(tmp_path / "files" / "labels.txt")
    assert problems == [] and [s.label for s in stored] == [s.label for s in loose]
    store = LineStore(tmp_path / "store")
    for i in (0, 17, 39):
        a = store.image(i, cv2.IMREAD_COLOR)
        b = cv2.imread(str(loose[i].path))
        assert a.shape == b.shape and np.array_equal(a, b)  # the same JPEG bytes
        assert store.size(i) == (b.shape[1], b.shape[0])
    assert np.array_equal(image_widths(stored, 32), image_widths(loose, 32))
    ds = LineDataset(stored, Charset.extended(), 32, 512, augment=False)
    x, target, _, _ = ds[5]
    assert x.shape[0] == 32 and Charset.extended().decode_indices(target) == stored[5].label


def test_line_store_at_the_input_height_holds_grey_lines_of_the_same_labels(tmp_path):
    from yocr.data.line_store import LineStore

    cfg = SynthLinesConfig(count=12, seed=4, charset=EXTENDED, scene=0.5, workers=1, store_height=32)
    synth_lines(tmp_path / "small", cfg, corpus=["Café Noël"], store=True)
    synth_lines(tmp_path / "full", SynthLinesConfig(count=12, seed=4, charset=EXTENDED, scene=0.5, workers=1),
                corpus=["Café Noël"], store=True)
    small, full = LineStore(tmp_path / "small"), LineStore(tmp_path / "full")
    assert read_labels(tmp_path / "small")[0] and [s.label for s in read_labels(tmp_path / "small")[0]] == [
        s.label for s in read_labels(tmp_path / "full")[0]]
    for i in range(12):
        w, h = full.size(i)
        image = small.image(i, cv2.IMREAD_UNCHANGED)
        assert image.ndim == 2 and image.shape[0] == 32 and small.size(i) == (image.shape[1], 32)
        assert abs(image.shape[1] - w * 32 / h) <= 1  # the rendered line's proportions
    assert (tmp_path / "small" / "lines.bin").stat().st_size < (tmp_path / "full" / "lines.bin").stat().st_size / 2
    with pytest.raises(YocrError, match="--height"):
        SynthLinesConfig(store_height=4)


def test_bench_lines_alnum_protocol_ignores_punctuation_and_spaces(tmp_path):
    from yocr.bench.lines import LinesBenchConfig, alnum_only, bench_lines

    assert alnum_only("Café, Noël!  No.5") == "CaféNoëlNo5"
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "0.png"), render_line("TOTAL 12.50"))
    (tmp_path / "labels.txt").write_text("0.png TOTAL: 12,50!\n")
    strict = bench_lines(LinesBenchConfig(labels=(tmp_path / "labels.txt",), out=tmp_path / "a", engines=("crnn",)))[0]
    scene = bench_lines(LinesBenchConfig(labels=(tmp_path / "labels.txt",), out=tmp_path / "b", engines=("crnn",),
                                         alnum=True))[0]
    assert strict.accuracy == 0.0 and scene.accuracy == 1.0


def test_average_of_a_model_and_its_fine_tuned_descendant(tmp_path):
    from yocr.recognizer import checkpoint
    from yocr.recognizer.model import CRNN
    from yocr.recognizer.train import average_weights

    torch.manual_seed(1)
    old, new = Charset.default(), Charset.extended()
    base, tuned = CRNN(old.num_classes), CRNN(new.num_classes)
    checkpoint.save(tmp_path / "base.pt", base, old)
    checkpoint.save(tmp_path / "tuned.pt", tuned, new)
    average_weights(tmp_path / "base.pt", tmp_path / "tuned.pt", 0.25, tmp_path / "avg.pt")
    model, charset, meta = checkpoint.load(tmp_path / "avg.pt")
    assert charset == new and meta["average"]["base_share"] == 0.25
    w = model.rnn.weight_hh_l0
    assert torch.allclose(w, 0.25 * base.rnn.weight_hh_l0 + 0.75 * tuned.rnn.weight_hh_l0, atol=1e-6)
    a, e = new.encode("a")[0], new.encode("é")[0]
    assert torch.allclose(model.head.weight[a], 0.25 * base.head.weight[old.encode("a")[0]] + 0.75 * tuned.head.weight[a], atol=1e-6)
    assert torch.allclose(model.head.weight[e], tuned.head.weight[e])
    with pytest.raises(Exception, match="base-share"):
        average_weights(tmp_path / "base.pt", tmp_path / "tuned.pt", 1.5, tmp_path / "bad.pt")


def test_labels_from_names_in_another_folder_read_back(tmp_path, monkeypatch):
    from yocr.data.labels import labels_from_filenames

    data, runs = tmp_path / "shared" / "captcha", tmp_path / "work" / "runs"
    data.mkdir(parents=True)
    (tmp_path / "work").mkdir()
    cv2.imwrite(str(data / "2b827.png"), render_line("2b827"))
    monkeypatch.chdir(tmp_path / "work")
    n, _ = labels_from_filenames(Path("../shared/captcha"), Path("runs/labels.txt"))
    samples, problems = read_labels(runs / "labels.txt")
    assert n == 1 and problems == [] and [s.label for s in samples] == ["2b827"] and samples[0].path.is_file()


def test_plate_boxes_outside_the_photo_are_skipped(tmp_path):
    plates = tmp_path / "plates"
    plates.mkdir()
    for n in range(5):
        cv2.imwrite(str(plates / f"car{n}.jpg"), np.full((120, 200, 3), 90, np.uint8))
        box = "500\t40\t100\t40" if n == 4 else "50\t40\t100\t40"  # car4 (validation): the box lies off the photo
        (plates / f"car{n}.txt").write_text(f"car{n}.jpg\t{box}\tAB{n}CD\n")
    assert plate_crops(plates, tmp_path / "pv", "val", bands=True) == 0
    assert plate_crops(plates, tmp_path / "pt", "train", bands=True) == 4 * (1 + len(PLATE_BANDS))


def test_a_rotated_boxs_corners_are_ordered_from_the_texts_top_left():
    _, quad = _slanted_word("SLANTED", 20.0)
    for start in range(4):
        for corners in (np.roll(quad, start, axis=0), np.roll(quad, start, axis=0)[::-1]):
            assert np.allclose(order_quad(corners), quad)


def test_a_slanted_line_found_as_a_quad_gives_one_horizontal_crop_of_just_that_line():
    image, quad = _slanted_word("SLANTED", 15.0)
    below = np.c_[quad[:, 0] - 10, quad[:, 1] + 42]  # a second slanted line under the first, close to it
    shift = np.float32([[1, 0, -10], [0, 1, 42]])
    image = np.minimum(image, cv2.warpAffine(image, shift, (400, 300), borderValue=(255, 255, 255)))
    boxes = [tuple(q.min(axis=0)) + tuple(q.max(axis=0)) for q in (quad, below)]
    (crop, matrix), (crop2, _) = line_crops_with_transforms(image, boxes, quads=[quad, below])
    for piece in (crop, crop2):
        grey = cv2.cvtColor(piece, cv2.COLOR_BGR2GRAY)
        ink_rows = np.flatnonzero((grey < 128).any(axis=1))
        assert piece.shape[1] > 3 * piece.shape[0]  # horizontal
        assert ink_rows.size and ink_rows[-1] - ink_rows[0] < 0.85 * grey.shape[0]  # one line, no neighbour
    # the crop's corners map back onto the quad grown by the margin: words found in the crop land on the page
    h, w = crop.shape[:2]
    back = np.c_[np.float64([[0, 0], [w, 0], [w, h], [0, h]]), np.ones(4)] @ matrix.T
    centre = quad.mean(axis=0)
    assert np.allclose(back.mean(axis=0), centre, atol=2.0)
    assert np.all(np.linalg.norm(back - centre, axis=1) > np.linalg.norm(quad - centre, axis=1))


def test_oriented_detections_keep_their_quads_apart_in_a_row():
    a = Detection((10, 10, 60, 40), 0.9, quad=((10, 20), (60, 10), (60, 30), (10, 40)))
    b = Detection((50, 10, 100, 40), 0.9, quad=((50, 20), (100, 10), (100, 30), (50, 40)))
    assert merge_overlapping([a, b]) == [a, b]
    assert len(merge_overlapping([Detection(a.box, 0.9), Detection(b.box, 0.9)])) == 1  # boxes alone: read twice


def test_the_oriented_detector_gives_quads_ordered_and_clipped_to_the_page(monkeypatch):
    from types import SimpleNamespace

    from yocr.detector import predictor

    det = predictor.Detector.__new__(predictor.Detector)
    det.imgsz, det.conf, det.iou, det.device, det.max_det, det.timings = 640, 0.25, 0.5, "cpu", 100, {}
    det.scene_source, det._oriented = Path("m.pt"), "m"
    corners = torch.tensor([[[90.0, 60.0], [10.0, 60.0], [10.0, 40.0], [90.0, 40.0]],   # any order
                            [[-20.0, 5.0], [30.0, 5.0], [30.0, 15.0], [-20.0, 15.0]],  # partly off the page
                            [[50.0, 70.0], [60.0, 70.0], [60.0, 95.0], [50.0, 95.0]]])  # upright, taller than wide
    seen = {}

    class Boxes(SimpleNamespace):  # ultralytics' OBB results: corners and scores, and a length
        def __len__(self) -> int:
            return len(self.conf)

    def predict(model, images, imgsz, conf, iou, device, max_det):
        seen.update(model=model, imgsz=imgsz, conf=conf)
        return [SimpleNamespace(obb=Boxes(xyxyxyxy=corners, conf=torch.tensor([0.8, 0.3, 0.5])))]

    monkeypatch.setattr(predictor.ultra, "predict", predict)
    found = det.detect_oriented(PageImage(np.full((100, 120, 3), 255, np.uint8)))
    assert found.scene and seen["model"] == "m" and seen["conf"] < 0.25  # scenes keep less sure boxes
    assert found[0].quad == ((10.0, 40.0), (90.0, 40.0), (90.0, 60.0), (10.0, 60.0))
    assert tuple(found[0].box) == (10.0, 40.0, 90.0, 60.0)
    assert tuple(found[1].box) == (0.0, 5.0, 30.0, 15.0) and found[1].quad[0] == (-20.0, 5.0)  # quad unclipped
    assert found[2].quad is None and tuple(found[2].box) == (50.0, 70.0, 60.0, 95.0)  # cut as a box, not on its side


def test_boxy_boxes_of_a_scene_take_the_place_of_the_quads_inside_them():
    from yocr.detector.predictor import with_boxy

    plate = Detection((100, 100, 180, 140), 0.8)  # 2:1, 40 px high: a plate
    sign = Detection((0, 0, 300, 30), 0.8)  # a long line: not boxy
    inside = Detection((105, 105, 175, 135), 0.7, quad=((105, 105), (175, 105), (175, 135), (105, 135)))
    word = Detection((10, 60, 60, 80), 0.7, quad=((10, 62), (60, 60), (60, 78), (10, 80)))
    kept = with_boxy(Detections([inside, word], scene=True), Detections([plate, sign], scene=True))
    assert kept.scene and kept == [plate, word]
    assert with_boxy(Detections([inside, word], scene=True), Detections([sign])) == [inside, word]
