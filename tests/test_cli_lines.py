"""The CLI run in-process: data commands, recognizer training and ``yocr read``."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from yocr.cli import app

from conftest import render_line

runner = CliRunner()


def test_every_command_has_help_listing_its_own_options():
    for args, option in ((["--help"], "--verbose"), (["read", "--help"], "--allow"),
                         (["data", "synth-lines", "--help"], "--count"), (["data", "crops", "--help"], "--margin"),
                         (["data", "prepare", "--help"], "--out"), (["recognizer", "train", "--help"], "--epochs"),
                         (["bench", "lines", "--help"], "--tune"), (["run", "--help"], "--fallback-below"),
                         (["detect", "--help"], "--overlay"), (["detector", "eval", "--help"], "--limit")):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert option in result.output, args


def test_read_prints_path_text_confidence(tmp_path):
    cv2.imwrite(str(tmp_path / "a line.png"), render_line("Total 42.50", size=28))
    result = runner.invoke(app, ["read", str(tmp_path / "a line.png")])
    assert result.exit_code == 0, result.output
    path, text, conf = result.stdout.strip().split("\t")
    assert path.endswith("a line.png") and text == "Total 42.50" and 0 <= float(conf) <= 1


def test_read_reports_bad_files_and_reads_the_rest(tmp_path):
    cv2.imwrite(str(tmp_path / "good.png"), render_line("CASH", size=28))
    (tmp_path / "bad.png").write_bytes(b"")
    result = runner.invoke(app, ["read", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.png: empty file (0 bytes)" in result.stderr
    assert "good.png\tCASH\t" in result.stdout


def test_read_with_allow_and_missing_weights(tmp_path):
    cv2.imwrite(str(tmp_path / "p.png"), render_line("WXY 1234", size=28))
    result = runner.invoke(app, ["read", str(tmp_path / "p.png"), "--allow", "0123456789"])
    assert result.exit_code == 0
    text = result.stdout.split("\t")[1]
    assert text and set(text) <= set("0123456789 ")
    result = runner.invoke(app, ["read", str(tmp_path / "p.png"), "--weights", str(tmp_path / "none.pt")])
    assert result.exit_code == 2 and "none.pt: weights file not found" in result.stderr


def test_synth_lines_height_needs_a_store(tmp_path):
    result = runner.invoke(app, ["data", "synth-lines", "-o", str(tmp_path / "s"), "--count", "2", "--height", "32"])
    assert result.exit_code != 0 and "--height applies to a store" in result.stderr
    result = runner.invoke(app, ["data", "synth-lines", "-o", str(tmp_path / "s"), "--count", "2", "--height", "32",
                                 "--store", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "s" / "index.npy")[:, 3].tolist() == [32, 32]


@pytest.mark.parametrize("backbone", ["vgg", "dws"])
def test_synth_prepare_and_train_from_the_cli(tmp_path, backbone):
    result = runner.invoke(app, ["data", "synth-lines", "-o", str(tmp_path / "synth"), "--count", "16", "--workers", "1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["data", "prepare", str(tmp_path / "synth" / "labels.txt"), "-o", str(tmp_path / "p.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "charset.json").is_file()
    result = runner.invoke(app, ["recognizer", "train", "--train", str(tmp_path / "p.csv"), "--out", str(tmp_path / "run"),
                                 "--epochs", "1", "--batch-size", "8", "--workers", "0", "--channels", "4,8,8,8,8",
                                 "--hidden", "8", "--val-fraction", "0.25", "--backbone", backbone])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "best.pt").is_file() and (tmp_path / "run" / "config.json").is_file()
    from yocr.recognizer import checkpoint

    assert checkpoint.load(tmp_path / "run" / "best.pt")[0].config.backbone == backbone


def test_train_with_bad_options_fails_clearly(tmp_path):
    result = runner.invoke(app, ["recognizer", "train", "--train", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "nope.txt: labels file not found" in result.stderr
