"""Every command's typed config refuses a bad value with a :class:`YocrError` naming the CLI option, and the command
itself exits with code 2 naming it, before any model or data loads."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from yocr.bench.lines import LinesBenchConfig
from yocr.cli import app
from yocr.detector.config import DetectConfig
from yocr.detector.evaluate import EvalConfig
from yocr.detector.train import DetectorTrainConfig
from yocr.errors import EXIT_USAGE, YocrError
from yocr.pipeline.reader import ReaderConfig
from yocr.recognizer.config import ModelConfig, ReadConfig, TrainConfig

runner = CliRunner()


@pytest.mark.parametrize("make, option", [
    (lambda: ReadConfig(batch_size=0), "--batch-size"),
    (lambda: DetectConfig(conf=1.5), "--conf"),
    (lambda: DetectConfig(iou=-0.1), "--iou"),
    (lambda: DetectConfig(imgsz=16), "--imgsz"),
    (lambda: DetectConfig(tile=-1), "--tile"),
    (lambda: EvalConfig(limit=-1), "--limit"),
    (lambda: EvalConfig(conf=2.0), "--conf"),
    (lambda: LinesBenchConfig(labels=("l.txt",), limit=-1), "--limit"),
    (lambda: LinesBenchConfig(labels=("l.txt",), tune=0), "--tune"),
    (lambda: LinesBenchConfig(labels=("l.txt",), engines=("crnn", "easyocr")), "--engines"),
    (lambda: LinesBenchConfig(labels=("l.txt",), engines=()), "--engines"),
    (lambda: ReaderConfig(batch_size=0), "--batch-size"),
    (lambda: ReaderConfig(margin=-0.1), "--margin"),
    (lambda: ReaderConfig(engine="magic"), "--engine"),
    (lambda: ReaderConfig(imgsz=8), "--imgsz"),
    (lambda: ModelConfig(height=40), "--height"),
    (lambda: ModelConfig(channels=(4, 8, 8, 8)), "--channels"),
    (lambda: ModelConfig(lstm_layers=0), "--lstm-layers"),
    (lambda: TrainConfig(epochs=0), "--epochs"),
    (lambda: TrainConfig(batch_size=0), "--batch-size"),
    (lambda: TrainConfig(val_fraction=1.0), "--val-fraction"),
    (lambda: TrainConfig(oversample=["a.txt=0"]), "--oversample"),
    (lambda: DetectorTrainConfig(data=""), "--data"),
    (lambda: DetectorTrainConfig(data="d.yaml", epochs=0), "--epochs"),
    (lambda: DetectorTrainConfig(data="d.yaml", imgsz=100), "--imgsz"),
    (lambda: DetectorTrainConfig(data="d.yaml", batch=0), "--batch"),
    (lambda: DetectorTrainConfig(data="d.yaml", scale=1.0), "--scale"),
])
def test_a_config_refuses_a_bad_value_naming_the_option(make, option):
    with pytest.raises(YocrError, match=option):
        make()


def test_the_defaults_are_valid_and_the_configs_frozen():
    from dataclasses import FrozenInstanceError

    configs = [ReadConfig(), DetectConfig(), EvalConfig(), LinesBenchConfig(labels=["l.txt"]), ReaderConfig(),
               ModelConfig(), DetectorTrainConfig(data="d.yaml")]
    for config in configs:
        with pytest.raises(FrozenInstanceError):
            config.device = "cuda"  # type: ignore[misc]
    assert LinesBenchConfig(labels=["l.txt"]).labels[0].name == "l.txt"  # lists and strings normalised


def test_a_checkpoints_impossible_model_config_stays_a_value_error():
    with pytest.raises(ValueError, match="stored model config: --height"):
        ModelConfig.from_dict({"height": 3})


@pytest.mark.parametrize("args, option", [
    (["read", "x.png", "--batch-size", "0"], "--batch-size"),
    (["detect", "x.png", "--conf", "7"], "--conf"),
    (["detect", "x.png", "--tile", "-5"], "--tile"),
    (["detector", "eval", "--limit", "-1"], "--limit"),
    (["detector", "eval", "--iou", "3"], "--iou"),
    (["detector", "train", "--data", "d.yaml", "--epochs", "0"], "--epochs"),
    (["bench", "lines", "l.txt", "--limit", "-1"], "--limit"),
    (["bench", "lines", "l.txt", "--engines", "crnn,easyocr"], "--engines"),
    (["bench", "pages", "--limit", "-1"], "--limit"),
    (["recognizer", "train", "--train", "l.txt", "--epochs", "0"], "--epochs"),
    (["recognizer", "train", "--train", "l.txt", "--height", "40"], "--height"),
    (["run", "x.png", "--out", "o", "--batch-size", "0"], "--batch-size"),
])
def test_a_bad_option_value_exits_2_naming_the_option(args, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing is written, but if it were it would land here
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert option in result.output and "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_data_configs_name_the_option():
    from yocr.data.box_augment import BoxAugmentConfig
    from yocr.data.synth_lines import SynthLinesConfig
    from yocr.data.synth_pages import SynthPagesConfig

    for make, option in ((lambda: SynthLinesConfig(count=0), "--count"), (lambda: SynthLinesConfig(scene=2.0), "--scene"),
                         (lambda: SynthPagesConfig(val_fraction=1.0), "--val-fraction"),
                         (lambda: SynthPagesConfig(min_side=64), "--min-side"),
                         (lambda: BoxAugmentConfig(rotate=200), "--rotate"), (lambda: BoxAugmentConfig(flip=1.5), "--flip")):
        with pytest.raises(YocrError, match=option):
            make()
