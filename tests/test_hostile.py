"""Hostile inputs for ``yocr run`` (issue 13): each case of the probe, reproduced small, with the stub stages of
``test_pipeline.py`` (the loader, the run and its outputs are real; the networks are not needed here)."""

from __future__ import annotations

import csv
import io
import os
import signal
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from yocr.cli import app
from yocr.core import image as image_mod
from yocr.errors import EXIT_CONFIG, EXIT_OUTPUT, EXIT_USAGE, ConfigError, OutputError
from yocr.pipeline import clean
from yocr.pipeline.clean import read_rules
from yocr.pipeline.reader import Reader, ReaderConfig, Stages
from yocr.pipeline.run import ERRORS_FILE, RunOptions, output_lock, run

from test_pipeline import InkDetector, fixed_reader, page_image, stub_reader

runner = CliRunner()


def _png(path: Path, text: str = "TOTAL 12.50", size=(300, 80)) -> Path:
    cv2.imwrite(str(path), page_image([(10, 20, text)], size=size))
    return path


def _errors(out: Path) -> dict[str, str]:
    with open(out / ERRORS_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert rows[0] == ["path", "reason"]
    return {path: reason for path, reason in rows[1:]}


# --- one bad file fails only itself -----------------------------------------------------------------------------


def test_a_name_that_is_not_utf8_fails_alone_and_is_listed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "good.png")
    bad = os.fsdecode(os.fsencode(str(src)) + b"/bad\xff.png")
    Path(bad).write_bytes(b"not an image")
    summary = run([src], RunOptions(tmp_path / "out"), reader=stub_reader())
    assert (summary.done, summary.failed, summary.exit_code) == (1, 1, 1)
    assert (tmp_path / "out" / "good.txt").read_text() == "word\n"
    (path, reason), = _errors(tmp_path / "out").items()
    assert path.endswith("bad\\xff.png") and "not an image" in reason


def test_a_tiff_whose_second_page_is_too_large_fails_only_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_PIXELS", 20_000)
    pages = [Image.new("RGB", (100, 100), "white"), Image.new("RGB", (400, 400), "white")]
    pages[0].save(tmp_path / "scan.tif", save_all=True, append_images=pages[1:])
    _png(tmp_path / "after.png", size=(120, 60))
    summary = run([tmp_path / "scan.tif", tmp_path / "after.png"], RunOptions(tmp_path / "out"), reader=stub_reader())
    assert summary.done == 1 and summary.failed == 1
    assert "too large (400 x 400 pixels" in _errors(tmp_path / "out")[str(tmp_path / "scan.tif")]


def test_a_tiff_without_dimensions_and_a_pdf_page_that_fails_to_render(tmp_path, monkeypatch):
    # a little-endian TIFF whose one IFD entry is its compression: no width, height or strips
    (tmp_path / "nodims.tif").write_bytes(b"II*\x00\x08\x00\x00\x00\x01\x00\x03\x01\x03\x00\x01\x00\x00\x00\x01\x00"
                                          b"\x00\x00\x00\x00\x00\x00")
    Image.new("RGB", (80, 40), "white").save(tmp_path / "doc.pdf")
    import pypdfium2

    def broken(self, *args, **kwargs):
        raise pypdfium2.PdfiumError("Failed to render page")

    monkeypatch.setattr(pypdfium2.PdfPage, "render", broken)
    summary = run([tmp_path / "nodims.tif", tmp_path / "doc.pdf"], RunOptions(tmp_path / "out"), reader=stub_reader())
    assert summary.failed == 2
    errors = _errors(tmp_path / "out")
    assert errors[str(tmp_path / "nodims.tif")].startswith(("corrupt", "not an image"))
    assert "page 1 of the PDF cannot be rendered" in errors[str(tmp_path / "doc.pdf")]


def test_corrupt_images_and_an_empty_pdf_are_named_for_what_they_are(tmp_path):
    for name, fmt in (("a.webp", "WEBP"), ("b.png", "PNG"), ("c.bmp", "BMP")):
        buf = io.BytesIO()
        noise = np.random.default_rng(0).integers(0, 255, (32, 64, 3), dtype=np.uint8)
        Image.fromarray(noise).save(buf, fmt)
        data = bytearray(buf.getvalue())
        (tmp_path / name).write_bytes(bytes(data[:60]))  # the header kept, the pixels cut off
    pdfium = __import__("pypdfium2")
    empty = io.BytesIO()
    pdfium.PdfDocument.new().save(empty)
    (tmp_path / "empty.pdf").write_bytes(empty.getvalue())
    summary = run([tmp_path], RunOptions(tmp_path / "out"), reader=stub_reader())
    errors = _errors(tmp_path / "out")
    assert errors[str(tmp_path / "empty.pdf")] == "the PDF has no pages"
    for name in ("a.webp", "b.png", "c.bmp"):
        reason = errors.get(str(tmp_path / name), "")
        assert reason.startswith(("corrupt", "truncated or corrupt", "not an image")), (name, reason)
    assert summary.exit_code == 1


# --- the command line, weights and configuration ----------------------------------------------------------------


def test_rules_naming_a_missing_group_fail_before_any_model_loads(tmp_path):
    rules = tmp_path / "rules.tsv"
    rules.write_text("(\\d+)\t\\2\n")
    with pytest.raises(ConfigError, match=r"rules.tsv:1: .*invalid group reference"):
        read_rules(rules)
    result = runner.invoke(app, ["run", str(_png(tmp_path / "a.png")), "--out", str(tmp_path / "out"), "--rules",
                                 str(rules), "--detector-weights", str(tmp_path / "never-loaded.pt")])
    assert result.exit_code == EXIT_CONFIG and "rules.tsv:1" in result.output and "never-loaded" not in result.output


def test_a_catastrophic_rule_fails_the_line_it_hangs_on_naming_the_rule(tmp_path, monkeypatch):
    monkeypatch.setattr(clean, "RULE_TIMEOUT", 0.05)
    rules = tmp_path / "rules.tsv"
    rules.write_text("# slow\n(a|aa)+$\tx\n")
    reader = Reader(ReaderConfig(fallback="none", rules=str(rules)),
                    stages=Stages(InkDetector(), fixed_reader("a" * 34 + "!"), None))
    summary = run([_png(tmp_path / "a.png")], RunOptions(tmp_path / "out"), reader=reader)
    (reason,) = _errors(tmp_path / "out").values()
    assert summary.failed == 1 and f"rule {rules}:2" in reason and "took over" in reason


@pytest.mark.parametrize("option, content, expected", [
    ("--recognizer-weights", {"state_dict": {}}, "recognizer checkpoint"),
    ("--recognizer-weights", b"", ""),
    ("--detector-weights", b"", "empty"),
])
def test_malformed_checkpoints_are_one_clear_error_naming_the_file(tmp_path, option, content, expected):
    import torch

    weights = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        weights.write_bytes(content)
    else:
        torch.save(content, weights)
    result = runner.invoke(app, ["run", str(_png(tmp_path / "a.png")), "--out", str(tmp_path / "out"), option,
                                 str(weights), "--fallback", "none"])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "bad.pt" in result.output and expected in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("damage", ["impossible height", "no charset"])
def test_a_damaged_shipped_recognizer_checkpoint_is_one_clear_error(tmp_path, damage):
    import torch

    from yocr.recognizer.checkpoint import default_weights

    state = torch.load(default_weights(), map_location="cpu", weights_only=True)
    if damage == "no charset":
        del state["charset"]
    else:
        state["model_config"]["height"] = 3
    torch.save(state, tmp_path / "bad.pt")
    result = runner.invoke(app, ["run", str(_png(tmp_path / "a.png")), "--out", str(tmp_path / "out"),
                                 "--recognizer-weights", str(tmp_path / "bad.pt"), "--fallback", "none"])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "bad.pt" in result.output and "recognizer checkpoint" in result.output and "Traceback" not in result.output


def test_option_values_out_of_range_are_a_usage_error(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--conf", "7"])
    assert result.exit_code == EXIT_USAGE and "--conf" in result.output


def test_exit_codes_are_documented_in_the_help():
    result = runner.invoke(app, ["run", "--help"])
    assert all(code in result.output for code in ("130", "143")) and "Exit codes" in result.output


# --- outputs that go astray -------------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", ["file", "under-a-file"])
def test_an_unusable_out_is_refused_before_anything_is_read(tmp_path, setup):
    (tmp_path / "taken").write_text("x")
    out = tmp_path / "taken" if setup == "file" else tmp_path / "taken" / "sub"
    with pytest.raises(OutputError, match="taken"):
        run([_png(tmp_path / "a.png")], RunOptions(out), reader=stub_reader())
    result = runner.invoke(app, ["run", str(tmp_path / "a.png"), "--out", str(out), "--engine", "tesseract-page"])
    assert result.exit_code == EXIT_OUTPUT and "taken" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_is_refused(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    with pytest.raises(OutputError, match="cannot write"):
        run([_png(tmp_path / "a.png")], RunOptions(out), reader=stub_reader())


def test_inputs_that_differ_only_in_extension_keep_it_and_resume(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "same.png")
    cv2.imwrite(str(src / "same.jpg"), page_image([(10, 20, "OTHER")], size=(300, 80)))
    _png(src / "alone.png")
    out = tmp_path / "out"
    summary = run([src], RunOptions(out), reader=stub_reader())
    assert summary.done == 3
    assert sorted(p.name for p in out.iterdir()) == ["alone.txt", "same.jpg.txt", "same.png.txt"]
    again = run([src], RunOptions(out), reader=stub_reader())
    assert (again.done, again.skipped) == (0, 3)


def test_no_two_inputs_share_an_output_even_when_kept_extensions_meet_other_stems(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for name in ("same.png", "same.jpg", "same.jpg.png"):
        _png(a / name)
    _png(b / "same.png")
    summary = run([a, b], RunOptions(tmp_path / "out"), reader=stub_reader())
    assert summary.done == 4
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "same.jpg.png.txt", "same.jpg.txt", "same.png.txt", "same.png~2.txt"]


def test_a_dot_dot_name_stays_inside_out(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "..png")
    out = tmp_path / "out"
    summary = run([src], RunOptions(out, overlay=True, json=True), reader=stub_reader())
    assert summary.done == 1
    assert sorted(p.name for p in out.iterdir()) == ["..png.json", "..png.overlay.png", "..png.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_an_out_inside_the_input_is_never_read(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "a.png")
    for _ in range(3):
        summary = run([src], RunOptions(src / "out", overlay=True, overwrite=True), reader=stub_reader())
        assert summary.files == 1 and summary.done == 1
    assert not (src / "out" / "out").exists()
    assert sorted(p.name for p in (src / "out").iterdir()) == ["a.overlay.png", "a.txt"]


def test_errors_tsv_quotes_names_with_tabs_and_newlines(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    names = ["tab\there.png", "new\nline.png", 'quote".png']
    for name in names:
        (src / name).write_bytes(b"")
    run([src], RunOptions(tmp_path / "out"), reader=stub_reader())
    errors = _errors(tmp_path / "out")
    assert sorted(Path(p).name for p in errors) == sorted(names)
    assert set(errors.values()) == {"empty file (0 bytes)"}


def test_outputs_honour_the_umask(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"")
    old = os.umask(0o027)
    try:
        run([_png(tmp_path / "a.png"), tmp_path / "bad.png"], RunOptions(tmp_path / "out", json=True, overlay=True),
            reader=stub_reader())
    finally:
        os.umask(old)
    for name in ("a.txt", "a.json", "a.overlay.png", ERRORS_FILE):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o640, name


def test_broken_links_and_link_loops_in_a_folder_are_reported(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "a.png")
    (src / "gone.png").symlink_to(tmp_path / "nowhere.png")
    (src / "loop.png").symlink_to(src / "loop.png")
    summary = run([src], RunOptions(tmp_path / "out"), reader=stub_reader())
    assert summary.done == 1 and summary.failed == 2
    assert all("broken link or link loop" in r for r in _errors(tmp_path / "out").values())


# --- processes and concurrency -----------------------------------------------------------------------------------


def test_a_second_run_into_the_same_out_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        with pytest.raises(OutputError, match=f"process {os.getpid()}"):
            run([_png(tmp_path / "a.png")], RunOptions(out), reader=stub_reader())
    assert run([tmp_path / "a.png"], RunOptions(out), reader=stub_reader()).done == 1  # released with the run
    assert not (out / ".yocr-run.lock").exists()


def test_sigterm_ends_the_run_like_ctrl_c_with_its_own_exit_code(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for k in range(5):
        _png(src / f"{k}.png")
    reader = stub_reader()
    real, calls = reader.read_page, {"n": 0}

    def read_page(image):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(image)

    reader.read_page = read_page
    summary = run([src], RunOptions(tmp_path / "out"), reader=reader)
    assert summary.interrupted and summary.signal == signal.SIGTERM and summary.exit_code == 143
    assert summary.done == 2 and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.txt", "1.txt"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the run's handler is gone again


# --- memory -------------------------------------------------------------------------------------------------------


def test_huge_images_are_read_scaled_down_and_boxes_mapped_back(tmp_path, monkeypatch):
    monkeypatch.setattr(image_mod, "WORK_PIXELS", 60_000)  # stands for a 12,000 x 9,000 scan
    image = page_image([(40, 60, "TOTAL 12.50")], size=(600, 400))
    cv2.imwrite(str(tmp_path / "big.png"), image)
    page = image_mod.load_image(tmp_path / "big.png")
    assert page.bgr.shape[0] * page.bgr.shape[1] <= 60_000 and page.original_size == (600, 400)
    read = stub_reader().read(tmp_path / "big.png")
    plain = stub_reader().read_array(image)
    assert (read.width, read.height) == (600, 400)
    (a,), (b,) = read.lines, plain.lines
    assert np.allclose(a.box, b.box, atol=16)  # the same line, in the original's pixels (the stub's kernel is fixed)


def test_huge_pdf_pages_render_at_a_bounded_size(tmp_path, monkeypatch):
    monkeypatch.setattr(image_mod, "WORK_PIXELS", 100_000)
    Image.new("RGB", (2000, 1000), "white").save(tmp_path / "wide.pdf", resolution=72)
    (page,) = image_mod.load_pages(tmp_path / "wide.pdf")
    assert page.width * page.height <= 100_000 and page.width > 1.9 * page.height


@pytest.mark.skipif(not __import__("shutil").which("tesseract"), reason="tesseract is not installed")
def test_sigterm_to_a_run_with_workers_ends_its_workers_and_counts_what_was_written(tmp_path):
    import subprocess
    import sys
    import time

    import psutil

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for k in range(40):
        cv2.imwrite(str(src / f"{k:02d}.png"), page_image([(20, 20, f"INVOICE {k}"), (20, 120, "TOTAL 9.50")]))
    script = (
        "import sys\nfrom pathlib import Path\nfrom yocr.pipeline.reader import ReaderConfig\n"
        "from yocr.pipeline.run import RunOptions, run\n"
        f"s = run([{str(src)!r}], RunOptions(Path({str(out)!r}), workers=2), ReaderConfig(engine='tesseract-page'))\n"
        "print('SUMMARY', s.done, s.interrupted, flush=True)\nsys.exit(s.exit_code)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    deadline = time.time() + 120
    while time.time() < deadline and not (out.is_dir() and list(out.glob("*.txt"))):
        time.sleep(0.2)  # the workers have started and written a first file
    children = parent.children(recursive=True)
    assert len(children) >= 2
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
    done = int(stdout.split()[1])
    assert done == len(list(out.glob("*.txt"))) < 40
    assert not list(out.glob(".*.tmp")) and not (out / ".yocr-run.lock").exists()
