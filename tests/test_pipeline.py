"""The end-to-end pipeline: loading every input kind, reading order, cleaning, fallback, and ``yocr run`` at scale.

The detector and recognizer are replaced by stubs here (a projection-profile line finder and a fixed reader), so
these tests check the pipeline's contracts, not the models; the golden test with the shipped models is separate.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from yocr.errors import ImageLoadError, YocrError
from yocr.pipeline import load, order, reader as reader_mod
from yocr.pipeline.clean import Cleaner, read_rules
from yocr.pipeline import crop as crop_mod
from yocr.pipeline.crop import (
    Looks, line_crops_with_transforms, packed, skew_angle, split_stacked, straighten, text_angle,
)
from yocr.pipeline.reader import Reader, ReaderConfig, Stages
from yocr.pipeline.run import RunOptions, run
from yocr.core import image as image_mod
from yocr.core.geometry import CROP_MARGIN, Box, iou_matrix
from yocr.core.image import PageImage
from yocr.core.results import Detection, Detections, Reading

from conftest import FONT, render_line


# --- stubs ----------------------------------------------------------------------------------------------------------


def det(x0: float, y0: float, x1: float, y1: float, score: float = 0.9) -> Detection:
    return Detection(Box(x0, y0, x1, y1), score)


class InkDetector:
    """Finds dark blobs merged horizontally: good enough for black text on a white synthetic page."""

    def detect(self, image: PageImage) -> list[Detection]:
        grey = image.grey
        _, ink = cv2.threshold(grey, 128, 255, cv2.THRESH_BINARY_INV)
        ink = cv2.dilate(ink, np.ones((3, 25), np.uint8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(ink)
        return [det(x, y, x + w, y + h) for x, y, w, h, area in stats[1:] if area > 50]


def fixed_reader(text: str = "word", confidence: float = 0.9):
    return lambda crops: [Reading(text, confidence) for _ in crops]


def stub_reader(**config) -> Reader:
    stages = Stages(InkDetector(), fixed_reader(), None)
    return Reader(ReaderConfig(**config), stages=stages)


def page_image(lines: list[tuple[int, int, str]], size=(600, 400)) -> np.ndarray:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 20)
    for x, y, text in lines:
        draw.text((x, y), text, font=font, fill="black")
    return np.asarray(image)[:, :, ::-1].copy()


# --- loading --------------------------------------------------------------------------------------------------------


def test_load_every_image_kind(tmp_path):
    rgb = Image.new("RGB", (40, 20), (200, 30, 30))
    rgb.save(tmp_path / "a.webp")
    rgb.save(tmp_path / "a.bmp")
    rgb.convert("CMYK").save(tmp_path / "cmyk.jpg")
    rgb.convert("P").save(tmp_path / "palette.png")
    Image.new("RGBA", (40, 20), (0, 0, 0, 0)).save(tmp_path / "alpha.png")
    Image.fromarray(np.full((20, 40), 60000, np.uint16)).save(tmp_path / "deep.png")
    for name in ("a.webp", "a.bmp", "cmyk.jpg", "palette.png", "alpha.png", "deep.png"):
        (page,) = image_mod.load_pages(tmp_path / name)
        assert (page.index, page.count) == (0, 1)
        assert page.bgr.dtype == np.uint8 and page.bgr.shape == (20, 40, 3), name
    (alpha,) = image_mod.load_pages(tmp_path / "alpha.png")
    assert alpha.bgr.min() == 255  # transparent pixels become paper, not black


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    Image.new("RGB", (60, 20), "white").save(tmp_path / "turned.jpg", exif=exif)
    (page,) = image_mod.load_pages(tmp_path / "turned.jpg")
    assert page.bgr.shape[:2] == (60, 20)


def test_multi_page_tiff_and_pdf(tmp_path):
    pages = [Image.new("RGB", (80, 40), c) for c in ("white", "grey", "black")]
    pages[0].save(tmp_path / "scan.tiff", save_all=True, append_images=pages[1:])
    pages[0].save(tmp_path / "doc.pdf", save_all=True, append_images=pages[1:2])
    tiff = list(image_mod.load_pages(tmp_path / "scan.tiff"))
    assert [(p.index, p.count) for p in tiff] == [(0, 3), (1, 3), (2, 3)]
    assert tiff[2].bgr.max() == 0
    pdf = list(image_mod.load_pages(tmp_path / "doc.pdf"))
    assert [(p.index, p.count) for p in pdf] == [(0, 2), (1, 2)]
    assert pdf[0].bgr.ndim == 3 and pdf[0].width > 80  # rendered at 200 dpi, not 72


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.png", b"", "empty file"),
        ("text.jpg", b"this is not an image", "not an image"),
        ("notes.pdf", b"%PDF-1.4 broken", "unreadable PDF"),
    ],
)
def test_bad_files_raise_an_error_naming_them(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImageLoadError, match=reason) as info:
        list(image_mod.load_pages(tmp_path / name))
    assert name in str(info.value)


def test_truncated_and_too_large_images(tmp_path, monkeypatch):
    ok, jpg = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8))
    (tmp_path / "cut.jpg").write_bytes(jpg.tobytes()[: len(jpg) // 2])
    with pytest.raises(ImageLoadError, match="truncated"):
        list(image_mod.load_pages(tmp_path / "cut.jpg"))
    Image.new("RGB", (300, 300)).save(tmp_path / "big.png")
    monkeypatch.setattr(image_mod, "MAX_PIXELS", 10_000)
    with pytest.raises(ImageLoadError, match="too large"):
        list(image_mod.load_pages(tmp_path / "big.png"))


def test_expand_inputs_mirrors_folders_and_reports_missing(tmp_path):
    (tmp_path / "in" / "sub dir").mkdir(parents=True)
    for rel in ("a.png", "sub dir/b é.jpg", "notes.txt"):
        (tmp_path / "in" / rel).write_bytes(b"x")
    items, missing = load.expand_inputs([tmp_path / "in", str(tmp_path / "nothing*.png"), tmp_path / "gone.png"])
    assert sorted(str(i.rel) for i in items) == ["a", "sub dir/b é"]  # folders: supported suffixes only
    assert [m.reason for m in missing] == ["no file matches this pattern", "no such file or folder"]


# --- steps ----------------------------------------------------------------------------------------------------------


def test_cleaning_rules(tmp_path):
    clean = Cleaner()
    assert clean("  TOTAL \t  12.50 ") == "TOTAL 12.50"
    assert clean("A\x00B\x1bC") == "ABC"
    assert clean("--") is None and clean("  ") is None and clean("-- end --") == "-- end --"
    rules = tmp_path / "rules.tsv"
    rules.write_text("# money\nRM\\s*(\\d)\tRM \\1\n[|]\n", encoding="utf-8")
    custom = Cleaner.from_options(rules, allow="RM0123456789. ")
    assert custom("RM12.50|x") == "RM 12.50"
    rules.write_text("ok\tfine\n(unclosed\tx\n")
    with pytest.raises(YocrError, match=r"rules.tsv:2: bad regular expression"):
        read_rules(rules)


def test_reading_order_keeps_columns_apart_and_joins_row_cells():
    # a two-column page: rows of the two columns do not line up
    left = [det(10, 10 + 30 * i, 280, 30 + 30 * i) for i in range(5)]
    right = [det(320, 25 + 30 * i, 590, 45 + 30 * i) for i in range(5)]
    rows = order.reading_order(right + left)
    assert [r for r in rows] == [[b] for b in left] + [[b] for b in right]
    # a receipt: item and price cells of one row become one line
    items = [det(10, 20 * i, 200, 20 * i + 15) for i in range(6)]
    prices = [det(400, 20 * i + 1, 460, 20 * i + 16) for i in range(6)]
    rows = order.reading_order(prices + items)
    assert rows == [[items[i], prices[i]] for i in range(6)]


def test_reading_order_keeps_aligned_book_columns_apart_but_not_table_cells():
    # a book page whose two columns share their baselines: the lines pair up, but both sides are running text
    left = [det(10, 10 + 30 * i, 280 - (60 if i == 3 else 0), 30 + 30 * i) for i in range(6)]
    right = [det(320, 10 + 30 * i, 590, 30 + 30 * i) for i in range(6)]
    assert order.reading_order(right + left) == [[b] for b in left] + [[b] for b in right]
    # a table of wide cells whose second column holds short values: rows stay rows
    names = [det(10, 10 + 30 * i, 280, 30 + 30 * i) for i in range(6)]
    values = [det(320, 10 + 30 * i, 380 + 30 * (i % 3), 30 + 30 * i) for i in range(6)]
    assert order.reading_order(values + names) == [[names[i], values[i]] for i in range(6)]
    # three lines a side are too few to call running text
    assert order.reading_order(right[:3] + left[:3]) == [[left[i], right[i]] for i in range(3)]


def test_straighten_levels_a_rotated_line():
    line = render_line("a slightly rotated receipt line 12.50", size=28)
    h, w = line.shape
    canvas = np.full((h + 60, w + 20), 255, np.uint8)
    canvas[30 : 30 + h, 10 : 10 + w] = line
    rot = cv2.getRotationMatrix2D((canvas.shape[1] / 2, canvas.shape[0] / 2), 4.0, 1.0)
    turned = cv2.warpAffine(canvas, rot, canvas.shape[::-1], borderValue=255)
    assert abs(abs(skew_angle(turned)) - 4.0) < 1.0
    level = straighten(turned)
    assert abs(skew_angle(level)) < 1.0 and level.shape[0] < turned.shape[0]
    assert straighten(canvas) is canvas  # a level line is left untouched


def test_a_packed_slanted_line_is_cut_from_its_neighbours():
    # three closely set lines of a page photographed at 3 degrees; the middle line's axis-aligned box holds pieces
    # of the other two, which pull the ink's principal axis towards the box's diagonal
    texts = ("lines above and below it pull the", "the middle line of a slanted page 12.50", "principal axis of the ink awry")
    lines = [render_line(t, size=28, pad=0) for t in texts]
    height = max(line.shape[0] for line in lines)
    page = np.full((400, 900), 255, np.uint8)
    for k, line in enumerate(lines):
        page[120 + 40 * k : 120 + 40 * k + line.shape[0], 40 : 40 + line.shape[1]] = line
    rot = cv2.getRotationMatrix2D((450, 200), 3.0, 1.0)
    turned = cv2.warpAffine(page, rot, (900, 400), borderValue=255)
    right = 40 + lines[1].shape[1]
    corners = np.array([[40, 160], [right, 160], [right, 160 + height], [40, 160 + height]], float)
    moved = corners @ rot[:, :2].T + rot[:, 2]
    x0, y0 = moved.min(axis=0).astype(int)
    x1, y1 = moved.max(axis=0).astype(int)
    crop = turned[y0:y1, x0:x1]
    assert abs(abs(text_angle(crop)) - 3.0) < 0.5
    line = straighten(crop, crowded=True)
    assert line.shape[0] < 1.6 * height < crop.shape[0]
    assert abs(skew_angle(line)) < 1.0


def slanted_page(texts, spacing: int, angle: float):
    """The lines of ``texts`` rendered ``spacing`` px apart on a 900 x 400 page from y = 120, x = 40, and that page
    turned by ``angle`` degrees about its centre: ``(lines, page, rotation, turned page in BGR)``."""
    lines = [render_line(t, size=28, pad=0) for t in texts]
    page = np.full((400, 900), 255, np.uint8)
    for k, line in enumerate(lines):
        page[120 + spacing * k : 120 + spacing * k + line.shape[0], 40 : 40 + line.shape[1]] = line
    rot = cv2.getRotationMatrix2D((450, 200), angle, 1.0)
    return lines, page, rot, cv2.cvtColor(cv2.warpAffine(page, rot, (900, 400), borderValue=255), cv2.COLOR_GRAY2BGR)


def test_a_box_around_three_slanted_lines_is_split_into_three():
    texts = ("three lines of a page photographed", "at an angle that the detector boxed", "together as one line 12.50")
    lines, page, rot, turned = slanted_page(texts, 45, 4.0)
    truths = []  # each line's own box on the turned page: its four corners turned
    for k, line in enumerate(lines):
        x0, y0, x1, y1 = 40, 120 + 45 * k, 40 + line.shape[1], 120 + 45 * k + line.shape[0]
        moved = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float) @ rot[:, :2].T + rot[:, 2]
        truths.append((*moved.min(axis=0), *moved.max(axis=0)))
    ys, xs = np.nonzero(turned[..., 0] < 128)
    whole = Detection((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), 0.8)
    found = split_stacked(turned, Detections([whole]))
    assert len(found) == 3 and all(d.score == 0.8 for d in found)
    overlap = iou_matrix([d.box for d in sorted(found, key=lambda d: d.box.centre_y)], truths)
    assert overlap.diagonal().min() > 0.75  # each part is its own line's box, mapped back to the page
    level = Detection((40, 120, 40 + lines[0].shape[1], 120 + lines[0].shape[0]))
    assert list(split_stacked(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR), Detections([level]))) == [level]


def test_crops_cut_after_the_split_reuse_its_looks_and_match_a_fresh_cut():
    # slanted, packed lines: the split and the crops both turn each box's crop; shared looks change nothing
    texts = ("a photographed page whose lines", "are set close and slanted by three", "degrees so their boxes overlap")
    lines, _, _, turned = slanted_page(texts, 36, 3.0)
    boxes = [Detection((30, 110 + 36 * k, 60 + lines[k].shape[1], 165 + 36 * k)) for k in range(3)]
    looks = Looks()
    found = split_stacked(turned, Detections(boxes), looks=looks)
    cells = [d.box for d in found]
    kept = [c for c in cells if c in [b.box for b in boxes]]  # boxes the split left whole (the others were split)
    assert kept and all(looks.of(turned, c, CROP_MARGIN)._turned is not None for c in kept)  # turned there already
    shared = line_crops_with_transforms(turned, cells, looks=looks)
    fresh = line_crops_with_transforms(turned, cells)
    assert packed(cells).all() and len(shared) == len(fresh) == 3
    for (a, ma), (b, mb) in zip(shared, fresh):
        assert np.array_equal(a, b) and np.array_equal(ma, mb)
    # the corners a turn uncovers take the crop's paper colour: the 90th percentile, as numpy's own gives it
    crop_bgr = np.ascontiguousarray(turned[120:200, 30:600])
    rot = cv2.getRotationMatrix2D((285, 40), 5.0, 1.0)
    sample = crop_bgr[::4, ::4]
    paper = tuple(float(v) for v in np.percentile(sample, 90, axis=(0, 1)))
    expected = cv2.warpAffine(crop_bgr, rot, (570, 80), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=paper)
    assert np.array_equal(crop_mod._turn(crop_bgr, rot), expected)


def test_packed_boxes_are_those_whose_heights_overlap():
    # slanted lines: consecutive boxes overlap by a third of their height; a receipt's rows and a row's cells do not
    assert packed([(0, 0, 500, 60), (0, 40, 500, 100), (0, 80, 500, 140)]).tolist() == [True, True, True]
    assert packed([(0, 0, 300, 20), (0, 24, 300, 44), (320, 0, 400, 20)]).tolist() == [False, False, False]
    assert packed([(0, 0, 10, 10)]).tolist() == [False]


def test_reader_reads_an_array_into_a_page():
    image = page_image([(20, 20, "ITEM ONE"), (400, 22, "4.50"), (20, 80, "TOTAL")])
    page = stub_reader().read(image)
    assert page.width == 600 and page.height == 400
    assert page.text == "word word\nword"  # the item and its price joined on one line
    assert len(page.lines[0].parts) == 2
    assert set(page.timings) >= {"detect", "recognise", "clean"}
    doc = page.to_dict()
    assert doc["lines"][0]["det_score"] == 0.9 and 0 <= doc["lines"][0]["confidence"] <= 1


def test_fallback_rereads_low_confidence_lines():
    image = page_image([(20, 20, "ONE"), (20, 80, "TWO")])
    calls = []

    def tesseract_stub(crops):
        calls.append(len(crops))
        return [Reading("from tesseract", 0.8) for _ in crops]

    stages = Stages(InkDetector(), fixed_reader("unsure", 0.2), tesseract_stub)
    page = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.5), stages=stages).read(image)
    assert calls == [2] and page.text == "from tesseract\nfrom tesseract"
    assert {ln.engine for ln in page.lines} == {"tesseract"}
    sure = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.1), stages=stages).read(image)
    assert calls == [2] and sure.text == "unsure\nunsure"  # nothing below the threshold: no second read
    doubtful = Stages(InkDetector(), fixed_reader("unsure", 0.2), lambda crops: [Reading("worse", 0.1) for _ in crops])
    kept = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.5), stages=doubtful).read(image)
    assert kept.text == "unsure\nunsure"  # Tesseract's reading is kept only where it is surer


def test_prose_pages_are_those_of_long_lines():
    long_lines = [det(40, 30 * i, 560, 30 * i + 20) for i in range(10)]  # 26 x as wide as high
    cells = [det(40, 30 * i, 140, 30 * i + 20) for i in range(10)]  # a receipt's items: 5 x
    assert order.prose_page(long_lines)
    assert not order.prose_page(cells)
    assert not order.prose_page(long_lines[:5] + cells[5:])  # half running text: a form, a receipt
    assert not order.prose_page(long_lines[: order.PROSE_MIN_LINES - 1])  # a label's few lines are not a page of prose


def test_pages_of_prose_fall_back_below_their_own_threshold():
    prose = page_image([(20, 10 + 38 * i, "running text of a book page") for i in range(10)], size=(600, 400))
    items = page_image([(20, 10 + 38 * i, "item") for i in range(10)], size=(600, 400))
    calls = []

    def tesseract_stub(crops):
        calls.append(len(crops))
        return [Reading("from tesseract", 0.9) for _ in crops]

    stages = Stages(InkDetector(), fixed_reader("unsure", 0.6), tesseract_stub)
    reader = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.45, prose_fallback_below=0.85), stages=stages)
    assert set(reader.read(prose).text.splitlines()) == {"from tesseract"} and calls == [10]
    assert set(reader.read(items).text.splitlines()) == {"unsure"} and calls == [10]  # 0.6 is sure enough there
    off = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.45, prose_fallback_below=0.0), stages=stages)
    assert set(off.read(prose).text.splitlines()) == {"unsure"} and calls == [10]
    higher = Reader(ReaderConfig(fallback="tesseract", fallback_below=0.7, prose_fallback_below=0.5), stages=stages)
    assert set(higher.read(items).text.splitlines()) == {"from tesseract"} and calls == [10, 10]  # 0.7 everywhere
    with pytest.raises(YocrError, match="prose-fallback-below"):
        ReaderConfig(prose_fallback_below=1.5)


class SceneDetector(InkDetector):
    """:class:`InkDetector` that takes every page for a photo of a scene."""

    def detect(self, image: PageImage) -> Detections:
        return Detections(super().detect(image), scene=True)


def test_unsure_lines_of_scene_photos_are_left_out():
    image = page_image([(20, 20, "SHOP"), (20, 80, "OPEN")])
    unsure = Stages(SceneDetector(), fixed_reader("texture", 0.2), None)
    assert Reader(ReaderConfig(), stages=unsure).read(image).text == ""  # 0.2 < 0.3: a texture read as text
    assert Reader(ReaderConfig(scene_min_confidence=0.0), stages=unsure).read(image).text == "texture\ntexture"
    sure = Stages(SceneDetector(), fixed_reader("OPEN", 0.6), None)
    assert Reader(ReaderConfig(), stages=sure).read(image).text == "OPEN\nOPEN"
    document = Stages(InkDetector(), fixed_reader("faint", 0.2), None)  # a document keeps its unsure lines
    assert Reader(ReaderConfig(), stages=document).read(image).text == "faint\nfaint"
    with pytest.raises(YocrError, match="scene-min-confidence"):
        ReaderConfig(scene_min_confidence=-0.1)


def test_auto_fallback_runs_without_tesseract(monkeypatch):
    from yocr.pipeline import tesseract
    from yocr.pipeline.reader import fallback_reader

    monkeypatch.setattr(tesseract, "available", lambda: False)
    assert fallback_reader(ReaderConfig()) is None  # the default: no Tesseract, no re-reading, no error
    assert fallback_reader(ReaderConfig(fallback="none")) is None
    assert fallback_reader(ReaderConfig(recognizer="tesseract")) is None


def test_bad_config_values_are_refused():
    with pytest.raises(YocrError, match="unknown engine"):
        ReaderConfig(engine="magic")
    with pytest.raises(YocrError, match="fallback-below"):
        ReaderConfig(fallback_below=2.0)


# --- runs -----------------------------------------------------------------------------------------------------------


def make_inputs(root: Path) -> Path:
    src = root / "in"
    (src / "scans ü").mkdir(parents=True)
    cv2.imwrite(str(src / "receipt.png"), page_image([(20, 20, "TOTAL"), (20, 80, "CASH")]))
    cv2.imwrite(str(src / "scans ü" / "page one.jpg"), page_image([(20, 20, "HELLO")]))
    cv2.imwrite(str(src / "dot.png"), np.full((1, 1, 3), 255, np.uint8))  # a 1 x 1 image: no text
    cv2.imwrite(str(src / "blank.png"), np.full((300, 300, 3), 255, np.uint8))
    (src / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    (src / "zero.png").write_bytes(b"")
    return src


def test_run_writes_mirrored_outputs_and_reports_bad_files(tmp_path):
    src = make_inputs(tmp_path)
    out = tmp_path / "out"
    summary = run([src], RunOptions(out, json=True, overlay=True), reader=stub_reader())
    assert (summary.done, summary.failed) == (4, 2)
    assert (out / "receipt.txt").read_text() == "word\nword\n"
    assert (out / "scans ü" / "page one.txt").read_text() == "word\n"
    assert (out / "dot.txt").read_text() == "" and (out / "blank.txt").read_text() == ""
    doc = json.loads((out / "receipt.json").read_text())
    assert doc["width"] == 600 and len(doc["lines"]) == 2 and "detect" in doc["timings"]
    assert (out / "receipt.overlay.png").is_file()
    errors = (out / "errors.tsv").read_text().splitlines()
    assert errors[0] == "path\treason" and len(errors) == 3
    assert any("broken.jpg" in e and "not an image" in e for e in errors)
    assert any("zero.png" in e and "empty file" in e for e in errors)
    assert not list(out.rglob("*.tmp"))


def test_rerun_resumes_and_overwrite_redoes(tmp_path):
    src = make_inputs(tmp_path)
    out = tmp_path / "out"
    run([src], RunOptions(out), reader=stub_reader())
    (out / "receipt.txt").write_text("kept\n")
    again = run([src], RunOptions(out), reader=stub_reader())
    assert (again.done, again.skipped, again.failed) == (0, 4, 2)
    assert (out / "receipt.txt").read_text() == "kept\n"
    redo = run([src], RunOptions(out, overwrite=True), reader=stub_reader())
    assert redo.done == 4 and (out / "receipt.txt").read_text() == "word\nword\n"


def test_interrupted_run_keeps_finished_files_and_leaves_no_partial_output(tmp_path):
    src = make_inputs(tmp_path)
    out = tmp_path / "out"
    reader = stub_reader()
    real = reader.read_page
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    reader.read_page = flaky
    summary = run([src], RunOptions(out), reader=reader)
    assert summary.interrupted and summary.done == 2
    assert len(list(out.rglob("*.txt"))) == 2 and not list(out.rglob("*.tmp"))
    resumed = run([src], RunOptions(out), reader=stub_reader())
    assert (resumed.skipped, resumed.done) == (2, 2)


def test_multi_page_outputs_with_page_breaks_or_split(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    pages = [Image.fromarray(page_image([(20, 20 + 60 * k, "LINE")] * 1)[:, :, ::-1]) for k in range(3)]
    pages[0].save(src / "scan.tif", save_all=True, append_images=pages[1:])
    pages[0].save(src / "doc.pdf", save_all=True, append_images=pages[1:2])
    out = tmp_path / "out"
    run([src], RunOptions(out, json=True), reader=stub_reader())
    assert (out / "scan.txt").read_text() == "word\fword\fword\n"
    assert (out / "doc.txt").read_text() == "word\fword\n"
    assert len(json.loads((out / "scan.json").read_text())["pages"]) == 3
    split = tmp_path / "split"
    run([src / "scan.tif"], RunOptions(split, split_pages=True), reader=stub_reader())
    assert sorted(p.name for p in split.iterdir()) == ["scan-p0001.txt", "scan-p0002.txt", "scan-p0003.txt", "scan.pages"]
    again = run([src / "scan.tif"], RunOptions(split, split_pages=True), reader=stub_reader())
    assert again.skipped == 1


def test_cli_run_exit_code_and_errors_file(tmp_path, monkeypatch):
    from yocr.cli import app

    monkeypatch.setattr(reader_mod, "build_stages", lambda cfg: Stages(InkDetector(), fixed_reader(), None))
    src = make_inputs(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(src), str(tmp_path / "missing.png"), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "broken.jpg" in result.output and "missing.png" in result.output and "4 read" in result.output
    assert (out / "receipt.txt").is_file() and (out / "errors.tsv").is_file()
    result = CliRunner().invoke(app, ["run", str(src / "receipt.png"), "--out", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(app, ["run", str(src), "--out", str(out), "--engine", "nope"])
    assert bad.exit_code == 2 and "unknown engine" in bad.output


@pytest.mark.skipif(not __import__("shutil").which("tesseract"), reason="tesseract is not installed")
def test_tesseract_page_engine_reads_a_rendered_page():
    image = page_image([(20, 20, "INVOICE NUMBER 12345"), (20, 120, "TOTAL AMOUNT 99.50")])
    page = Reader(ReaderConfig(engine="tesseract-page")).read(image)
    assert "INVOICE" in page.text and "99.50" in page.text
    assert all(ln.engine == "tesseract-page" for ln in page.lines)


def test_overlapping_cells_of_a_row_are_read_once():
    a, b = det(10, 10, 300, 30, 0.8), det(200, 12, 500, 31, 0.9)
    (row,) = order.reading_order([b, a])
    assert row == [det(10, 10, 500, 31, 0.9)]


def test_tesseract_api_and_command_read_lines_alike():
    from dataclasses import replace

    from yocr.pipeline import tesseract

    if not (tesseract.available() and tesseract.api_available()):
        pytest.skip("needs tesseract and tesserocr (both installed by setup.sh)")
    lines = [render_line(t, size=28) for t in ("TOTAL 42.50", "Thank you", "Invoice 2024-01-05")]
    cfg = tesseract.TesseractConfig()
    by_api = tesseract.read_lines(lines, cfg)
    by_command = tesseract.read_lines(lines, replace(cfg, api="never"))
    assert [r.text for r in by_api] == [r.text for r in by_command] == ["TOTAL 42.50", "Thank you", "Invoice 2024-01-05"]
    for a, b in zip(by_api, by_command):
        assert abs(a.confidence - b.confidence) < 0.05
        assert [w.text for w in a.words] == [w.text for w in b.words]
        assert all(abs(p - q) <= 1.0 for wa, wb in zip(a.words, b.words) for p, q in zip(wa.box, wb.box))
    assert tesseract.read_lines([np.full((40, 200), 255, np.uint8)], cfg)[0].confidence < 0.1  # a blank crop


def test_crops_of_a_scene_photo_are_read_in_bands_and_of_a_document_plainly():
    from yocr.core.results import Detections

    image = page_image([(20, 20, "ONE"), (20, 80, "TWO")])

    class SceneDetector(InkDetector):
        def detect(self, page):
            return Detections(super().detect(page), scene=True)

    def bands(crops):
        return [Reading("banded", 0.95) for _ in crops]

    config = ReaderConfig(fallback="none")
    scene = Reader(config, stages=Stages(SceneDetector(), fixed_reader("plain"), None, recognize_bands=bands))
    document = Reader(config, stages=Stages(InkDetector(), fixed_reader("plain"), None, recognize_bands=bands))
    assert scene.read(image).text == "banded\nbanded"
    assert document.read(image).text == "plain\nplain"


def test_low_memory_hands_each_pages_memory_back(tmp_path, monkeypatch):
    from yocr import runtime
    from yocr.cli import app

    calls = []
    monkeypatch.setattr(reader_mod, "release_memory", lambda: calls.append(1))
    stages = Stages(InkDetector(), fixed_reader(), None)
    image = page_image([(20, 20, "TOTAL 12.50")])
    Reader(ReaderConfig(), stages=stages).read(image)
    assert calls == []  # by default the memory stays with the process (faster)
    Reader(ReaderConfig(low_memory=True), stages=stages).read(image)
    assert calls == [1]
    monkeypatch.setattr(reader_mod, "build_stages", lambda cfg: stages)
    src = make_inputs(tmp_path)
    result = CliRunner().invoke(app, ["run", str(src / "receipt.png"), "--out", str(tmp_path / "out"), "--workers", "1",
                                      "--low-memory"])
    assert result.exit_code == 0, result.output
    assert calls == [1, 1]
    runtime.release_memory()  # glibc's malloc_trim where there is one, nothing elsewhere: no error either way
