"""Benchmarks: the metrics against hand-computed values, the page report on a tiny synthetic data set, and the engine
list when an optional engine is absent."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from yocr import metrics
from yocr.bench.pages import (
    ENGINES,
    PageBenchConfig,
    available_engines,
    bench_pages,
    reading_at,
    words_under,
)
from yocr.data.annotations import Region, sroie_pages
from yocr.data.rows import merge_rows
from yocr.data.yolo import yolo_text_pages
from yocr.core.geometry import iou_matrix
from yocr.core.results import Line
from yocr.detector.evaluate import DetectionScores, match_boxes
from yocr.errors import LabelError, YocrError
from yocr.pipeline import tesseract

from conftest import render_line


def engine_line(box, parts, text: str) -> Line:
    """A line as an engine outputs it: its box, the boxes it was read from, its text."""
    return Line(box, text, 1.0, 1.0, "test", parts)

# --- metrics ------------------------------------------------------------------------------------------------------


def test_cer_and_wer_by_hand():
    assert metrics.cer(["abd"], ["abc"]) == pytest.approx(1 / 3)
    assert metrics.cer(["ab", "xyz"], ["abc", "xyz"]) == pytest.approx(1 / 6)  # summed over lines
    assert metrics.cer(["TOTAL"], ["total"]) == 1.0
    assert metrics.cer(["TOTAL"], ["total"], case_sensitive=False) == 0.0
    assert metrics.wer(["the cat sat"], ["the cat sit"]) == pytest.approx(1 / 3)
    assert metrics.wer(["the sat"], ["the cat sat"]) == pytest.approx(1 / 3)
    assert metrics.exact_accuracy(["a", "b"], ["a", "c"]) == 0.5


def test_normalize_folds_and_drops_characters():
    assert metrics.normalize("Total: 12.50", case_sensitive=False) == "total: 12.50"
    assert metrics.normalize("Total: 12.50", ignore=":") == "Total 12.50"
    assert metrics.normalize("Total: 12.50 -", alnum_only=True) == "Total 1250 "


def test_word_precision_recall_f1_by_hand():
    w = metrics.word_counts("TOTAL 12.50 12.50 CASH", "total 12.50 cash rm", case_sensitive=False)
    assert (w.matched, w.predicted, w.truth) == (3, 4, 4)  # the second 12.50 has no partner
    assert (w.precision, w.recall, w.f1) == (0.75, 0.75, 0.75)
    w = metrics.word_counts("a b", "a b c d")
    assert (w.precision, w.recall) == (1.0, 0.5) and w.f1 == pytest.approx(2 / 3)
    total = metrics.word_scores(["a b", "x"], ["a b c d", "y"])  # micro average over pages
    assert (total.matched, total.predicted, total.truth) == (2, 3, 5)
    assert metrics.word_counts("", "").f1 == 0.0 and metrics.word_counts("a", "").precision == 0.0


def test_iou_matching_by_hand():
    assert iou_matrix([(0, 0, 10, 10)], [(5, 0, 15, 10)])[0, 0] == pytest.approx(50 / 150)
    pred = [(0, 0, 10, 5), (0, 0, 10, 10), (5, 0, 15, 10)]
    truth = [(0, 0, 10, 10), (40, 40, 50, 50)]
    assert match_boxes(pred, truth) == [(1, 0, 1.0)]  # one to one; (0, 0, 10, 5) has IoU 0.5 but comes second
    scores = DetectionScores()
    scores.add(pred, truth, 0.1)
    assert (scores.precision, scores.recall) == (pytest.approx(1 / 3), 0.5) and scores.f1 == pytest.approx(0.4)


def test_row_merging_by_hand():
    regions = [Region((100, 0, 140, 10), "12.50"), Region((0, 0, 30, 10), "QTY"), Region((35, 1, 40, 11), "1"),
               Region((0, 20, 50, 30), "TOTAL")]
    lines = merge_rows(regions, gap=1.0)
    assert [r.text for r in lines] == ["QTY 1", "12.50", "TOTAL"]  # a 5 px gap joins, a 60 px gap does not
    assert lines[0].box == (0, 0, 40, 11)


def test_words_under_a_truth_box():
    row = engine_line((0, 0, 140, 10), ((0, 0, 40, 10), (100, 0, 140, 10)), "QTY 1 12.50")
    assert words_under((100, 0, 140, 10), row) == "12.50"
    assert words_under((0, 0, 40, 10), row) == "QTY 1"
    other_row = engine_line((0, 30, 140, 40), ((0, 30, 140, 40),), "CASH")
    assert reading_at((0, 0, 40, 10), [other_row, row]) == "QTY 1"
    assert reading_at((0, 60, 40, 70), [other_row, row]) == ""


# --- a tiny synthetic data set ------------------------------------------------------------------------------------

PAGES = {
    "000": [("SHOP NAME", 20, 20), ("TOTAL", 20, 80), ("12.50", 260, 80)],
    "001": [("CASH", 20, 20), ("CHANGE 0.50", 20, 80)],
}


def make_sroie(root: Path) -> Path:
    """Two SROIE-style receipts: img/NNN.jpg and box/NNN.csv with rendered upper-case text."""
    (root / "img").mkdir(parents=True)
    (root / "box").mkdir()
    for k, (stem, lines) in enumerate(PAGES.items()):
        page = np.full((160 + 40 * k, 420), 255, np.uint8)
        rows = []
        for text, x, y in lines:
            crop = render_line(text, size=26)
            h, w = crop.shape
            page[y : y + h, x : x + w] = crop
            rows.append(f"{x},{y},{x + w},{y},{x + w},{y + h},{x},{y + h},{text}\n")
        cv2.imwrite(str(root / "img" / f"{stem}.jpg"), page)
        (root / "box" / f"{stem}.csv").write_text("".join(rows))
    return root


def stub_opener(root: Path):
    """Engines that 'read' the pages from their annotations: yocr perfectly, tesseract-page missing a word."""
    by_height = {}
    for page in sroie_pages(root):
        lines = [engine_line(r.box, (r.box,), r.text) for r in merge_rows(page.regions)]
        by_height[cv2.imread(str(page.image)).shape[0]] = lines

    def opener(name, cfg):
        def read(image):
            lines = by_height[image.shape[0]]
            return lines if name == "yocr" else [engine_line(ln.box, ln.parts, ln.text.replace("TOTAL", "T0TAL"))
                                                 for ln in lines]
        return read

    return opener


def test_page_report_for_a_tiny_dataset(tmp_path):
    root = make_sroie(tmp_path / "sroie")
    cfg = PageBenchConfig(engines=("yocr", "tesseract-page"), isolate=False, gallery=4)
    report = bench_pages({"sroie": sroie_pages(root)}, tmp_path / "out", cfg, opener=stub_opener(root),
                         command="yocr bench pages test")
    scores = {s.engine: s for s in report.scores}
    assert scores["yocr"].word_f1 == 1.0 and scores["yocr"].page_cer == 0.0 and scores["yocr"].det_f1 == 1.0
    assert scores["tesseract-page"].word_f1 == pytest.approx(6 / 7)  # T0TAL: 6 of 7 words
    assert scores["yocr"].pages == 2 and scores["yocr"].pages_per_second > 0 and scores["yocr"].peak_mb is None
    out = tmp_path / "out"
    for name in ("pages.md", "pages.csv", "pages.json", "pages-chart.png", "pages-gallery-sroie.png"):
        assert (out / name).is_file(), name
    md = (out / "pages.md").read_text()
    assert "Command: `yocr bench pages test`" in md and "letter case folded" in md and "| sroie | yocr | 2 |" in md
    assert "Worst-read lines: sroie" in md and "T0TAL" in md
    csv_rows = (out / "pages.csv").read_text().splitlines()
    assert csv_rows[0].startswith("engine,dataset,pages,word_precision") and len(csv_rows) == 3
    data = json.loads((out / "pages.json").read_text())
    assert data["data"]["sroie"]["pages"] == 2 and len(data["results"]) == 2
    assert [w["truth"] for w in data["worst_lines"]["sroie"]] == ["TOTAL"]  # the only line read wrong


@pytest.mark.skipif(not tesseract.available(), reason="tesseract is not installed")
def test_cli_bench_pages_on_a_yolo_folder_with_tesseract(tmp_path, monkeypatch):
    from yocr.cli import app

    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # absent, whether installed or not
    sroie = make_sroie(tmp_path / "sroie")
    yolo = tmp_path / "yolo"
    for sub in ("images", "labels", "text"):
        (yolo / sub).mkdir(parents=True)
    for page in sroie_pages(sroie):
        h, w = cv2.imread(str(page.image)).shape[:2]
        (yolo / "images" / page.image.name).write_bytes(page.image.read_bytes())
        (yolo / "labels" / f"{page.image.stem}.txt").write_text("".join(
            f"0 {(r.box[0] + r.box[2]) / 2 / w} {(r.box[1] + r.box[3]) / 2 / h} {r.width / w} {r.height / h}\n"
            for r in page.regions))
        (yolo / "text" / f"{page.image.stem}.txt").write_text("".join(r.text + "\n" for r in page.regions))
    result = CliRunner().invoke(app, ["bench", "pages", "--yolo", str(yolo), "--engines", "tesseract-page,rapidocr",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "skipped rapidocr: rapidocr-onnxruntime is not installed" in result.stderr
    data = json.loads((tmp_path / "out" / "pages.json").read_text())
    (tess,) = data["results"]
    assert tess["engine"] == "tesseract-page" and tess["dataset"] == "yolo" and tess["pages"] == 2
    assert tess["word_f1"] > 0.5 and tess["peak_mb"] > 0  # measured in its own process
    assert "rapidocr" in data["skipped"]


# --- engines that are absent --------------------------------------------------------------------------------------


def test_engine_list_degrades_when_optional_engines_are_absent(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # makes "import rapidocr_onnxruntime" fail
    usable, skipped = available_engines(ENGINES)
    assert "rapidocr" not in usable and "yocr" in usable
    assert "rapidocr-onnxruntime is not installed" in skipped["rapidocr"]
    monkeypatch.setattr(tesseract, "available", lambda: False)
    usable, skipped = available_engines(ENGINES)
    assert usable == ["yocr", "yocr-crnn"] and set(skipped) == {"tesseract-crops", "tesseract-page", "rapidocr"}
    # Nothing left to run: the report still says what was skipped and why.
    root = make_sroie(tmp_path / "sroie")
    report = bench_pages({"sroie": sroie_pages(root)}, tmp_path / "out", PageBenchConfig(engines=("rapidocr",)))
    assert report.scores == [] and "rapidocr" in report.skipped
    assert "rapidocr: skipped, rapidocr-onnxruntime is not installed" in (tmp_path / "out" / "pages.md").read_text()


def test_bad_engine_names_and_cli_help():
    from yocr.cli import app

    with pytest.raises(YocrError, match="unknown engine"):
        PageBenchConfig(engines=("yocr", "easyocr"))
    result = CliRunner().invoke(app, ["bench", "pages", "--help"])
    assert result.exit_code == 0 and "--case-sensitive" in result.output and "--ignore" in result.output
    assert all(name in result.output for name in ENGINES)


def test_yolo_text_pages_need_one_transcription_per_box(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "text").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.full((100, 200), 255, np.uint8))
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.2\n0 0.5 0.8 0.5 0.2\n")
    (tmp_path / "text" / "a.txt").write_text("HELLO\n")
    with pytest.raises(LabelError, match="1 transcriptions for the 2 boxes"):
        yolo_text_pages(tmp_path)
    (tmp_path / "text" / "a.txt").write_text("HELLO\nWORLD\n\n")
    (page,) = yolo_text_pages(tmp_path)
    assert [r.text for r in page.regions] == ["HELLO", "WORLD"] and page.regions[0].box == (50, 40, 150, 60)


def test_line_bench_writes_a_gallery(line_folder, tmp_path):
    from yocr.bench.lines import LinesBenchConfig, bench_lines

    results = bench_lines(LinesBenchConfig(labels=(line_folder / "labels.txt",), out=tmp_path / "out", engines=("crnn",)))
    assert results[0].lines == 6
    assert (tmp_path / "out" / "lines-gallery.png").is_file()
    assert "lines-gallery.png" in (tmp_path / "out" / "lines.md").read_text()
    report = (tmp_path / "out" / "lines.md").read_text()
    assert "## Confidence" in report and "crnn: calibration error" in report
    assert 0 <= results[0].calibration_error <= 1
    assert sum(b["lines"] for b in results[0].confidence_bins) == 6


def test_reading_at_prefers_the_row_words_that_match_the_truth():
    row = engine_line((0, 0, 300, 10), ((0, 0, 300, 10),), "Item Qty Total")  # one box over wide table columns
    assert reading_at((260, 0, 300, 10), [row], "TOTAL") == "Total"


def test_calibration_bins_and_error():
    from yocr.metrics import calibration

    bins, gap = calibration([0.3, 0.35, 0.95, 0.95, 1.0], [False, True, True, True, True])
    assert [(b.low, b.lines) for b in bins] == [(0.0, 2), (0.9, 2), (0.99, 1)]  # 1.0 falls in the last bin
    assert bins[0].exact == 0.5 and abs(bins[0].mean_confidence - 0.325) < 1e-9
    assert abs(gap - (2 * 0.175 + 2 * 0.05 + 0.0) / 5) < 1e-9
    assert calibration([], []) == ([], 0.0)
    with pytest.raises(ValueError):
        calibration([0.5], [])


def test_yocr_engines_read_pages_in_worker_processes_like_one_process(tmp_path):
    from yocr.bench.pages import PageBenchConfig, open_engine, run_in_workers

    golden = Path(__file__).parent / "golden" / "pages"
    paths = [golden / "receipt.png", golden / "letter.png", golden / "receipt.png"]
    cfg = PageBenchConfig(engines=("yocr-crnn",))
    run = run_in_workers("yocr-crnn", "golden", paths, cfg, workers=2)
    engine = open_engine("yocr-crnn", cfg)
    alone = [[ln.text for ln in engine(cv2.imread(str(p)))] for p in paths]
    assert [[ln.text for ln in page] for page in run.pages] == alone  # in input order
    assert len(run.latencies) == 3 and run.run_seconds > run.load_seconds > 0
    assert run.steps.get("recognise", 0) > 0 and run.steps.get("detect", 0) > 0
