"""Inputs named by URL. ``file://`` URLs take pyarrow's file-system path that ``s3://`` and ``gs://`` URLs take, so
these run without a network or credentials; no object store is tested here."""

from __future__ import annotations

import sys

import cv2
import pytest
from PIL import Image

from test_pipeline import make_inputs, page_image, stub_reader
from yocr.core.image import load_pages
from yocr.core.remote import is_url, read_url
from yocr.errors import ImageLoadError, YocrError
from yocr.pipeline import ray_run
from yocr.pipeline.load import expand_inputs
from yocr.pipeline.run import RunOptions, run

pytest.importorskip("pyarrow.fs")


def inputs_with_pages(tmp_path):
    src = make_inputs(tmp_path)
    pages = [Image.fromarray(page_image([(20, 20 + 60 * j, "LINE") for j in range(k + 1)])[:, :, ::-1]) for k in range(3)]
    pages[0].save(src / "scan.tif", save_all=True, append_images=pages[1:])
    pages[0].save(src / "doc.pdf", save_all=True, append_images=pages[1:2])
    return src


def test_what_is_a_url():
    assert is_url("s3://bucket/scans/") and is_url("gs://b/x.png") and is_url("file:///tmp/x.png")
    assert not is_url("scans/x.png") and not is_url("C:\\scans") and not is_url(b"s3://x")


def test_a_url_folder_lists_as_the_local_folder_does(tmp_path):
    src = inputs_with_pages(tmp_path)
    local, _ = expand_inputs([src])
    remote, missing = expand_inputs([src.as_uri()])  # "scans ü" comes percent-encoded
    assert not missing
    assert [it.rel for it in remote] == [it.rel for it in local]
    assert all(isinstance(it.path, str) and it.path.startswith("file:///") for it in remote)
    one, _ = expand_inputs([(src / "scans ü" / "page one.jpg").as_uri()])
    assert [str(it.rel) for it in one] == ["page one"]


def test_a_run_over_a_url_writes_what_the_local_run_writes(tmp_path):
    src = inputs_with_pages(tmp_path)
    want = run([src, tmp_path / "missing.png"], RunOptions(tmp_path / "local"), reader=stub_reader())
    got = run([src.as_uri(), (tmp_path / "missing.png").as_uri()], RunOptions(tmp_path / "remote"),
              reader=stub_reader())
    assert (got.files, got.done, got.failed) == (want.files, want.done, want.failed) == (9, 6, 3)
    assert (got.pages, got.lines) == (want.pages, want.lines)
    texts = {p.relative_to(tmp_path / "local"): p.read_bytes() for p in (tmp_path / "local").rglob("*.txt")}
    assert texts == {p.relative_to(tmp_path / "remote"): p.read_bytes() for p in (tmp_path / "remote").rglob("*.txt")}
    reasons = dict(got.failures)
    assert "no such file, folder or prefix" in reasons[(tmp_path / "missing.png").as_uri()]
    assert any(p.startswith("file://") and p.endswith("broken.jpg") for p in reasons)
    again = run([src.as_uri()], RunOptions(tmp_path / "remote"), reader=stub_reader())  # resumes
    assert (again.done, again.skipped) == (0, 6)
    pdfs = run([(src / "receipt.png").as_uri(), (src / "doc.pdf").as_uri()],
               RunOptions(tmp_path / "pdf", formats=("pdf",)), reader=stub_reader())  # the page image read again
    assert (pdfs.done, pdfs.failed) == (2, 0)
    assert (tmp_path / "pdf" / "receipt.pdf").stat().st_size > 1000 and (tmp_path / "pdf" / "doc.pdf").is_file()


def test_ray_stages_count_and_load_the_pages_of_a_url(tmp_path):
    src = inputs_with_pages(tmp_path)
    for name, count in (("scan.tif", 3), ("doc.pdf", 2), ("receipt.png", 1), ("scans ü/page one.jpg", 1)):
        url, path = (src / name).as_uri(), str(src / name)
        assert ray_run.count_pages(url) == ray_run.count_pages(path) == count
        for i in range(count):
            assert (ray_run.load_page(url, i, count).bgr == ray_run.load_page(path, i, count).bgr).all()


def test_url_errors_name_the_url(tmp_path, monkeypatch):
    cv2.imwrite(str(tmp_path / "a.png"), page_image([(20, 20, "A")]))
    assert [p.bgr.shape for p in load_pages((tmp_path / "a.png").as_uri())] == [(400, 600, 3)]
    gone = (tmp_path / "gone.png").as_uri()
    with pytest.raises(ImageLoadError, match="gone.png: cannot read it"):
        read_url(gone)
    _, missing = expand_inputs(["nope://host/x.png"])
    assert missing and "no file system for this URL" in missing[0].reason
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.fs", None)
    with pytest.raises(YocrError, match=r'pip install "yocr\[cloud\]"'):
        expand_inputs([gone])
