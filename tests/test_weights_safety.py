"""A weights file is data: a detector checkpoint or model YAML that tries to run code is refused, nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from yocr.detector.checkpoint import DEFAULT_WEIGHTS, MODEL_YAML, load_checkpoint, safe_model_yaml, save_checkpoint
from yocr.errors import CheckpointError


def _evil_checkpoint(tmp_path: Path, yaml_text: str) -> Path:
    shipped = load_checkpoint(DEFAULT_WEIGHTS)
    return save_checkpoint(tmp_path / "evil.pt", shipped["state_dict"], yaml_text, imgsz=640)


def _evil_activation(marker: Path) -> str:
    code = f"__import__('os').system('touch {marker}') or nn.SiLU()"
    return f'activation: "{code}"\n' + MODEL_YAML.read_text(encoding="utf-8")


def test_checkpoint_whose_yaml_runs_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "MARKER"
    evil = _evil_checkpoint(tmp_path, _evil_activation(marker))
    with pytest.raises(CheckpointError, match="evil.pt.*activation"):
        load_checkpoint(evil)
    assert not marker.exists()


def test_detector_refuses_evil_weights_before_building(tmp_path):
    from yocr.detector.predictor import Detector

    marker = tmp_path / "MARKER"
    evil = _evil_checkpoint(tmp_path, _evil_activation(marker))
    with pytest.raises(CheckpointError):
        Detector(weights=evil)
    assert not marker.exists()


def test_cli_run_with_evil_weights_fails_cleanly(tmp_path):
    from typer.testing import CliRunner

    from yocr.cli import app

    marker = tmp_path / "MARKER"
    evil = _evil_checkpoint(tmp_path, _evil_activation(marker))
    image = tmp_path / "in.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(image), np.full((64, 200, 3), 255, np.uint8))
    result = CliRunner().invoke(app, ["run", str(image), "--out", str(tmp_path / "out"), "--detector-weights", str(evil)])
    assert result.exit_code != 0
    assert "evil.pt" in result.output
    assert not marker.exists()


@pytest.mark.parametrize(
    "line, problem",
    [
        ("  - [-1, 1, eval, [\"print(1)\"]]", "module"),
        ("  - [-1, 1, Conv, [\"__import__('os')\", 3, 2]]", "argument"),
        ("  - [-1, 1, Conv, [64, 3, 2], extra]", "layer"),
        ("  - [\"-1\", 1, Conv, [64, 3, 2]]", "from"),
    ],
)
def test_model_yaml_layers_outside_the_allowlist_are_refused(line, problem):
    text = MODEL_YAML.read_text(encoding="utf-8").replace("backbone:\n", "backbone:\n" + line + "\n", 1)
    with pytest.raises(CheckpointError, match=problem):
        safe_model_yaml(text, "shared.yaml")


def test_yaml_tags_and_unknown_keys_are_refused():
    base = MODEL_YAML.read_text(encoding="utf-8")
    with pytest.raises(CheckpointError, match="parse"):
        safe_model_yaml("nc: !!python/object/apply:os.system ['true']\n" + base, "tagged.yaml")
    with pytest.raises(CheckpointError, match="keys"):
        safe_model_yaml("hook: 1\n" + base, "keys.yaml")


def test_shipped_and_alternative_yamls_pass_unchanged_in_meaning():
    import yaml

    for name in ("yolo-lines.yaml", "yolo-lines-v8.yaml", "yolo-lines-26.yaml"):
        path = MODEL_YAML.parent / name
        text = path.read_text(encoding="utf-8")
        assert yaml.safe_load(safe_model_yaml(text, name)) == yaml.safe_load(text)


def test_malformed_checkpoint_fields_are_one_clear_error(tmp_path):
    path = tmp_path / "odd.pt"
    torch.save({"format": "yocr-line-detector", "version": 1, "yaml": 5, "state_dict": {}, "imgsz": 640}, path)
    with pytest.raises(CheckpointError, match="odd.pt"):
        load_checkpoint(path)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pt"):
        load_checkpoint(empty)
