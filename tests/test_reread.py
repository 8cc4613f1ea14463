"""Unsure lines read again in other framings (recognizer/reread.py): the framings' geometry, the vote, which lines
are read again, and the pipeline's order (the fallback first, then the recognizer's unsure readings)."""

from __future__ import annotations

import numpy as np
import pytest

from yocr.core.geometry import Box
from yocr.core.results import Reading, Word
from yocr.errors import YocrError
from yocr.pipeline.reader import Reader, ReaderConfig, Stages
from yocr.recognizer import reread as rr
from yocr.recognizer.config import ReadConfig


def crop(h: int = 36, w: int = 120) -> np.ndarray:
    image = np.full((h, w), 255, np.uint8)
    image[h // 4 : 3 * h // 4, w // 8 : 7 * w // 8] = 0
    return image


def test_a_framing_maps_its_word_boxes_back_to_the_crop():
    image = crop()
    tight = rr.Look(trim_x=1 / 12, trim_y=1 / 12).frame(image)
    assert tight.image.shape == (36 - 2 * 3, 120 - 2 * 3) and (tight.x0, tight.y0, tight.sx) == (3.0, 3.0, 1.0)
    wide = rr.Look(stretch=1.3).frame(image)
    assert wide.image.shape == (36, 156) and wide.sx == pytest.approx(1.3)
    word = Word("AB", Box(13.0, 6.0, 39.0, 20.0), 0.8)
    back = wide.unframe(Reading("AB", 0.8, (word,))).words[0].box
    assert back == pytest.approx((10.0, 6.0, 30.0, 20.0))
    assert tight.unframe(Reading("AB", 0.8, (word,))).words[0].box == pytest.approx((16.0, 9.0, 42.0, 23.0))
    assert rr.Look(trim_x=0.1, trim_y=0.1).frame(crop(10, 40)) is None  # too small to trim


def test_the_vote_keeps_the_text_the_framings_agree_on():
    first = Reading("C0FFEE", 0.6)
    best, share = rr.vote([first, Reading("COFFEE", 0.5), Reading("COFFEE", 0.7), Reading("C0FFEE", 0.2)])
    assert best == 2 and share == pytest.approx(0.3)  # COFFEE: 1.2 of 4 readings; the surer of its two readings
    best, share = rr.vote([first, Reading("C0FFEE", 0.5), Reading("COFFEE", 0.9)])
    assert best == 0 and share == pytest.approx(1.1 / 3)  # the first reading's text won: its own reading is kept
    assert rr.vote([Reading("A", 0.4)]) == (0, pytest.approx(0.4))
    best, share = rr.vote([Reading("AB", 0.5), Reading("", 0.9), Reading("", 0.9), Reading("A8", 0.6)])
    assert best == 3 and share == pytest.approx(0.15)  # blanks score high but never erase a line's text
    assert rr.vote([Reading("", 0.9), Reading(" ", 0.8)]) == (0, pytest.approx(0.45))  # all blank: a blank


@pytest.mark.parametrize("shape", [(100, 13), (100, 13, 3), (10, 40), (1, 1), (3, 200, 3), (200, 3)])
def test_degenerate_crops_are_framed_safely_or_not_at_all(shape):
    image = np.full(shape, 255, np.uint8)
    for look in rr.LOOKS:
        framed = look.frame(image)
        assert framed is None or (min(framed.image.shape[:2]) >= 1 and framed.sx > 0)
    assert rr.Look(trim_x=1 / 12, trim_y=1 / 12).frame(np.full((100, 13), 255, np.uint8)) is None  # nothing left
    assert rr.Look(trim_x=1 / 12, trim_y=1 / 12).frame(np.full((11, 40), 255, np.uint8)) is None  # would be itself
    assert rr.Look().frame(image) is None  # a framing that changes nothing is not read twice


def test_the_shipped_recognizer_reads_degenerate_crops_again_without_failing():
    from yocr.recognizer.predictor import Recognizer

    rec = Recognizer(device="cpu", reread_below=1.0)
    shapes = [(100, 13), (100, 13, 3), (10, 40), (1, 1), (3, 200, 3), (200, 3), (40, 12, 3)]
    readings = rec.read([np.full(s, 255, np.uint8) for s in shapes])
    assert len(readings) == len(shapes) and all(0.0 <= r.confidence <= 1.0 for r in readings)
    assert len(rec.read([np.full((40, 60, 3), 255, np.uint8)], bands=True)) == 1


def test_only_unsure_short_lines_are_read_again_and_their_confidence_is_the_vote():
    images = [crop(), crop(), crop(36, 36 * 9)]  # the last is a long line of a document
    first = [Reading("sure", 0.95), Reading("unsure", 0.5), Reading("long", 0.2)]
    calls = []

    def read(batch):
        calls.append([im.shape for im in batch])
        return [Reading("agreed", 0.6) for _ in batch]

    out = rr.reread(images, first, read, below=0.7)
    assert len(calls) == 1 and len(calls[0]) == len(rr.LOOKS)  # one call, the unsure short line's framings only
    assert out[0] is first[0] and out[2] is first[2]
    assert out[1].text == "agreed" and out[1].confidence == pytest.approx(3 * 0.6 / 4)
    assert rr.reread(images, first, read, below=0.0) == first and len(calls) == 1


def test_a_word_is_never_surer_than_its_line_after_the_vote():
    word = Word("agreed", Box(0, 0, 10, 10), 0.9)
    out = rr.reread([crop()], [Reading("other", 0.3)], lambda batch: [Reading("agreed", 0.9, (word,))] * len(batch),
                    below=0.7)
    assert out[0].confidence == pytest.approx(2.7 / 4) and out[0].words[0].confidence == pytest.approx(2.7 / 4)


def test_the_pipeline_rereads_what_the_fallback_left_and_not_on_scene_photos():
    from test_pipeline import InkDetector, SceneDetector, page_image

    image = page_image([(20, 20, "ONE"), (20, 80, "TWO")])
    seen = []

    def again(crops, readings):
        seen.append([r.text for r in readings])
        return [Reading("again", 0.8) for _ in readings]

    def tesseract_stub(crops):
        return [Reading("tess", 0.9), Reading("", 0.0)][: len(crops)]

    stages = Stages(InkDetector(), lambda crops: [Reading("first", 0.4) for _ in crops], tesseract_stub, reread=again)
    page = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.45), stages=stages).read(image)
    assert seen == [["first"]]  # the line Tesseract replaced is not read again
    assert page.text.splitlines() == ["tess", "again"]
    scene = Stages(SceneDetector(), lambda crops: [Reading("first", 0.6) for _ in crops], None, reread=again)
    assert Reader(ReaderConfig(), stages=scene).read(image).text == "first\nfirst" and len(seen) == 1


def test_reread_threshold_is_checked_and_reaches_each_command(monkeypatch, tmp_path):
    from typer.testing import CliRunner
    from yocr.bench.lines import LinesBenchConfig
    from yocr.cli import app
    from yocr.pipeline import reader as reader_mod

    for make in (lambda: ReaderConfig(reread_below=1.5), lambda: ReadConfig(reread_below=-0.1),
                 lambda: LinesBenchConfig(labels=("x.txt",), reread_below=2.0)):
        with pytest.raises(YocrError, match="reread-below"):
            make()
    seen = []
    monkeypatch.setattr(reader_mod, "build_stages", lambda cfg: seen.append(cfg.reread_below) or 1 / 0)
    image = tmp_path / "a.png"
    image.write_bytes(b"not an image")
    CliRunner().invoke(app, ["run", str(image), "--out", str(tmp_path / "out"), "--reread-below", "0.4"])
    assert seen == [0.4]
    out = CliRunner().invoke(app, ["read", str(image), "--reread-below", "1.5"])
    assert out.exit_code != 0 and "reread-below" in out.output


def test_without_a_threshold_the_pipeline_has_no_reread_step(monkeypatch):
    from yocr.pipeline import reader as reader_mod
    from yocr.recognizer import predictor

    made = []

    class FakeRecognizer:
        def __init__(self, *args, **kwargs):
            made.append(kwargs["reread_below"])

        def read(self, crops, bands=False, again=True):
            return [Reading("x", 0.1)] * len(crops) if not again else 1 / 0  # the pipeline reads once, then rereads

        def reread(self, crops, readings):
            return readings

    monkeypatch.setattr(predictor, "Recognizer", FakeRecognizer)
    monkeypatch.setattr("yocr.detector.predictor.Detector", lambda *a, **k: object())
    off = reader_mod.build_stages(ReaderConfig(fallback="none"))  # yocr run's default: off
    on = reader_mod.build_stages(ReaderConfig(fallback="none", reread_below=0.7))
    assert off.reread is None and on.reread is not None and made == [0.0, 0.7]
    assert on.recognize([np.zeros((8, 8), np.uint8)])[0].text == "x"
    assert on.recognize_bands([np.zeros((8, 8), np.uint8)])[0].text == "x"


def test_the_recognizer_reads_unsure_lines_again_unless_told_not_to():
    from conftest import render_line
    from yocr.recognizer.predictor import Recognizer

    lines = [render_line("Total 12.50"), np.full((32, 90), 255, np.uint8) // 2 + np.random.default_rng(0).integers(
        0, 128, (32, 90), dtype=np.uint8)]  # a clear line and noise (read unsurely)
    rec = Recognizer(device="cpu", reread_below=1.0)  # every line is unsure
    calls = []
    once = rec._read_once
    rec._read_once = lambda images: calls.append(len(images)) or once(images)
    again = rec.read(lines)
    assert calls == [2, 2 * len(rr.LOOKS)]
    first = rec.read(lines, again=False)
    assert calls[2:] == [2] and first[0].text == "Total 12.50" == again[0].text
    assert all(0.0 <= r.confidence <= 1.0 for r in again)
    assert Recognizer(device="cpu").reread_below == 0.0  # the class reads once unless asked; the commands ask


def test_training_reframes_lines_as_a_detector_frames_them():
    from yocr.data.augment import Reframe, line_degradations
    from yocr.recognizer.config import TrainConfig

    image = np.full((32, 100), 255, np.uint8)
    image[8:24, 10:90] = 0
    t = Reframe(p=1.0)
    t.set_random_seed(0)
    shapes = {t(image=image)["image"].shape for _ in range(20)}
    assert len(shapes) > 10  # framings differ
    assert all(28 <= h <= 48 and 0.6 * 100 <= w <= 1.75 * 100 for h, w in shapes)
    assert Reframe(p=1.0).apply(image, sides=(-0.5, -0.5, -0.5, -0.5)).shape == image.shape  # too much trim: as is
    assert Reframe(p=1.0).apply(image, sides=(0.0, 0.0, 0.0, 0.0), stretch=1.3).shape == (32, 130)
    assert line_degradations(0.6, reframe=1.0)(image=image)["image"].ndim == 2
    with pytest.raises(YocrError, match="reframe"):
        TrainConfig(reframe=2.0)
    with pytest.raises(YocrError, match="--reframe needs --augment"):
        TrainConfig(reframe=0.3, augment=False)


def test_in_bands_every_reading_of_a_boxy_image_is_read_again():
    from conftest import render_line
    from yocr.recognizer.predictor import READ_BANDS, Recognizer

    text = render_line("AB 123", size=24)
    pad = text.shape[0]
    plate = np.pad(text, ((pad, pad), (4, 4)), constant_values=255)  # boxy: under 4 x as wide as high, >= 24 px high
    assert plate.shape[1] < 4 * plate.shape[0] and plate.shape[0] >= 24
    line = render_line("Total 12.50")  # line-shaped, read surely
    rec = Recognizer(device="cpu", reread_below=0.01)  # hardly anything is unsure
    calls = []
    once = rec._read_once
    rec._read_once = lambda images: calls.append(len(images)) or once(images)
    readings = rec.read([plate, line], bands=True)
    assert len(readings) == 2 and readings[1].text == "Total 12.50"
    framed = len(rr.LOOKS)
    assert calls[0] == 1 + len(READ_BANDS) + 1  # the plate, its bands, the line
    assert calls[1] <= (1 + len(READ_BANDS)) * framed and calls[1] >= framed  # the plate's readings, not the line's
    calls.clear()
    Recognizer.read(rec, [plate, line], bands=True, again=False)
    assert calls == [1 + len(READ_BANDS) + 1]
    rec.reread_below = 0.0
    calls.clear()
    rec.read([plate, line], bands=True)
    assert calls == [1 + len(READ_BANDS) + 1]  # the reread off: bands alone, as before
