"""The CRNN recognizer: charset, CTC decoding, the model's shapes, training, reading and the shipped weights."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from yocr.errors import CheckpointError, LabelError, YocrError
from yocr.recognizer import checkpoint
from yocr.core.alphabet import PRINTABLE_ASCII
from yocr.recognizer.charset import MISSED_WEIGHT, Charset, missed_risk
from yocr.recognizer.config import ModelConfig, TrainConfig
from yocr.recognizer.model import CRNN
from yocr.recognizer.preprocess import WIDTH_STRIDE, percentiles
from yocr.recognizer.predictor import Recognizer
from yocr.recognizer.train import CaseBlindCTC, train

from conftest import render_line

GOLDEN = Path(__file__).parent / "golden" / "lines"


# --- charset ------------------------------------------------------------------------------------------------------


def test_default_charset_is_printable_ascii_without_duplicates():
    cs = Charset.default()
    assert cs.chars == PRINTABLE_ASCII and len(set(cs.chars)) == 95
    assert cs.num_classes == 96 and cs.blank == 0
    assert " " in cs and "a" in cs and "A" in cs


@pytest.mark.parametrize("text", ["Hello, World!", "null", "NA", "nan", "None", " ~{}|", "RM 12.50"])
def test_encode_decode_round_trip(text):
    cs = Charset.default()
    assert cs.decode_indices(cs.encode(text)) == text


def test_encode_names_unknown_characters():
    with pytest.raises(LabelError, match="'é☐'"):
        Charset.default().encode("café ☐")


def test_duplicate_characters_rejected():
    with pytest.raises(LabelError, match="duplicate"):
        Charset("abca")


def test_charset_from_labels_is_sorted_and_unique():
    assert Charset.from_labels(["bca", "ab2"]).chars == "2abc"


# --- CTC decoding -------------------------------------------------------------------------------------------------


def _probs(cs: Charset, path: list[str], p: float = 0.9) -> np.ndarray:
    """Per-step probabilities whose best class follows ``path`` ('' is the blank)."""
    probs = np.full((len(path), cs.num_classes), (1 - p) / (cs.num_classes - 1))
    for t, c in enumerate(path):
        probs[t, cs.encode(c)[0] if c else cs.blank] = p
    return probs


def test_greedy_decoding_collapses_repeats_and_drops_blanks():
    cs = Charset("abl")
    text, conf = cs.ctc_greedy(_probs(cs, ["", "b", "b", "", "a", "l", "", "l", "l"]))
    assert text == "ball"
    assert conf == pytest.approx(0.9)


def test_greedy_decoding_of_all_blanks_is_empty_with_bounded_confidence():
    cs = Charset("ab")
    text, conf = cs.ctc_greedy(_probs(cs, ["", "", ""], p=0.7))
    assert text == "" and 0.0 <= conf <= 1.0


def test_confidence_is_lower_when_a_character_is_uncertain():
    cs = Charset("ab")
    sure = cs.ctc_greedy(_probs(cs, ["a", "", "b"], p=0.95))[1]
    probs = _probs(cs, ["a", "", "b"], p=0.95)
    probs[2] = [0.1, 0.35, 0.55]
    unsure = cs.ctc_greedy(probs)[1]
    assert 0 <= unsure < sure <= 1
    assert unsure == pytest.approx(0.55)  # the least sure character sets the line's confidence


def test_confidence_is_lower_when_a_character_may_have_been_left_out():
    cs = Charset("ab.")
    probs = _probs(cs, ["a", "b", ""], p=0.95)
    probs[2] = [0.55, 0.02, 0.03, 0.4]  # the last step: blank, but a full stop nearly as likely (and an "a")
    text, conf = cs.ctc_greedy(probs)
    assert text == "ab"
    assert missed_risk(probs, probs.argmax(axis=1), cs.blank) == pytest.approx(0.42)  # all but the blank and the "b" beside it
    assert conf == pytest.approx(1 - MISSED_WEIGHT * 0.42)
    # the character read beside a blank step spreading into it is not a left-out one
    probs[2] = [0.55, 0.02, 0.4, 0.03]
    assert cs.ctc_greedy(probs)[1] == pytest.approx(0.95)
    # ... nor on both sides of a blank between two reads of the same letter ("aa"), counted once there
    probs = _probs(cs, ["a", "", "a"], p=0.95)
    probs[1] = [0.4, 0.3, 0.2, 0.1]
    assert missed_risk(probs, probs.argmax(axis=1), cs.blank) == pytest.approx(0.3)
    # a blank first step: only the character read after it is a neighbour
    probs = _probs(cs, ["", "a", "b"], p=0.95)
    probs[0] = [0.55, 0.4, 0.03, 0.02]
    assert missed_risk(probs, probs.argmax(axis=1), cs.blank) == pytest.approx(0.05)
    # a blank between two letters: both neighbours are the reading
    probs = _probs(cs, ["a", "", "b"], p=0.95)
    probs[1] = [0.5, 0.2, 0.25, 0.05]
    assert missed_risk(probs, probs.argmax(axis=1), cs.blank) == pytest.approx(0.05)


def test_restrict_mask_rejects_characters_the_model_cannot_output():
    cs = Charset("abc")
    assert cs.restrict_mask("ab").tolist() == [True, True, True, False]
    with pytest.raises(LabelError, match="'z'"):
        cs.restrict_mask("az")


# --- model --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backbone", ["vgg", "dws"])
@pytest.mark.parametrize("width", [8, 13, 64, 101, 333])
def test_model_output_shape_on_odd_widths(width, backbone):
    cfg = ModelConfig(channels=(4, 8, 8, 8, 8), hidden=8, backbone=backbone)
    model = CRNN(11, cfg).eval()
    with torch.no_grad():
        out = model(torch.rand(3, 1, 32, width))
    assert out.shape == (3, math.ceil(width / WIDTH_STRIDE), 11)


def test_backbone_is_stored_in_the_checkpoint_and_old_checkpoints_are_vgg(tmp_path):
    cs = Charset("ab")
    model = CRNN(cs.num_classes, ModelConfig(channels=(4, 8, 8, 8, 8), hidden=8, backbone="dws"))
    checkpoint.save(tmp_path / "dws.pt", model, cs)
    loaded, _, _ = checkpoint.load(tmp_path / "dws.pt")
    assert loaded.config.backbone == "dws"
    x = torch.rand(1, 1, 32, 40)
    with torch.no_grad():
        assert torch.allclose(loaded.eval()(x), model.eval()(x))
    assert ModelConfig.from_dict({"channels": [4, 8, 8, 8, 8], "hidden": 8}).backbone == "vgg"
    with pytest.raises(YocrError, match="--backbone"):
        ModelConfig(backbone="resnet")


def test_model_rejects_wrong_input_shape():
    with pytest.raises(ValueError, match="expected images"):
        CRNN(5)(torch.rand(1, 3, 32, 64))


def test_case_blind_loss_does_not_penalise_letter_case():
    cs = Charset("aAbB")
    loss = CaseBlindCTC(cs)
    target = torch.tensor(cs.encode("AB"))
    # logits that read "ab" (lower case) confidently
    logits = torch.full((1, 6, cs.num_classes), -10.0)
    for t, c in enumerate(["a", "", "b", "", "", ""]):
        logits[0, t, cs.encode(c)[0] if c else 0] = 10.0
    lengths, steps = torch.tensor([2]), torch.tensor([6])
    strict = loss(logits, target, lengths, steps, torch.tensor([False]))
    blind = loss(logits, target, lengths, steps, torch.tensor([True]))
    assert blind.item() < 0.01 < strict.item()


# --- training -----------------------------------------------------------------------------------------------------


def test_tiny_model_overfits_a_few_lines(line_folder, tmp_path):
    torch.manual_seed(0)
    # CTC needs a few hundred steps to leave the all-blank plateau: 10 copies of the lines give 10 steps an epoch
    repeated = line_folder / "repeated.txt"
    repeated.write_text((line_folder / "labels.txt").read_text() * 10)
    cfg = TrainConfig(
        train=[str(repeated)], val=[str(line_folder / "labels.txt")], out=str(tmp_path / "run"),
        epochs=80, batch_size=6, lr=3e-3, workers=0, augment=False, charset="labels",
        model=ModelConfig(channels=(16, 24, 32, 32, 48), hidden=48, dropout=0.0),
    )
    best = train(cfg, progress=False)
    run = tmp_path / "run"
    assert (run / "config.json").is_file() and (run / "last.pt").is_file() and best.is_file()
    lines = (run / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss,val_cer") and len(lines) == 81
    rec = Recognizer(best, device="cpu")
    import cv2

    labels = [ln.split(" ", 1) for ln in (line_folder / "labels.txt").read_text().splitlines()]
    images = [cv2.imread(str(line_folder / "images" / n)) for n, _ in labels]
    readings = rec.read(images)
    correct = sum(r.text == t for r, (_, t) in zip(readings, labels))
    assert correct >= 5, [r.text for r in readings]
    assert all(0.0 <= r.confidence <= 1.0 for r in readings)
    assert all(c in rec.charset for r in readings for c in r.text)


def test_training_resumes_from_last_checkpoint(line_folder, tmp_path):
    common = dict(train=[str(line_folder / "labels.txt")], out=str(tmp_path / "run"), batch_size=6, workers=0,
                  augment=False, val_fraction=0.3, model=ModelConfig(channels=(4, 8, 8, 8, 8), hidden=8))
    train(TrainConfig(epochs=1, **common), progress=False)
    train(TrainConfig(epochs=2, resume=True, **common), progress=False)
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2"]
    other = dict(common, model=ModelConfig(channels=(4, 8, 8, 8, 8), hidden=8, backbone="dws"))
    with pytest.raises(YocrError, match="backbone vgg \\(this run: dws\\)"):  # resumed with another network
        train(TrainConfig(epochs=3, resume=True, **other), progress=False)


def test_bad_weights_file_gives_clear_error(tmp_path):
    bad = tmp_path / "weights.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="weights.pt"):
        Recognizer(bad)
    with pytest.raises(CheckpointError, match="not found"):
        Recognizer(tmp_path / "missing.pt")


# --- shipped weights ----------------------------------------------------------------------------------------------


def test_shipped_weights_load_and_are_self_describing():
    model, charset, meta = checkpoint.load()
    assert charset == Charset.extended()  # printable ASCII + typographic symbols + accented Latin letters
    assert model.config == ModelConfig.from_dict(checkpoint.load_state(checkpoint.default_weights())["model_config"])
    assert "val_cer" in meta


def test_golden_line_readings_with_shipped_weights():
    import cv2

    expected = [ln.split("\t") for ln in (GOLDEN / "expected.tsv").read_text(encoding="utf-8").splitlines()]
    rec = Recognizer()
    readings = rec.read([cv2.imread(str(GOLDEN / name)) for name, _ in expected])
    assert [r.text for r in readings] == [text for _, text in expected]


def test_shipped_model_reads_a_rendered_line():
    rec = Recognizer()
    (reading,) = rec.read([render_line("Total 42.50", size=28)])
    assert reading.text == "Total 42.50"
    assert 0.5 < reading.confidence <= 1.0


def test_allow_restricts_the_output_alphabet():
    rec = Recognizer(allow="0123456789")
    (reading,) = rec.read([render_line("AB 123", size=28)])
    assert reading.text.endswith("123") and set(reading.text) <= set("0123456789")


def test_width_buckets_cover_every_line_once_in_similar_widths():
    from yocr.recognizer.predictor import width_buckets

    widths = [300, 40, 45, 1000, 50, 310, 44, 60]
    groups = width_buckets(widths, batch_size=2)
    assert sorted(i for g in groups for i in g) == list(range(len(widths)))
    assert all(len(g) <= 2 for g in groups)
    assert all(max(widths[i] for i in g) <= 1.5 * min(widths[i] for i in g) + 16 for g in groups)


def plate_like(text: str) -> np.ndarray:
    """A boxy image: ``text`` filling the middle half, with a frame of other writing above and below."""
    line = render_line(text, size=28)
    h, w = line.shape
    image = np.full((2 * h, w), 255, np.uint8)
    image[h // 2 : h // 2 + h] = line
    clutter = render_line("ww mm ww mm ww mm ww", size=12)
    image[: clutter.shape[0], : min(w, clutter.shape[1])] = clutter[:, :w]
    image[-clutter.shape[0] :, : min(w, clutter.shape[1])] = clutter[:, :w]
    return image


def test_bands_read_the_middle_of_a_boxy_image():
    rec = Recognizer()
    image = plate_like("AB 123")
    assert image.shape[1] < 4 * image.shape[0]
    (plain,) = rec.read([image])
    (banded,) = rec.read([image], bands=True)
    assert banded.confidence >= plain.confidence
    assert banded.text == "AB 123"
    assert all(0 <= w.box.y0 < w.box.y1 <= image.shape[0] for w in banded.words)


def test_a_bands_word_boxes_move_to_the_images_pixels():
    from yocr.core.results import Reading, Word
    from yocr.recognizer.predictor import shift_words

    reading = Reading("AB 12", 0.9, (Word("AB", (1, 2, 10, 12), 0.9), Word("12", (12, 2, 20, 12), 0.95)))
    moved = shift_words(reading, 7)
    assert [w.box.xyxy for w in moved.words] == [(1, 9, 10, 19), (12, 9, 20, 19)]
    assert (moved.text, moved.confidence) == (reading.text, reading.confidence)


def test_bands_leave_line_shaped_images_alone():
    rec = Recognizer()
    line = render_line("Total 42.50", size=28)
    assert rec.read([line], bands=True) == rec.read([line])


def test_bands_never_trade_text_for_a_confident_blank(monkeypatch):
    from yocr.core.results import Reading

    rec = Recognizer()
    image = np.full((60, 100), 255, np.uint8)  # boxy: read whole and in bands
    answers = iter([Reading("AE2", 0.3), Reading("", 0.9), Reading("", 0.95), Reading("SALE", 0.6), Reading("", 0.99)])
    monkeypatch.setattr(rec, "_read_once", lambda crops: [next(answers) for _ in crops])
    (best,) = rec.read([image], bands=True)
    assert best.text == "SALE"


def test_word_boxes_can_be_left_out_without_changing_the_reading():
    import cv2

    from yocr.pipeline.run import RunOptions

    images = [cv2.imread(str(p)) for p in sorted(GOLDEN.glob("*.png"))[:4]]
    full, bare = Recognizer(words=True).read(images), Recognizer(words=False).read(images)
    assert [(r.text, r.confidence) for r in full] == [(r.text, r.confidence) for r in bare]
    assert any(r.words for r in full) and not any(r.words for r in bare)
    # yocr run asks for them only when something it writes has words in it
    from yocr.pipeline.cli import run_options

    assert not RunOptions("out").needs_words
    assert not run_options(["a.jpg"], Path("out"), False, False, "txt", None, False, False, 0)[1].needs_words
    assert run_options(["a.jpg"], Path("out"), False, False, "txt,alto", None, False, False, 0)[1].needs_words
    assert RunOptions("out", json=True).needs_words and RunOptions("out", formats=("hocr",)).needs_words
    assert RunOptions("out", overlay=True, overlay_words=True).needs_words


def test_percentiles_from_the_histogram_equal_numpys():
    rng = np.random.default_rng(7)
    for k in range(300):
        h, w = rng.integers(1, 60), rng.integers(1, 300)
        image = (rng.integers(0, 256, (h, w)) if k % 2 else np.clip(rng.normal(190, 50, (h, w)), 0, 255)).astype(np.uint8)
        for qs in ((1, 99), (90,), (50,), (0, 100)):
            assert np.array_equal(percentiles(image, qs), np.percentile(image, qs))
