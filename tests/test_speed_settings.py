"""Tesseract at its best (single-threaded processes, one per core) and thread settings that do not fight."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from yocr import runtime
from yocr.errors import YocrError
from yocr.pipeline import tesseract
from yocr.pipeline.run import worker_count

from yocr.bench.pages import parallel_pages, run_engine


def test_every_tesseract_process_runs_single_threaded(monkeypatch):
    seen = []

    def fake_run(cmd, **kwargs):
        seen.append(kwargs.get("env") or {})
        return subprocess.CompletedProcess(cmd, 1, "", "stop here")

    monkeypatch.setattr(tesseract, "require", lambda: "tesseract")
    monkeypatch.setattr(tesseract.subprocess, "run", fake_run)
    page = np.full((40, 80, 3), 255, np.uint8)
    never = tesseract.TesseractConfig(api="never")  # the command; the C API's wheel is built without OpenMP
    for call in (lambda: tesseract.read_page(page), lambda: tesseract.read_lines([page], never)):
        with pytest.raises(YocrError):
            call()
    assert len(seen) == 2 and all(env.get("OMP_THREAD_LIMIT") == "1" for env in seen)


def test_crops_are_spread_over_one_tesseract_per_core(monkeypatch):
    chunks = []
    monkeypatch.setattr(tesseract, "require", lambda: "tesseract")
    monkeypatch.setattr(tesseract, "_read_chunk", lambda exe, chunk, cfg: chunks.append(len(chunk)) or
                        [tesseract.Reading(str(i), 1.0) for i in range(len(chunk))])
    crops = [np.full((20, 60), 255, np.uint8)] * 40
    out = tesseract.read_lines(crops, tesseract.TesseractConfig(workers=4, api="never"))
    assert len(out) == 40 and sorted(chunks) == [10, 10, 10, 10]
    chunks.clear()
    tesseract.read_lines(crops[:5], tesseract.TesseractConfig(workers=4, api="never"))
    assert chunks == [5]  # too few to be worth a second process


def test_workers_default_to_one_per_cpu():
    assert worker_count(0) == runtime.cpu_count()
    assert worker_count(3) == 3
    assert worker_count(0, "cuda") == 1  # one process drives a GPU


def test_bench_reads_tesseract_pages_in_parallel_and_keeps_their_order(monkeypatch, tmp_path):
    import cv2

    paths = []
    for i in range(5):
        paths.append(tmp_path / f"{i}.png")
        cv2.imwrite(str(paths[-1]), np.full((10 + i, 20, 3), 255, np.uint8))

    def opener(name, cfg):
        return lambda image: [image.shape[0]]

    run = run_engine("tesseract-page", "set", paths, None, opener=opener)
    assert run.pages == [[10], [11], [12], [13], [14]] and len(run.latencies) == 5
    assert parallel_pages("tesseract-page") == parallel_pages("yocr") == runtime.cpu_count()
    assert parallel_pages("rapidocr") == 1


def test_threads_are_shared_among_workers():
    import cv2

    try:
        assert runtime.configure_threads(workers=1) == runtime.cpu_count()
        assert runtime.configure_threads(workers=runtime.cpu_count() * 4) == 1
        assert cv2.getNumThreads() == 1 and runtime.threads() == 1
    finally:
        runtime.configure_threads(1)


def test_the_run_summary_splits_the_time_by_step(tmp_path):
    import cv2

    from test_pipeline import page_image, stub_reader
    from yocr.pipeline.run import RunOptions, run, step_summary

    src = tmp_path / "in" / "page.png"
    src.parent.mkdir()
    cv2.imwrite(str(src), page_image([(40, 40, "TOTAL 12.50")]))
    reader = stub_reader()
    reader.startup = {"models": 1.5, "warm_up": 0.25}
    summary = run([src], RunOptions(tmp_path / "out"), reader=reader)
    assert {"load", "detect", "crop", "recognise", "clean", "write", "models", "warm_up"} <= set(summary.steps)
    assert reader.take_startup() == {}  # reported once
    line = step_summary({"models": 1.5, "warm_up": 0.25, "load": 0.5, "detect": 2.0, "detector_net": 1.5,
                         "detector_post": 0.4, "recognise": 1.0, "write": 0.1})
    assert line == ("start-up: model loading 1.50 s, warm-up 0.25 s; steps: load/decode 0.50 s, detect 2.00 s "
                    "(network 1.50, ink post-processing 0.40), recognise 1.00 s, write 0.10 s")


def test_the_page_bench_reports_seconds_per_step():
    from yocr.bench.pages import PageScores, step_table

    base = dict(pages=2, word_precision=1, word_recall=1, word_f1=1, page_cer=0, det_precision=1, det_recall=1,
                det_f1=1, row_f1=1, pages_per_second=1, latency_p50=1, latency_p95=1, load_seconds=0, run_seconds=2,
                peak_mb=None)
    scores = [PageScores("yocr", "sroie", steps={"detect": 0.5, "recognise": 0.2}, **base),
              PageScores("tesseract-page", "sroie", steps={"tesseract": 1.0}, **base)]
    table = step_table(scores)
    assert "| data | engine | detect | recognise | tesseract |" in table
    assert "| sroie | yocr | 0.500 | 0.200 |  |" in table
