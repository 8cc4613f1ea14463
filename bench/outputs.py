"""``yocr bench outputs``: word boxes and the searchable PDF measured on annotated pages.

yocr reads SROIE validation receipts and FUNSD validation forms and writes every format (``yocr.outputs``); then:

- word boxes: for each ground-truth SROIE segment that yocr read exactly (a run of its output words equals the
  segment's words, case folded, overlapping the segment), the share of those words whose box lies inside the
  segment's box, strictly and grown by 5 % and 10 % of its height (the hand-drawn boxes often cut the ink by 1-3 px);
- searchable PDF: the word F1 between ``pdftotext -layout``'s text and the page's text, and the share of the words
  ``pdftotext -bbox`` finds that lie inside the box of yocr's nearest word of the same text across, and its line's box
  down (1.5 px slack: the PDF rounds boxes outward to whole pixels); needs poppler's ``pdftotext``;
- time: reading against writing the formats.

The report is ``outputs.md`` and ``outputs.json`` in the output folder.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from yocr.core.splits import FUNSD_VAL_COUNT, SROIE_VAL
from yocr.data.annotations import AnnotatedPage, funsd_pages, sroie_pages
from yocr.metrics import word_counts
from yocr.outputs.files import FORMATS, write_documents

TOLERANCES = (0.0, 0.05, 0.1)  # segment boxes grown by this share of their height
PDF_SLACK = 1.5  # pixels


@dataclass
class WordBoxCounts:
    segments: int = 0
    read_exactly: int = 0
    words: int = 0
    inside: dict = field(default_factory=lambda: {t: 0 for t in TOLERANCES})


@dataclass
class PdfRow:
    page: str
    words: int
    f1: float
    placed: float  # share of pdftotext's words inside their boxes


def _union(boxes):
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def matched_words(words: list, region) -> list | None:
    """The run of ``words`` (page order) that reads ``region``'s words exactly and overlaps it most, or None."""
    tokens = region.text.upper().split()
    texts = [w.text.upper() for w in words]
    best, best_overlap = None, 0.0
    for i in range(len(words) - len(tokens) + 1):
        if tokens and texts[i : i + len(tokens)] == tokens:
            run = words[i : i + len(tokens)]
            overlap = _overlap(_union([w.box for w in run]), region.box)
            if overlap > best_overlap:
                best, best_overlap = run, overlap
    return best


def count_word_boxes(page, truth: AnnotatedPage, counts: WordBoxCounts) -> None:
    words = [w for line in page.lines for w in line.words]
    for region in truth.regions:
        if not region.text.split():
            continue
        counts.segments += 1
        run = matched_words(words, region)
        if run is None:
            continue
        counts.read_exactly += 1
        x0, y0, x1, y1 = region.box
        for w in run:
            counts.words += 1
            for t in TOLERANCES:
                m = t * (y1 - y0)
                b = w.box
                counts.inside[t] += b[0] >= x0 - m and b[1] >= y0 - m and b[2] <= x1 + m and b[3] <= y1 + m


def pdf_row(name: str, pdf: Path, page) -> PdfRow:
    """``pdftotext``'s view of a searchable PDF of ``page``: its words against the page's text and boxes."""
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    f1 = word_counts(layout, page.text).f1
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', bbox)
    sx, sy = page.width / float(size.group(1)), page.height / float(size.group(2))
    found = [(html.unescape(m[4]), (float(m[0]) * sx, float(m[1]) * sy, float(m[2]) * sx, float(m[3]) * sy))
             for m in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                                 bbox)]
    ours = [(w, line.box) for line in page.lines for w in line.words]
    placed = 0
    for text, fb in found:
        same = [(w, lb) for w, lb in ours if w.text == text]
        if not same:
            continue
        w, lb = min(same, key=lambda o: abs(sum(o[0].box) - sum(fb)))
        s = PDF_SLACK
        placed += w.box[0] - s <= fb[0] and fb[2] <= w.box[2] + s and lb[1] - s <= fb[1] and fb[3] <= lb[3] + s
    return PdfRow(name, len(page.text.split()), f1, placed / max(1, len(found)))


def bench_outputs(data: Path, out: Path, receipts: int = 10, forms: int = 5, reader=None) -> dict:
    """Read ``receipts`` SROIE validation receipts and ``forms`` FUNSD validation forms from ``data``, write every
    format under ``out`` and measure them; returns the report (also written as outputs.md and outputs.json)."""
    from yocr.pipeline.reader import Reader

    reader = reader or Reader()
    truth = []
    if receipts and (data / "sroie-train").is_dir():
        truth += [("sroie", p) for p in sroie_pages(data / "sroie-train", *SROIE_VAL)[:receipts]]
    if forms and (data / "funsd-train").is_dir():
        truth += [("funsd", p) for p in funsd_pages(data / "funsd-train", only_last=FUNSD_VAL_COUNT)[:forms]]
    counts, rows = WordBoxCounts(), []
    read_s = write_s = 0.0
    pdftotext = shutil.which("pdftotext") is not None
    for kind, annotated in truth:
        start = time.perf_counter()
        page = reader.read(str(annotated.image))
        read_s += time.perf_counter() - start
        stem = out / kind / annotated.image.stem
        start = time.perf_counter()
        write_documents(stem, [page], FORMATS)
        write_s += time.perf_counter() - start
        if kind == "sroie":
            count_word_boxes(page, annotated, counts)
        if pdftotext:
            rows.append(pdf_row(f"{kind}/{annotated.image.stem}", stem.with_name(stem.name + ".pdf"), page))
    report = {
        "pages": len(truth),
        "word_boxes": {"segments": counts.segments, "read_exactly": counts.read_exactly, "words": counts.words,
                       "inside": {str(t): counts.inside[t] / max(1, counts.words) for t in TOLERANCES}},
        "pdf": [asdict(r) for r in rows] if pdftotext else "pdftotext not installed (poppler-utils)",
        "seconds": {"read": read_s, "write": write_s, "write_share": write_s / max(1e-9, read_s + write_s)},
    }
    write_report(out, report)
    return report


def write_report(out: Path, report: dict) -> None:
    from yocr.core.io import atomic_write_text

    wb = report["word_boxes"]
    lines = [
        "# yocr bench outputs", "",
        f"{report['pages']} pages read; every format written (hOCR, ALTO, TSV, searchable PDF, JSON, text).", "",
        "## Word boxes (SROIE segments read exactly)", "",
        f"{wb['segments']} segments, {wb['read_exactly']} read exactly, {wb['words']} words in them.", "",
        "| segment box grown by | words inside |", "|---|---|",
    ]
    lines += [f"| {float(t):.0%} of its height | {share:.1%} |" for t, share in wb["inside"].items()]
    lines += ["", "## Searchable PDF (pdftotext)", ""]
    if isinstance(report["pdf"], list) and report["pdf"]:
        lines += ["| page | words | word F1 vs text | words inside their box |", "|---|---|---|---|"]
        lines += [f"| {r['page']} | {r['words']} | {r['f1']:.4f} | {r['placed']:.1%} |" for r in report["pdf"]]
        f1s = [r["f1"] for r in report["pdf"]]
        lines += ["", f"Word F1: min {min(f1s):.4f}, mean {sum(f1s) / len(f1s):.4f}."]
    else:
        lines += [str(report["pdf"])]
    s = report["seconds"]
    lines += ["", "## Time", "", f"Reading {s['read']:.1f} s, writing every format {s['write']:.1f} s "
              f"({s['write_share']:.1%} of the two)."]
    atomic_write_text(out / "outputs.md", "\n".join(lines) + "\n")
    atomic_write_text(out / "outputs.json", json.dumps(report, indent=1) + "\n")
