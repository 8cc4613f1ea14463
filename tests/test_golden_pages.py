"""Golden outputs: ``yocr run`` with the shipped detector and recognizer on committed page images.

The expected ``.txt`` files were written by the shipped models and checked by eye against the images
(``tests/golden/make_pages.py`` renders the images). A change of models that changes a reading shows up here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yocr.cli import app
from yocr.detector.model import DEFAULT_WEIGHTS

PAGES = Path(__file__).parent / "golden" / "pages"
EXPECTED = PAGES / "expected"

pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no shipped detector weights")


def test_run_on_golden_pages_gives_the_expected_text(tmp_path):
    result = CliRunner().invoke(app, ["run", str(PAGES), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    names = sorted(p.stem for p in PAGES.glob("*.png"))
    assert names and sorted(p.stem for p in tmp_path.glob("*.txt")) == names
    for name in names:
        assert (tmp_path / f"{name}.txt").read_text(encoding="utf-8") == (EXPECTED / f"{name}.txt").read_text(
            encoding="utf-8"
        ), name
        doc = json.loads((tmp_path / f"{name}.json").read_text())
        assert all(0 <= ln["confidence"] <= 1 and 0 <= ln["det_score"] <= 1 for ln in doc["lines"])


def test_shipped_detector_finds_every_line_of_a_golden_page():
    import cv2

    from yocr.detector.predictor import Detector

    lines = Detector().detect(cv2.imread(str(PAGES / "letter.png")))
    assert len(lines) == 5  # a heading and four lines of text
    assert all(0.0 <= ln.score <= 1.0 and ln.x0 < ln.x1 and ln.y0 < ln.y1 for ln in lines)
