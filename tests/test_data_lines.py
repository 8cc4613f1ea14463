"""Line data: labels files and their edge cases, synthetic lines, crops from annotated pages."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from yocr.data.annotations import read_funsd_lines, read_sroie_boxes, sroie_pages
from yocr.data.crops import write_crops
from yocr.data.labels import prepare_folder, read_labels
from yocr.data.synth_lines import SynthLinesConfig, synth_lines
from yocr.errors import LabelError

from conftest import render_line


def test_literal_null_like_labels_survive(line_folder):
    samples, problems = read_labels(line_folder / "labels.txt")
    assert [s.label for s in samples] == ["TOTAL 12.50", "hello world", "Cash", "null", "NA", "2024-01-31"]
    assert problems == []


def test_csv_labels_keep_null_nan_none(tmp_path):
    for i, t in enumerate(["null", "nan", "None", "NA"]):
        cv2.imwrite(str(tmp_path / f"{i}.png"), render_line(t))
    (tmp_path / "labels.csv").write_text("path,label\n0.png,null\n1.png,nan\n2.png,None\n3.png,NA\n")
    samples, _ = read_labels(tmp_path / "labels.csv")
    assert [s.label for s in samples] == ["null", "nan", "None", "NA"]


def test_empty_labels_and_missing_images_are_reported_by_name(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), render_line("a"))
    (tmp_path / "labels.txt").write_text("a.png ok\nb.png missing\na.png \nc.png\n")
    samples, problems = read_labels(tmp_path / "labels.txt")
    assert [s.label for s in samples] == ["ok"]
    text = "\n".join(problems)
    assert "b.png: image not found" in text and "empty label" in text and "c.png: no label" in text


def test_prepare_writes_csv_and_json_maps_and_skips_unreadable(tmp_path, line_folder):
    (line_folder / "images" / "broken.png").write_bytes(b"\x89PNG garbage")
    with open(line_folder / "labels.txt", "a") as f:
        f.write("broken.png broken\n")
    n, problems = prepare_folder(line_folder / "labels.txt", tmp_path / "out" / "data.csv")
    assert n == 6
    assert any("broken.png: not a readable image" in p for p in problems)
    maps = json.loads((tmp_path / "out" / "charset.json").read_text())
    assert maps["blank"] == 0 and maps["index_to_char"][str(maps["char_to_index"]["T"])] == "T"
    assert not list((tmp_path / "out").glob("*.pkl"))
    import pandas as pd

    df = pd.read_csv(tmp_path / "out" / "data.csv", keep_default_na=False)
    assert "null" in df["label"].tolist() and "NA" in df["label"].tolist()


def test_synth_lines_is_deterministic_and_in_trsynth_layout(tmp_path):
    cfg = SynthLinesConfig(count=12, seed=3, workers=1)
    synth_lines(tmp_path / "a", cfg, corpus=["TAN WOON YANN", "RM 12.50"])
    synth_lines(tmp_path / "b", cfg, corpus=["TAN WOON YANN", "RM 12.50"])
    la = (tmp_path / "a" / "labels.txt").read_text()
    assert la == (tmp_path / "b" / "labels.txt").read_text()
    rows = [ln.split(" ", 1) for ln in la.splitlines()]
    assert len(rows) == 12 and all(t.strip() for _, t in rows)
    for name, _ in rows:
        a = cv2.imread(str(tmp_path / "a" / "images" / name))
        b = cv2.imread(str(tmp_path / "b" / "images" / name))
        assert a is not None and np.array_equal(a, b)
    assert any(" " in t for _, t in rows)  # multi-word lines teach spaces


def _sroie_page(tmp_path: Path) -> Path:
    root = tmp_path / "sroie"
    (root / "img").mkdir(parents=True)
    (root / "box").mkdir()
    page = np.full((200, 400, 3), 255, np.uint8)
    page[20:44, 10:10 + 150] = cv2.cvtColor(cv2.resize(render_line("TOTAL, RM"), (150, 24)), cv2.COLOR_GRAY2BGR)
    cv2.imwrite(str(root / "img" / "000.jpg"), page)
    (root / "box" / "000.csv").write_text("10,20,160,20,160,44,10,44,TOTAL, RM\n5,100,7,100,7,102,5,102,x\n")
    return root


def test_sroie_text_may_contain_commas(tmp_path):
    root = _sroie_page(tmp_path)
    regions = read_sroie_boxes(root / "box" / "000.csv")
    assert regions[0].text == "TOTAL, RM" and regions[0].box == (10, 20, 160, 44)


def test_sroie_bad_line_names_file_and_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("1,2,3,4,TEXT\n")
    with pytest.raises(LabelError, match="bad.csv:1"):
        read_sroie_boxes(f)


def test_crops_from_sroie_pages(tmp_path):
    root = _sroie_page(tmp_path)
    n, problems = write_crops(sroie_pages(root), tmp_path / "crops")
    assert n == 1 and any("too small" in p for p in problems)
    name, label = (tmp_path / "crops" / "labels.txt").read_text().splitlines()[0].split(" ", 1)
    assert label == "TOTAL, RM"
    crop = cv2.imread(str(tmp_path / "crops" / "images" / name))
    assert crop.shape[0] > 24 and crop.shape[1] > 150  # margin added
    assert "000" in (tmp_path / "crops" / "groups.csv").read_text()


def test_funsd_words_grouped_into_lines(tmp_path):
    ann = {"form": [{"words": [
        {"box": [10, 10, 50, 30], "text": "Date:"}, {"box": [55, 11, 120, 31], "text": "June 21"},
        {"box": [400, 10, 450, 30], "text": "far"}, {"box": [10, 50, 60, 70], "text": "next"},
        {"box": [10, 80, 20, 200], "text": "vertical"}, {"box": [30, 80, 40, 90], "text": ""},
    ]}]}
    f = tmp_path / "a.json"
    f.write_text(json.dumps(ann))
    texts = sorted(r.text for r in read_funsd_lines(f))
    assert texts == ["Date: June 21", "far", "next"]


def test_detected_cells_are_labelled_by_the_annotations_that_make_them_up():
    from yocr.data.annotations import Region
    from yocr.data.crops import label_cells

    regions = [Region((10, 10, 60, 30), "TOTAL"), Region((70, 10, 120, 30), "12.50"), Region((10, 50, 120, 70), "THANK YOU"),
               Region((200, 10, 260, 30), "   ")]
    cells = [(8, 8, 122, 32),  # a row of two segments: joined left to right
             (10, 50, 60, 70),  # half of a line: its segment's centre is outside, nothing inside
             (10, 10, 120, 70),  # two lines in one box: their union is the box, but they are not one row
             (5, 45, 300, 75),  # a line in a box far too wide: IoU under 0.5
             (190, 5, 270, 35)]  # only a blank annotation inside
    assert label_cells(cells, regions) == ["TOTAL 12.50", None, None, None, None]


def test_crops_as_the_reader_cuts_them(tmp_path):
    from yocr.core.geometry import Box
    from yocr.data.crops import write_detected_crops

    root = _sroie_page(tmp_path)

    class Cutter:  # cuts two lines: the annotated one and one no annotation makes up
        def cut(self, image):
            cells = [Box(9, 19, 161, 45), Box(200, 150, 300, 170)]
            return None, None, cells, [(image.bgr[int(c.y0):int(c.y1), int(c.x0):int(c.x1)], None) for c in cells]

    n, problems = write_detected_crops(sroie_pages(root), tmp_path / "det", Cutter())
    assert n == 1 and any("matches no annotation" in p for p in problems)
    name, label = (tmp_path / "det" / "labels.txt").read_text().splitlines()[0].split(" ", 1)
    assert label == "TOTAL, RM" and name == "000_d000.png"
    assert cv2.imread(str(tmp_path / "det" / "images" / name)).shape[:2] == (26, 152)
    (root / "img" / "000.jpg").write_bytes(b"broken")
    n, problems = write_detected_crops(sroie_pages(root), tmp_path / "det2", Cutter())
    assert n == 0 and any("000.jpg" in p for p in problems)
