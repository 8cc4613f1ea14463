"""Word boxes from CTC and the writers other tools read: hOCR, ALTO v4 (schema-checked), TSV, searchable PDF."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from yocr.core.results import Line, Page, Word
from yocr.outputs.alto import NS as ALTO_NS
from yocr.outputs.alto import to_alto
from yocr.outputs.hocr import XHTML, to_hocr
from yocr.outputs.pdf import combine_pdfs, write_pdf
from yocr.outputs.tsv import COLUMNS, to_tsv
from yocr.outputs.words import line_words
from yocr.recognizer.charset import Charset
from yocr.recognizer.words import split_words, word_boxes

SCHEMAS = Path(__file__).parent / "schemas"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = [["TOTAL", "12.50"], ["Thank", "you", "&", "<come>", "again"], ["Café", "“quoted”"]]


def rendered_page(path: Path | None = None, lines=LINES, size: int = 40) -> tuple[np.ndarray, Page]:
    """A white page with ``lines`` of words drawn in black, and the Page whose word boxes are the drawn words'."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("RGB", (900, 120 + 90 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    out = []
    for i, words in enumerate(lines):
        x, y = 40.0, 60.0 + 90 * i
        found = []
        for j, w in enumerate(words):
            box = draw.textbbox((x, y), w, font=font)
            draw.text((x, y), w, font=font, fill="black")
            found.append(Word(w, box, 0.5 + 0.05 * j))
            x = box[2] + draw.textlength(" ", font=font)
        box = (found[0].box[0], min(w.box[1] for w in found), found[-1].box[2], max(w.box[3] for w in found))
        out.append(Line(box, " ".join(words), 0.8, 0.9, words=tuple(found)))
    array = np.asarray(image)[:, :, ::-1].copy()
    if path is not None:
        cv2.imwrite(str(path), array)
    return array, Page(str(path) if path else "<array>", image.width, image.height, tuple(out))


def hocr_words(text: str) -> list[list[tuple[str, tuple[int, ...], int]]]:
    """Per page, the (text, bbox, x_wconf) of every ocrx_word, parsed back."""
    root = ET.fromstring(text.split("\n", 2)[2])  # past the declaration and doctype
    pages = []
    for page in root.iter(f"{{{XHTML}}}div"):
        if page.get("class") != "ocr_page":
            continue
        found = []
        for span in page.iter(f"{{{XHTML}}}span"):
            if span.get("class") == "ocrx_word":
                props = dict(p.strip().split(" ", 1) for p in span.get("title").split(";"))
                found.append((span.text, tuple(int(v) for v in props["bbox"].split()), int(props["x_wconf"])))
        pages.append(found)
    return pages


def test_hocr_parses_back_to_the_same_words_and_boxes():
    _, page = rendered_page()
    parsed = hocr_words(to_hocr([page, page]))
    assert len(parsed) == 2
    expected = [(w.text, w.box, w.confidence) for ln in page.lines for w in ln.words]
    assert [t for t, _, _ in parsed[0]] == [t for t, _, _ in expected]
    for (_, bbox, wconf), (_, box, conf) in zip(parsed[0], expected):
        assert bbox[0] <= box[0] < bbox[0] + 1 and bbox[1] <= box[1] < bbox[1] + 1
        assert bbox[2] - 1 < box[2] <= bbox[2] and bbox[3] - 1 < box[3] <= bbox[3]
        assert wconf == round(100 * conf)


def test_hocr_lines_keep_their_words_apart_and_structure_for_ocrmypdf():
    _, page = rendered_page()
    root = ET.fromstring(to_hocr(page).split("\n", 2)[2])
    lines = [s for s in root.iter(f"{{{XHTML}}}span") if s.get("class") == "ocr_line"]
    assert [" ".join("".join(s.itertext()).split()) for s in lines] == [" ".join(w) for w in LINES]
    pars = [p for p in root.iter(f"{{{XHTML}}}p") if p.get("class") == "ocr_par"]
    assert len(pars) == 1 and all(ln in list(pars[0]) for ln in lines)


def alto_schema():
    etree = pytest.importorskip("lxml.etree", reason="lxml validates ALTO against its schema (the [dev] extra)")

    class LocalSchemas(etree.Resolver):  # the schema's xlink import, served from tests/schemas, never fetched
        def resolve(self, url, pubid, context):
            if url.endswith("xlink.xsd"):
                return self.resolve_filename(str(SCHEMAS / "xlink.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return etree, etree.XMLSchema(etree.parse(str(SCHEMAS / "alto-4-4.xsd"), parser))


def test_alto_validates_against_the_alto4_schema_and_keeps_the_words():
    etree, schema = alto_schema()
    _, page = rendered_page()
    empty = Page("<array>", 100, 50, ())
    text = to_alto([page, empty])
    doc = etree.fromstring(text.encode())
    assert schema.validate(doc), schema.error_log
    strings = doc.findall(f".//{{{ALTO_NS}}}String")
    words = [w for ln in page.lines for w in ln.words]
    assert [s.get("CONTENT") for s in strings] == [w.text for w in words]
    for s, w in zip(strings, words):
        x, y = float(s.get("HPOS")), float(s.get("VPOS"))
        assert abs(x - w.box[0]) < 1 and abs(y - w.box[1]) < 1
        assert abs(x + float(s.get("WIDTH")) - w.box[2]) < 1 and float(s.get("WC")) == pytest.approx(w.confidence, abs=1e-4)
    assert len(doc.findall(f".//{{{ALTO_NS}}}Page")) == 2
    assert len(doc.findall(f".//{{{ALTO_NS}}}SP")) == sum(len(ln.words) - 1 for ln in page.lines)


def test_alto_schema_check_catches_a_broken_document():
    etree, schema = alto_schema()
    _, page = rendered_page()
    broken = to_alto(page).replace(' CONTENT="TOTAL"', "")  # CONTENT is required
    assert not schema.validate(etree.fromstring(broken.encode()))


def test_tsv_has_tesseracts_columns_and_one_row_per_word():
    _, page = rendered_page()
    rows = list(csv.DictReader(io.StringIO(to_tsv([page, page])), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert tuple(rows[0].keys()) == COLUMNS
    words = [r for r in rows if r["level"] == "5"]
    assert len(words) == 2 * sum(len(w) for w in LINES)
    assert [r["text"] for r in words[: len(LINES[0])]] == LINES[0]
    first = page.lines[0].words[0]
    assert int(words[0]["left"]) == int(first.box[0]) and float(words[0]["conf"]) == pytest.approx(50.0)
    assert {r["page_num"] for r in rows} == {"1", "2"} and rows[0]["conf"] == "-1"


def test_lines_without_word_boxes_get_them_shared_out_along_the_line():
    line = Line((0, 0, 110, 20), "ab cd", 0.7, 1.0)
    words = line_words(line, 200, 100)
    assert [w.text for w in words] == ["ab", "cd"]
    assert words[0].box[0] == 0 and words[1].box[2] == 110 and words[0].box[2] <= words[1].box[0]


def pdf_words(path: Path) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Per page, the words of the PDF's text layer with their boxes in page-image pixels (pypdfium2)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    pages = []
    for page in doc:
        tp = page.get_textpage()
        words, current, boxes = [], "", []
        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if ch.isspace():
                if current:
                    words.append((current, boxes))
                current, boxes = "", []
                continue
            current += ch
            boxes.append(tp.get_charbox(i))
        if current:
            words.append((current, boxes))
        pages.append([(w, b) for w, b in words])
    sizes = [p.get_size() for p in doc]
    doc.close()
    return pages, sizes


def check_pdf_page(words, size, page: Page) -> None:
    """The PDF's words are the page's, each character inside its word's box across and its line's box down."""
    expected = [(w, ln.box) for ln in page.lines for w in ln.words]
    assert [w for w, _ in words] == [w.text for w, _ in expected]
    sx, sy = page.width / size[0], page.height / size[1]
    for (_, boxes), (w, line) in zip(words, expected):
        for left, bottom, right, top in boxes:  # 1 px slack
            x0, x1 = left * sx, right * sx
            y0, y1 = (size[1] - top) * sy, (size[1] - bottom) * sy
            assert w.box[0] - 1 <= x0 <= x1 <= w.box[2] + 1, (w, x0, x1)
            assert line[1] - 1 <= y0 <= y1 <= line[3] + 1, (w, y0, y1)


def test_searchable_pdf_round_trip_keeps_the_jpeg_and_puts_words_in_their_boxes(tmp_path):
    import pypdfium2 as pdfium

    jpg = tmp_path / "page.jpg"
    _, page = rendered_page(jpg)
    out = write_pdf(tmp_path / "page.pdf", [page])
    words, sizes = pdf_words(out)
    check_pdf_page(words[0], sizes[0], page)
    doc = pdfium.PdfDocument(str(out))
    images = [o for o in doc[0].get_objects() if isinstance(o, pdfium.PdfImage)]
    assert len(images) == 1 and images[0].get_filters() == ["DCTDecode"]
    assert bytes(images[0].get_data(decode_simple=False)) == jpg.read_bytes()  # not re-encoded
    doc.close()


def test_searchable_pdf_of_arrays_and_of_a_multipage_pdf(tmp_path):
    import pypdfium2 as pdfium

    array, page = rendered_page()
    first = write_pdf(tmp_path / "a.pdf", [page, page], images=[array, array], dpi=150)
    words, sizes = pdf_words(first)
    assert len(words) == 2 and sizes[0] == pytest.approx((page.width * 72 / 150, page.height * 72 / 150))
    check_pdf_page(words[1], sizes[1], page)
    # a multi-page PDF in: its pages are copied unchanged and the text laid over them
    src = pdfium.PdfDocument.new()
    for _ in range(2):
        src.new_page(612, 792)
    src.save(str(tmp_path / "in.pdf"))
    src.close()
    w, h = int(612 * 200 / 72), int(792 * 200 / 72)
    pages = [Page(str(tmp_path / "in.pdf"), w, h, (Line((100, 100, 500, 150), f"page {i}", 0.9, 1.0),), i, 2)
             for i in range(2)]
    out = write_pdf(tmp_path / "out.pdf", pages)
    words, sizes = pdf_words(out)
    assert [[t for t, _ in p] for p in words] == [["page", "0"], ["page", "1"]]
    assert sizes == [(612, 792), (612, 792)]
    both = combine_pdfs([first, out], tmp_path / "all.pdf")
    assert len(pdf_words(both)[0]) == 4


def test_ctc_steps_say_where_each_character_was_read():
    cs = Charset("ab ")
    best = [1, 1, 0, 3, 0, 2, 2, 2, 0, 1]  # a a - ' ' - b b b - a
    probs = np.full((len(best), cs.num_classes), 0.01)
    probs[np.arange(len(best)), best] = 0.9
    text, _ = cs.ctc_greedy(probs)
    assert text == "a ba"
    assert [(f, last) for f, last, _ in cs.ctc_steps(probs)] == [(0, 1), (3, 3), (5, 7), (9, 9)]
    assert all(p == pytest.approx(0.9) for _, _, p in cs.ctc_steps(probs))


def test_word_boxes_cover_each_words_ink():
    line = np.ones((32, 200), np.float32)
    line[8:24, 10:50] = 0.0  # word one
    line[10:24, 90:170] = 0.0  # word two
    text = "ab cde"
    steps = [(4, 5, 0.9), (9, 10, 0.8), (17, 17, 0.99), (25, 26, 0.7), (32, 33, 0.95), (39, 40, 0.9)]
    words = word_boxes(text, steps, line, 4, (400, 64))  # the crop was twice the normalised size
    assert [w.text for w in words] == ["ab", "cde"]
    assert words[0].box == (20, 16, 100, 48) and words[1].box == (180, 20, 340, 48)
    assert words[0].confidence == pytest.approx(0.8) and words[1].confidence == pytest.approx(0.7)
    assert split_words(" a  bc ") == [(1, 1), (4, 5)]
    with pytest.raises(ValueError):
        word_boxes("ab", steps, line, 4, (400, 64))


def test_the_recognizer_gives_word_boxes_over_each_words_ink():
    from yocr.recognizer.predictor import Recognizer

    font = ImageFont.truetype(FONT, 28)
    image = Image.new("RGB", (560, 52), "white")
    draw = ImageDraw.Draw(image)
    x, truth = 14.0, []
    for w in "TOTAL AMOUNT 12.50 RM".split():
        truth.append(draw.textbbox((x, 10), w, font=font))
        draw.text((x, 10), w, font=font, fill="black")
        x = truth[-1][2] + draw.textlength(" ", font=font)
    array = np.asarray(image)[:, :, ::-1].copy()
    (reading,) = Recognizer().read([array])
    assert [w.text for w in reading.words] == reading.text.split() == "TOTAL AMOUNT 12.50 RM".split()
    ink = array[:, :, 0] < 128
    for w, (x0, y0, x1, y1) in zip(reading.words, truth):
        x0, x1 = int(x0) - 2, int(x1) + 2
        cols, rows = np.flatnonzero(ink[:, x0:x1].any(axis=0)), np.flatnonzero(ink[:, x0:x1].any(axis=1))
        t = (x0 + cols[0], rows[0], x0 + cols[-1] + 1, rows[-1] + 1)  # the word's ink
        assert all(abs(a - b) <= 3 for a, b in zip(w.box, t)), (w, t)
        assert 0.0 <= w.confidence <= 1.0 and w.confidence >= reading.confidence


def _ink_box(array: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(array < 128)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_word_boxes_are_mapped_through_a_straightened_crop_onto_the_page():
    from yocr.pipeline.crop import line_crops_with_transforms
    from yocr.pipeline.words import to_page
    from yocr.recognizer.predictor import Recognizer

    font = ImageFont.truetype(FONT, 30)
    words = ["INVOICE", "TOTAL", "12.50"]
    rot = cv2.getRotationMatrix2D((450, 100), 4.0, 1.0)  # the line slopes up by 4 degrees

    def page_of(texts_at):
        im = Image.new("L", (900, 200), 255)
        draw = ImageDraw.Draw(im)
        for x, t in texts_at:
            draw.text((x, 80), t, font=font, fill=0)
        return cv2.warpAffine(np.asarray(im), rot, (900, 200), flags=cv2.INTER_LINEAR, borderValue=255)

    at, x = [], 60.0
    for w in words:
        at.append((x, w))
        x += font.getlength(w + "  ")
    page = cv2.cvtColor(page_of(at), cv2.COLOR_GRAY2BGR)
    truth = [_ink_box(page_of([a])) for a in at]
    cell = _ink_box(page[:, :, 0])
    ((crop, matrix),) = line_crops_with_transforms(page, [cell])
    assert abs(matrix[0, 1]) > 0.03  # the crop was straightened: the map turns it back
    (reading,) = Recognizer().read([crop])
    assert reading.text.split() == words
    placed = to_page(reading.words, matrix, cell)
    for w, t in zip(placed, truth):
        x0, y0, x1, y1 = w.box
        assert x0 - 3 <= t[0] and t[2] <= x1 + 3 and y0 - 3 <= t[1] and t[3] <= y1 + 3, (w, t)  # covers its ink
        assert (x1 - x0) - (t[2] - t[0]) < 12 and (y1 - y0) - (t[3] - t[1]) < 14, (w, t)  # and little else
        assert cell[0] <= x0 < x1 <= cell[2] and cell[1] <= y0 < y1 <= cell[3]


def test_yocr_run_writes_every_format_and_one_combined_pdf(tmp_path):
    import json

    from typer.testing import CliRunner

    from yocr.cli import app

    src = tmp_path / "in"
    src.mkdir()
    rendered_page(src / "page.jpg", lines=[["INVOICE", "1001"], ["TOTAL", "12.50"]])
    two = [Image.fromarray(rendered_page(lines=[[f"PAGE {i}"]])[0][:, :, ::-1]) for i in (1, 2)]
    two[0].save(src / "doc.pdf", save_all=True, append_images=two[1:], resolution=100)
    out = tmp_path / "out"
    args = ["run", str(src), "--out", str(out), "--fallback", "none", "--format", "txt,json,hocr,alto,pdf,tsv",
            "--pdf-combine", str(tmp_path / "all.pdf"), "--overlay", "words"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for stem, pages in (("page", 1), ("doc", 2)):
        text = (out / f"{stem}.txt").read_text()
        assert len(hocr_words((out / f"{stem}.hocr").read_text())) == pages
        hocr = [w for page in hocr_words((out / f"{stem}.hocr").read_text()) for w, _, _ in page]
        assert hocr == text.split()
        alto = ET.parse(out / f"{stem}.alto.xml").getroot()
        assert [s.get("CONTENT") for s in alto.iter(f"{{{ALTO_NS}}}String")] == text.split()
        tsv = list(csv.DictReader(io.StringIO((out / f"{stem}.tsv").read_text()), delimiter="\t",
                                  quoting=csv.QUOTE_NONE))
        assert [r["text"] for r in tsv if r["level"] == "5"] == text.split()
        words, _ = pdf_words(out / f"{stem}.pdf")
        assert len(words) == pages and [w for p in words for w, _ in p] == text.split()
    doc = json.loads((out / "page.json").read_text())
    assert [w["text"] for ln in doc["lines"] for w in ln["words"]] == (out / "page.txt").read_text().split()
    assert (out / "page.overlay.png").is_file()
    combined, _ = pdf_words(tmp_path / "all.pdf")
    assert len(combined) == 3  # doc.pdf's two pages, then page.jpg (input order)
    assert [w for w, _ in combined[2]] == (out / "page.txt").read_text().split()
    bad = CliRunner().invoke(app, ["run", str(src), "--out", str(out), "--format", "txt,docx"])
    assert bad.exit_code != 0 and "docx" in bad.output


def test_a_reading_has_word_boxes_in_step_with_its_lines():
    from yocr.pipeline.reader import Reader

    reader = Reader(fallback="none")
    page = reader.read(str(Path(__file__).parent / "golden" / "pages" / "receipt.png"))
    assert page.lines and all(ln.words for ln in page.lines)
    for line in page.lines:
        assert [w.text for w in line.words] == line.text.split()
        for w in line.words:
            assert line.box[0] - 0.5 <= w.box[0] < w.box[2] <= line.box[2] + 0.5
            assert line.box[1] - 0.5 <= w.box[1] < w.box[3] <= line.box[3] + 0.5
    assert to_alto(page).count("<String ") == to_hocr(page).count('class="ocrx_word"') == sum(
        len(ln.words) for ln in page.lines)


GOLDEN = Path(__file__).parent / "golden" / "pages"


def _without_confidences(text: str) -> tuple[str, list[float]]:
    """The document with its word and line confidences taken out (they move in the last digits between the ONNX and
    PyTorch runtimes), and those confidences in [0, 1]."""
    import re

    found = [int(v) / 100 for v in re.findall(r"x_wconf (\d+)", text)] + [
        float(v) for v in re.findall(r' WC="([\d.]+)"', text)]
    return re.sub(r' WC="[\d.]+"', "", re.sub(r"x_wconf \d+", "x_wconf", text)), found


def _without_positions(text: str) -> tuple[str, list[int]]:
    """The document with the numbers of every box (hOCR ``bbox``, ALTO ``HPOS``/``VPOS``/``WIDTH``/``HEIGHT``) taken
    out, and those numbers."""
    import re

    found: list[int] = []

    def box(match: re.Match) -> str:
        found.extend(int(v) for v in match.group(1).split())
        return "bbox N N N N"

    def one(match: re.Match) -> str:
        found.append(int(match.group(2)))
        return match.group(1) + "N"

    text = re.sub(r"bbox((?: \d+){4})", box, text)
    return re.sub(r'((?:HPOS|VPOS|WIDTH|HEIGHT)=")(\d+)', one, text), found


def test_golden_hocr_and_alto_of_a_committed_page(tmp_path):
    from typer.testing import CliRunner

    from yocr.cli import app

    result = CliRunner().invoke(app, ["run", str(GOLDEN / "letter.png"), "--out", str(tmp_path), "--fallback", "none",
                                      "--format", "hocr,alto"])
    assert result.exit_code == 0, result.output
    for name in ("letter.hocr", "letter.alto.xml"):
        got, got_conf = _without_confidences((tmp_path / name).read_text(encoding="utf-8"))
        want, want_conf = _without_confidences((GOLDEN / "expected" / name).read_text(encoding="utf-8"))
        page = r'<Page [^>]*>|class="ocr_page"[^>]*'  # the page's own size stays exact
        assert re.findall(page, got) == re.findall(page, want), name
        (got, got_box), (want, want_box) = _without_positions(got), _without_positions(want)
        assert got == want, name
        # the fp32 and int8 networks (the latter on CPUs with VNNI) may move a box's edge by a pixel or two (line boxes
        # come from the detector, word boxes from the CRNN's steps), and a moved line box changes its words'
        # confidences ("10:30." 0.90 with the int8 detector's line, 0.99 with the fp32 one's)
        assert np.allclose(got_conf, want_conf, atol=0.15), name
        assert len(got_box) == len(want_box) and np.allclose(got_box, want_box, atol=3), name
    etree, schema = alto_schema()
    assert schema.validate(etree.parse(str(GOLDEN / "expected" / "letter.alto.xml"))), schema.error_log


def test_bench_outputs_scores_word_boxes_and_the_pdf(tmp_path):
    """``yocr bench outputs`` on a one-receipt SROIE-style folder made here (numbered as a validation receipt)."""
    import json

    from yocr.bench.outputs import bench_outputs

    root = tmp_path / "data" / "sroie-train"
    (root / "img").mkdir(parents=True)
    (root / "box").mkdir()
    lines = [["TOTAL", "12.50"], ["CASH", "20.00"]]
    _, page = rendered_page(root / "img" / "526.jpg", lines=lines)
    rows = []
    for line in page.lines:
        for w in line.words:  # one segment per word, its box a little loose, as hand-drawn boxes are
            x0, y0, x1, y1 = (int(w.box[0]) - 2, int(w.box[1]) - 2, int(w.box[2]) + 2, int(w.box[3]) + 2)
            rows.append(f"{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1},{w.text}")
    (root / "box" / "526.csv").write_text("\n".join(rows) + "\n")
    report = bench_outputs(tmp_path / "data", tmp_path / "out", receipts=1, forms=0)
    wb = report["word_boxes"]
    assert wb["segments"] == 4 and wb["read_exactly"] == 4 and wb["inside"]["0.1"] == 1.0
    if isinstance(report["pdf"], list):
        assert report["pdf"][0]["f1"] == 1.0 and report["pdf"][0]["placed"] == 1.0
    assert json.loads((tmp_path / "out" / "outputs.json").read_text())["pages"] == 1
    assert "Word boxes" in (tmp_path / "out" / "outputs.md").read_text()
    assert (tmp_path / "out" / "sroie" / "526.alto.xml").is_file()


def test_tesseract_gives_its_own_word_boxes_in_crop_and_page_pixels():
    import shutil

    from yocr.pipeline import tesseract

    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "5\t1\t1\t1\t1\t1\t10\t20\t50\t15\t91.5\tTOTAL\n5\t1\t1\t1\t1\t2\t70\t21\t40\t14\t80\t12.50\n")
    (line,) = tesseract.parse_page_tsv(tsv)  # --engine tesseract-page: the page's own boxes
    assert [(w.text, tuple(w.box), round(w.confidence, 3)) for w in line.words] == [
        ("TOTAL", (10, 20, 60, 35), 0.915), ("12.50", (70, 21, 110, 35), 0.8)]
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    font = ImageFont.truetype(FONT, 26)
    image = Image.new("L", (330, 44), 255)
    draw = ImageDraw.Draw(image)
    truth = []
    x = 8.0
    for w in ("TOTAL", "AMOUNT", "12.50"):
        truth.append(draw.textbbox((x, 8), w, font=font))
        draw.text((x, 8), w, font=font, fill=0)
        x = truth[-1][2] + draw.textlength("  ", font=font)
    (reading,) = tesseract.read_lines([np.asarray(image)])  # a fallback reading: boxes in the crop's pixels
    assert [w.text for w in reading.words] == ["TOTAL", "AMOUNT", "12.50"]
    for w, t in zip(reading.words, truth):
        assert all(abs(a - b) <= 4 for a, b in zip(w.box, t)), (w, t)


def test_split_pages_writes_each_format_per_page(tmp_path):
    from typer.testing import CliRunner

    from yocr.cli import app

    pages = [Image.fromarray(rendered_page(lines=[[f"PAGE {i}"]])[0][:, :, ::-1]) for i in (1, 2)]
    pages[0].save(tmp_path / "doc.pdf", save_all=True, append_images=pages[1:], resolution=100)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(tmp_path / "doc.pdf"), "--out", str(out), "--fallback", "none",
                                      "--split-pages", "--format", "hocr,alto,tsv,pdf"])
    assert result.exit_code == 0, result.output
    for n in (1, 2):
        stem = out / f"doc-p{n:04d}"
        words = Path(f"{stem}.txt").read_text().split()
        assert words and [w for p in hocr_words(Path(f"{stem}.hocr").read_text()) for w, _, _ in p] == words
        assert all(Path(f"{stem}{s}").is_file() for s in (".alto.xml", ".tsv", ".pdf", ".txt"))
