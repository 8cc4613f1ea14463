"""A seeded fuzz of ``yocr run``'s input boundary: a few hundred mutated images and PDFs among good ones.

The loader, the run, its outputs and ``errors.tsv`` are real; the stages are the stubs of ``test_pipeline.py`` (a
mutated file that still decodes is simply read). Asserts: no exception escapes, every good file is written, every
input is either written or listed in ``errors.tsv`` with a reason that names a reading problem (never an internal
error, never a write failure), and the exit code says that some inputs failed.
"""

from __future__ import annotations

import csv
import io

import numpy as np
from PIL import Image

from yocr.core import image as image_mod
from yocr.pipeline.run import ERRORS_FILE, RunOptions, display_name, run

from test_pipeline import page_image, stub_reader

SEED = 20261122
MUTANTS = 300
READING_PROBLEMS = ("empty file", "not an image", "corrupt", "truncated", "image too large", "unreadable PDF",
                    "the PDF has no pages", "page ", "encrypted PDF", "cannot read the file", "out of memory")


def _seeds() -> dict[str, bytes]:
    """Good files of every kind yocr reads, small."""
    rgb = Image.fromarray(page_image([(10, 10, "TOTAL 12.50"), (10, 50, "CASH 20.00")], size=(220, 90))[:, :, ::-1])
    out = {}
    for name, image, fmt, extra in (
        ("rgb.png", rgb, "PNG", {}), ("grey.png", rgb.convert("L"), "PNG", {}),
        ("alpha.png", rgb.convert("RGBA"), "PNG", {}), ("palette.png", rgb.convert("P"), "PNG", {}),
        ("photo.jpg", rgb, "JPEG", {"quality": 80}), ("web.webp", rgb, "WEBP", {}), ("bitmap.bmp", rgb, "BMP", {}),
        ("scan.tif", rgb, "TIFF", {"save_all": True, "append_images": [rgb.convert("L")]}),
        ("doc.pdf", rgb, "PDF", {"save_all": True, "append_images": [rgb]}),
    ):
        buf = io.BytesIO()
        image.save(buf, fmt, **extra)
        out[name] = buf.getvalue()
    return out


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    kind = rng.integers(6)
    if kind == 0:  # flip a few bytes, anywhere
        for i in rng.integers(0, len(b), rng.integers(1, 12)):
            b[i] ^= int(rng.integers(1, 256))
    elif kind == 1:  # flip bytes in the header
        for i in rng.integers(0, min(len(b), 64), rng.integers(1, 4)):
            b[i] = int(rng.integers(0, 256))
    elif kind == 2:  # truncate
        b = b[: int(rng.integers(0, len(b)))]
    elif kind == 3:  # zero a run
        start, length = int(rng.integers(0, len(b))), int(rng.integers(1, 400))
        b[start : start + length] = bytes(len(b[start : start + length]))
    elif kind == 4:  # insert random bytes
        at = int(rng.integers(0, len(b)))
        b[at:at] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    else:  # a chunk repeated
        start = int(rng.integers(0, len(b)))
        b[start:start] = b[start : start + int(rng.integers(1, 200))]
    return bytes(b)


def test_fuzzed_inputs_never_stop_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_PIXELS", 4_000_000)  # the bomb limit, smaller: the fuzz stays fast
    monkeypatch.setattr(image_mod, "WORK_PIXELS", 1_000_000)
    rng = np.random.default_rng(SEED)
    seeds = _seeds()
    src = tmp_path / "in"
    src.mkdir()
    good = []
    for name, data in seeds.items():
        (src / f"good-{name}").write_bytes(data)
        good.append(f"good-{name}")
    names = list(seeds)
    for k in range(MUTANTS):
        name = names[k % len(names)]
        (src / f"{k:03d}-{name}").write_bytes(_mutate(seeds[name], rng))
    out = tmp_path / "out"
    summary = run([src], RunOptions(out), reader=stub_reader())

    inputs = sorted(p.name for p in src.iterdir())
    assert summary.files == len(inputs) and summary.done + summary.failed == len(inputs)
    written = {p.name[: -len(".txt")] for p in out.glob("*.txt")}
    for name in good:
        assert name.rsplit(".", 1)[0] in written, name
    with open(out / ERRORS_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    assert len(rows) == summary.failed > 0
    for path, reason in rows:
        assert reason.startswith(READING_PROBLEMS) or "PDF" in reason, (path, reason)
        assert "internal error" not in reason and "cannot write" not in reason, (path, reason)
    failed = {p.rsplit("/", 1)[-1] for p, _ in rows}
    for name in inputs:
        assert (name.rsplit(".", 1)[0] in written) != (display_name(name) in failed), name
    assert summary.exit_code == 1
