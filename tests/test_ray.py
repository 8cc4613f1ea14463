"""``yocr run --ray``: on a local Ray instance (two CPUs, stub models, a handful of synthetic pages) it writes what the
local run writes, reports bad files the same way and resumes; without Ray installed it says how to get it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import test_pipeline
from test_pipeline import make_inputs, page_image, stub_reader
from yocr.pipeline import ray_run
from yocr.pipeline.load import expand_inputs
from yocr.pipeline.ray_run import PARTS_DIR, RayOptions, part_path, run_on_ray
from yocr.pipeline.run import FileResult, RunOptions, Summary, run

try:
    import ray
    import ray.data  # noqa: F401
except ImportError:
    ray = None

needs_ray = pytest.mark.skipif(ray is None, reason='Ray is not installed (pip install "yocr[ray]")')
POOL = RayOptions(actors=2, batch_size=2)


@pytest.fixture(scope="module")
def local_ray():
    """One small Ray instance for the module; the stubs travel to the actors by value (tests/ is not importable)."""
    ray.cloudpickle.register_pickle_by_value(test_pipeline)
    try:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    except Exception:  # the node's start can time out on an overloaded machine (ray-project/ray#62883): once more
        ray.shutdown()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
    ray.cloudpickle.unregister_pickle_by_value(test_pipeline)


def add_multi_page(src: Path) -> None:
    pages = [Image.fromarray(page_image([(20, 20 + 60 * j, "LINE") for j in range(k + 1)])[:, :, ::-1]) for k in range(3)]
    pages[0].save(src / "scan.tif", save_all=True, append_images=pages[1:])
    pages[0].save(src / "doc.pdf", save_all=True, append_images=pages[1:2])


def outputs(out: Path) -> dict[str, object]:
    """Every file under ``out`` by relative path; JSON without the timings, errors.tsv as a set of lines."""
    found: dict[str, object] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = str(path.relative_to(out))
        if path.suffix == ".json":
            doc = json.loads(path.read_text())
            for page in doc["pages"] if isinstance(doc.get("pages"), list) else [doc]:
                page.pop("timings")
            found[rel] = doc
        elif path.name == "errors.tsv":
            found[rel] = set(path.read_text().splitlines())
        else:
            found[rel] = path.read_bytes()
    return found


@needs_ray
@pytest.mark.parametrize("driver_plans", [True, False])  # pages counted on the driver, or in Ray tasks
def test_ray_run_writes_what_the_local_run_writes(tmp_path, local_ray, monkeypatch, driver_plans):
    from yocr.pipeline import ray_run

    monkeypatch.setattr(ray_run, "DRIVER_PLAN_MAX", 10_000 if driver_plans else 0)
    src = make_inputs(tmp_path)
    add_multi_page(src)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    want = run([src, tmp_path / "missing.png"], RunOptions(local, json=True, overlay=True), reader=stub_reader())
    got = run_on_ray([src, tmp_path / "missing.png"], RunOptions(on_ray, json=True, overlay=True), ray_opts=POOL,
                     make_reader=stub_reader)
    assert (got.files, got.done, got.skipped, got.failed) == (want.files, want.done, want.skipped, want.failed) == (9, 6, 0, 3)
    assert (got.pages, got.lines) == (want.pages, want.lines)
    assert sorted(got.failures) == sorted(want.failures)
    assert any("broken.jpg" in p and "not an image" in r for p, r in got.failures)
    assert outputs(on_ray) == outputs(local)
    assert got.reading_pages_per_second > 0 and want.reading_pages_per_second > 0  # the same steady-state measure
    assert (on_ray / "scan.txt").read_text() == "word\fword\nword\fword\nword\nword\n"
    assert not (on_ray / PARTS_DIR).exists() and not list(on_ray.rglob("*.tmp"))


@needs_ray
def test_ray_run_splits_pages_like_the_local_run(tmp_path, local_ray):
    src = tmp_path / "in"
    src.mkdir()
    add_multi_page(src)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    run([src], RunOptions(local, split_pages=True), reader=stub_reader())
    run_on_ray([src], RunOptions(on_ray, split_pages=True), ray_opts=POOL, make_reader=stub_reader)
    assert outputs(on_ray) == outputs(local)
    assert "scan.pages" in outputs(on_ray)


@needs_ray
def test_ray_run_resumes(tmp_path, local_ray):
    src = make_inputs(tmp_path)
    add_multi_page(src)
    out = tmp_path / "out"
    opts = RunOptions(out)
    # An interrupted earlier run: receipt.png done (and edited since), page 2 of scan.tif read but not assembled.
    run([src / "receipt.png"], opts, reader=stub_reader())
    (out / "receipt.txt").write_text("kept\n")
    # And every page of doc.pdf read, but the file not written (its last actor was killed in between).
    items = {it.path.name: it for it in expand_inputs([src])[0]}

    def read_before(name: str, index: int, pages: int) -> None:
        page = stub_reader().read_array(page_image([(20, 20, "X")]), source=str(items[name].path), page=index,
                                        pages=pages).to_dict()
        page["lines"][0]["text"] = "read before"
        part_path(items[name], opts, index).parent.mkdir(parents=True, exist_ok=True)
        part_path(items[name], opts, index).write_text(json.dumps(page))

    read_before("scan.tif", 1, 3)
    read_before("doc.pdf", 0, 2)
    read_before("doc.pdf", 1, 2)
    (part_path(items["scan.tif"], opts, 2).with_name(".00002.json.123.tmp")).write_text("half a file")  # cut short
    first = run_on_ray([src], opts, ray_opts=POOL, make_reader=stub_reader)
    assert (first.done, first.skipped, first.failed) == (5, 1, 2)
    assert (out / "receipt.txt").read_text() == "kept\n"
    assert (out / "scan.txt").read_text() == "word\fread before\fword\nword\nword\n"  # the part was reused
    assert (out / "doc.txt").read_text() == "read before\fread before\n"  # assembled from its parts alone
    assert not (out / PARTS_DIR).exists()
    again = run_on_ray([src], opts, ray_opts=POOL, make_reader=stub_reader)
    assert (again.done, again.skipped, again.failed) == (0, 6, 2)
    assert len((out / "errors.tsv").read_text().splitlines()) == 3


@needs_ray
def test_cli_run_with_ray(tmp_path, local_ray, monkeypatch):
    from yocr.cli import app

    real = ray_run.run_on_ray
    monkeypatch.setattr(ray_run, "run_on_ray", lambda *a, **k: real(*a, **k, make_reader=stub_reader))
    src = make_inputs(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(src), "--out", str(out), "--ray-actors", "2", "--ray"])  # bare: local
    assert result.exit_code == 1, result.output
    assert "4 read" in result.output and "2 failed" in result.output and "broken.jpg" in result.output
    assert (out / "receipt.txt").read_text() == "word\nword\n" and (out / "errors.tsv").is_file()


def test_tally_counts_a_retried_page_once_and_closes_files_when_all_pages_are_in():
    tally = ray_run.Tally()
    row = {"path": "a.tif", "pages": 2, "lines": 3, "error": "", "node": "n1"}
    assert tally.add({**row, "page": 0}) is None
    assert tally.add({**row, "page": 0}) is None  # the batch of a killed actor, read again
    done = tally.add({**row, "page": 1, "node": "n2"})
    assert (done.status, done.pages, done.lines) == ("done", 2, 6)
    assert tally.add({**row, "page": 1}) is None and dict(tally.nodes) == {"n1": 1, "n2": 1}
    failed = tally.add({"path": "b.png", "page": 0, "pages": 0, "lines": 0, "error": "empty file (0 bytes)", "node": "n1"})
    assert (failed.status, failed.reason) == ("failed", "empty file (0 bytes)")


def test_a_files_reading_spans_its_pages_and_the_run_from_first_begun_to_last_done():
    tally = ray_run.Tally()
    row = {"path": "a.tif", "pages": 2, "lines": 1, "error": "", "node": "n1"}
    assert tally.add({**row, "page": 1, "began": 12.0, "ended": 13.0}) is None  # pages come back in any order
    done = tally.add({**row, "page": 0, "began": 10.0, "ended": 11.5})
    assert done.span == (10.0, 13.0)
    summary = Summary()
    summary.add(done)
    summary.add(FileResult("b.png", "done", 2, 1, span=(11.0, 15.0)))
    summary.add(FileResult("c.png", "skipped"))  # nothing read: no span
    assert summary.span == (10.0, 15.0) and summary.reading_pages_per_second == 4 / 5
    assert Summary().reading_pages_per_second == 0.0


def test_a_bare_ray_option_means_local():
    from yocr.pipeline.cli import with_bare_ray

    assert with_bare_ray(["run", "a", "--ray"]) == ["run", "a", "--ray", "local"]
    assert with_bare_ray(["run", "--ray", "photos/", "--out", "o"]) == ["run", "--ray", "local", "photos/", "--out", "o"]
    assert with_bare_ray(["run", "a", "--ray", "--ray-actors", "2"]) == ["run", "a", "--ray", "local", "--ray-actors", "2"]
    for address in ("auto", "ray://head:10001", "10.0.0.5:6379", "local"):
        assert with_bare_ray(["run", "a", "--ray", address]) == ["run", "a", "--ray", address]
    assert with_bare_ray(["detect", "a", "--ray"]) == ["detect", "a", "--ray"]  # only yocr run has --ray


def test_local_joins_a_ray_instance_already_running_here(monkeypatch):
    class Ray:  # ray.init as Ray answers when `ray start --head` runs on this machine
        calls: list = []

        def is_initialized(self):
            return False

        def init(self, **kwargs):
            self.calls.append(kwargs)
            if "_system_config" in kwargs:
                raise ValueError("When connecting to an existing cluster, _system_config must not be provided.")

    from yocr.errors import YocrError

    monkeypatch.setattr(ray_run, "quiet", lambda ray: None)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    ray = Ray()
    assert ray_run.connect(ray, RayOptions("local")) is True
    assert len(ray.calls) == 2 and "_system_config" not in ray.calls[1]
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")  # ray.init() would join that cluster: not what local means
    with pytest.raises(YocrError, match="--ray auto"):
        ray_run.connect(Ray(), RayOptions("local"))


def test_ray_address_and_knobs_are_checked():
    from yocr.errors import YocrError

    for address in ("local", "auto", "ray://head:10001", "10.0.0.5:6379"):
        RayOptions(address)
    with pytest.raises(YocrError, match="not a Ray address"):
        RayOptions("photos/")
    with pytest.raises(YocrError, match="--ray-actors"):
        RayOptions(actors=-1)


def test_ray_asked_for_without_ray_installed(tmp_path, monkeypatch):
    from yocr.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError, as without the extra
    monkeypatch.setitem(sys.modules, "ray.data", None)
    src = make_inputs(tmp_path)
    result = CliRunner().invoke(app, ["run", str(src), "--out", str(tmp_path / "out"), "--ray", "local"])
    assert result.exit_code == 2
    assert 'pip install "yocr[ray]"' in result.output
    assert not (tmp_path / "out").exists()


def test_local_run_does_not_import_ray():
    code = ("import sys; from yocr.cli import app; from yocr.pipeline import run;"
            "assert 'ray' not in sys.modules, 'the local run imported ray'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pages_are_counted_without_decoding_and_decoded_one_by_one_as_the_loader_does(tmp_path):
    from yocr.core.image import load_pages
    from yocr.errors import ImageLoadError

    add_multi_page(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    for name in ("scan.tif", "doc.pdf"):
        path = str(tmp_path / name)
        want = list(load_pages(path))
        assert ray_run.count_pages(path) == len(want) > 1
        for page in want:
            got = ray_run.load_page(path, page.index, page.count)
            assert (got.index, got.count, got.scale, got.original) == (page.index, page.count, page.scale, page.original)
            assert (got.bgr == page.bgr).all()
    with pytest.raises(ImageLoadError, match="empty file"):
        ray_run.count_pages(str(tmp_path / "empty.png"))
    rows = list(ray_run.plan({"path": str(tmp_path / "empty.png"), "rel": "empty.png"}))
    assert len(rows) == 1 and "empty file" in rows[0]["error"]
