"""The ONNX exports: shipped files current with their .pt, outputs equal to PyTorch's, stale files never used."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import render_line
from yocr import runtime
from yocr.detector.checkpoint import DEFAULT_WEIGHTS as DETECTOR_PT
from yocr.errors import YocrError
from yocr.recognizer.checkpoint import default_weights

RECOGNIZER_PT = default_weights()
GOLDEN = Path(__file__).parent / "golden"
SHIPPED = [(RECOGNIZER_PT, RECOGNIZER_PT.with_suffix(".onnx")), (DETECTOR_PT, DETECTOR_PT.with_suffix(".onnx"))]


def recorded_source(onnx_file: Path) -> str | None:
    import onnx

    return {p.key: p.value for p in onnx.load(str(onnx_file)).metadata_props}.get(runtime.SOURCE_KEY)


@pytest.mark.parametrize("pt, onnx_file", SHIPPED, ids=["recognizer", "detector"])
def test_shipped_onnx_is_exported_from_the_shipped_weights(pt, onnx_file):
    if not pt.is_file():
        pytest.skip(f"no shipped {pt.name}")
    assert onnx_file.is_file(), f"{onnx_file} is missing: run 'yocr export'"
    assert recorded_source(onnx_file) == runtime.file_sha256(pt), f"{onnx_file} is stale: run 'yocr export'"


def synthetic_lines() -> list[np.ndarray]:
    texts = ["TOTAL 12.50", "Invoice No. 2024/001", "a", "Thank you for shopping with us!", "RM 3.90 x 2"]
    return [render_line(t, size=s) for t, s in zip(texts, (24, 18, 30, 16, 40))]


def test_crnn_onnx_gives_the_logits_and_readings_of_pytorch():
    from yocr.recognizer.predictor import Recognizer

    onnx_rec, torch_rec = Recognizer(device="cpu", runtime="onnx"), Recognizer(device="cpu", runtime="torch")
    assert (onnx_rec.runtime, torch_rec.runtime) == ("onnx", "torch")
    assert onnx_rec.charset == torch_rec.charset and onnx_rec.height == torch_rec.height
    lines = [onnx_rec.preprocess(im) for im in synthetic_lines()]
    for batch in (lines[:1], lines[1:2], lines):  # batch sizes 1 and 5, widths from one word to a long line
        a, b = onnx_rec.logits(batch), torch_rec.logits(batch)
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-3)
    images = synthetic_lines()
    a, b = onnx_rec.read(images), torch_rec.read(images)
    assert [r.text for r in a] == [r.text for r in b]
    np.testing.assert_allclose([r.confidence for r in a], [r.confidence for r in b], atol=1e-3)


def test_depthwise_separable_crnn_exports_to_onnx_and_int8(tmp_path):
    import torch

    from yocr.export import export_models
    from yocr.recognizer import checkpoint
    from yocr.recognizer.charset import Charset
    from yocr.recognizer.config import ModelConfig
    from yocr.recognizer.model import CRNN
    from yocr.recognizer.predictor import Recognizer

    torch.manual_seed(0)
    charset = Charset.extended()
    pt = tmp_path / "crnn.pt"
    checkpoint.save(pt, CRNN(charset.num_classes, ModelConfig(channels=(8, 16, 16, 24, 32), hidden=16,
                                                               backbone="dws")).eval(), charset)
    assert export_models(("recognizer",), recognizer_weights=pt) == [pt.with_suffix(".onnx"), runtime.int8_beside(pt)]
    onnx_rec, torch_rec = Recognizer(pt, device="cpu", runtime="onnx"), Recognizer(pt, device="cpu", runtime="torch")
    lines = [onnx_rec.preprocess(im) for im in synthetic_lines()]
    np.testing.assert_allclose(onnx_rec.logits(lines), torch_rec.logits(lines), atol=1e-3)


def test_crnn_onnx_reads_the_golden_lines():
    from yocr.recognizer.predictor import Recognizer

    rec = Recognizer(device="cpu", runtime="onnx")
    rows = [ln.split("\t") for ln in (GOLDEN / "lines" / "expected.tsv").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if len(r) >= 2 and (GOLDEN / "lines" / r[0]).is_file()]
    assert rows
    readings = rec.read([cv2.imread(str(GOLDEN / "lines" / r[0])) for r in rows])
    assert [x.text for x in readings] == [r[1] for r in rows]


def synthetic_page() -> np.ndarray:
    page = np.full((700, 500, 3), 255, np.uint8)
    y = 30
    for text, size in [("GROCERY MART", 30), ("12 Main Street", 20), ("Milk 2L      3.90", 22), ("Bread        2.50", 22),
                       ("TOTAL        6.40", 26), ("Thank you!", 20)]:
        line = render_line(text, size=size)
        page[y : y + line.shape[0], 40 : 40 + line.shape[1]] = line[..., None]
        y += line.shape[0] + 40
    return page


def test_detector_onnx_gives_the_boxes_of_pytorch():
    from yocr.detector.predictor import Detector

    if not DETECTOR_PT.is_file():
        pytest.skip("no shipped detector weights")
    onnx_det, torch_det = Detector(runtime="onnx"), Detector(runtime="torch")
    assert (onnx_det.runtime, torch_det.runtime) == ("onnx", "torch") and onnx_det.imgsz == torch_det.imgsz
    for image in (synthetic_page(), cv2.imread(str(GOLDEN / "pages" / "receipt.png"))):
        a_boxes, a_scores, _ = onnx_det.raw(image)
        b_boxes, b_scores, _ = torch_det.raw(image)
        assert len(a_boxes) == len(b_boxes) > 0
        np.testing.assert_allclose(a_boxes, b_boxes, atol=0.5)
        np.testing.assert_allclose(a_scores, b_scores, atol=1e-3)
        a, b = onnx_det.detect(image), torch_det.detect(image)
        np.testing.assert_allclose([tuple(d.box) for d in a], [tuple(d.box) for d in b], atol=0.5)
    assert {"detector_pre", "detector_net", "detector_nms", "detector_post"} <= set(onnx_det.timings)


def test_a_stale_onnx_file_is_not_used(tmp_path, caplog):
    from yocr.recognizer import checkpoint
    from yocr.recognizer.onnx_crnn import export
    from yocr.recognizer.predictor import Recognizer

    model, charset, _ = checkpoint.load(RECOGNIZER_PT)
    pt = tmp_path / "mine.pt"
    checkpoint.save(pt, model, charset, {"run": 1})
    onnx_file = export(pt)
    assert onnx_file == tmp_path / "mine.onnx" and recorded_source(onnx_file) == runtime.file_sha256(pt)
    assert Recognizer(pt, device="cpu").runtime == "onnx"
    checkpoint.save(pt, model, charset, {"run": 2})  # new weights, not re-exported
    with caplog.at_level(logging.WARNING):
        assert Recognizer(pt, device="cpu").runtime == "torch"
    assert "yocr export" in caplog.text
    with pytest.raises(YocrError, match="other weights"):
        Recognizer(pt, device="cpu", runtime="onnx")
    assert Recognizer(onnx_file, device="cpu").runtime == "onnx"  # an .onnx given directly is used as it is


def test_runtime_names_are_checked():
    with pytest.raises(YocrError, match="--runtime must be one of"):
        runtime.open_onnx(RECOGNIZER_PT, "tensorrt")


def test_reading_on_onnx_never_imports_torch_or_ultralytics():
    if not DETECTOR_PT.is_file():
        pytest.skip("no shipped detector weights")
    code = (
        "import sys, numpy as np\n"
        "from yocr.pipeline.reader import Reader\n"
        "page = np.full((200, 400, 3), 255, np.uint8)\n"
        "page[90:110, 50:350] = 0\n"
        "Reader(fallback='none').read(page)\n"
        "print(sorted(m for m in ('torch', 'ultralytics') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_onnx_and_pytorch_read_the_golden_pages_alike():
    if not DETECTOR_PT.is_file():
        pytest.skip("no shipped detector weights")
    from yocr.pipeline.reader import Reader, ReaderConfig

    texts = {}
    for name in ("onnx", "torch"):
        reader = Reader(ReaderConfig(fallback="none", runtime=name))
        assert reader.stages.detector.runtime == name
        texts[name] = [reader.read(str(p)).text for p in sorted((GOLDEN / "pages").glob("*.png"))]
    assert texts["onnx"] == texts["torch"] and all(texts["onnx"])
    with pytest.raises(YocrError, match="--runtime must be one of"):
        ReaderConfig(runtime="gpu")


@pytest.mark.parametrize("pt", [DETECTOR_PT, RECOGNIZER_PT], ids=["detector", "recognizer"])
def test_shipped_int8_copies_are_made_from_the_shipped_weights(pt):
    int8 = runtime.int8_beside(pt)
    if not int8.is_file():
        pytest.skip(f"no shipped int8 copy of {pt.name}")
    assert recorded_source(int8) == runtime.file_sha256(pt), f"{int8} is stale: run 'yocr export'"


def test_int8_recognizer_reads_as_the_fp32_export_and_only_where_it_can(tmp_path, monkeypatch, caplog):
    from yocr.export import export_models
    from yocr.recognizer import checkpoint
    from yocr.recognizer.predictor import Recognizer

    model, charset, _ = checkpoint.load(RECOGNIZER_PT)
    pt = tmp_path / "rec" / "crnn.pt"
    pt.parent.mkdir()
    checkpoint.save(pt, model, charset, {"run": 1})
    written = export_models(("recognizer",), recognizer_weights=pt)  # yocr export: the fp32 file and its int8 copy
    assert written == [pt.with_suffix(".onnx"), runtime.int8_beside(pt)]
    assert recorded_source(runtime.int8_beside(pt)) == runtime.file_sha256(pt)
    monkeypatch.setattr(runtime, "int8_fast_here", lambda: False)  # plain AVX2: int8 products may saturate
    assert Recognizer(pt, device="cpu").runtime == "onnx"
    monkeypatch.setattr(runtime, "int8_fast_here", lambda: True)  # VNNI or ARM
    fast, fp32 = Recognizer(pt, device="cpu"), Recognizer(pt, device="cpu", runtime="onnx")
    assert (fast.runtime, fp32.runtime) == ("onnx-int8", "onnx")  # --runtime onnx: the fp32 file alone
    rows = [ln.split("\t") for ln in (GOLDEN / "lines" / "expected.tsv").read_text(encoding="utf-8").splitlines()]
    images = [cv2.imread(str(GOLDEN / "lines" / r[0])) for r in rows] + synthetic_lines()
    a, b = fast.read(images), fp32.read(images)
    assert [r.text for r in a] == [r.text for r in b]
    np.testing.assert_allclose([r.confidence for r in a], [r.confidence for r in b], atol=0.05)
    checkpoint.save(pt, model, charset, {"run": 2})  # new weights: both copies are stale, PyTorch reads
    with caplog.at_level(logging.WARNING):
        assert Recognizer(pt, device="cpu").runtime == "torch"
    assert "yocr export" in caplog.text


def test_int8_detector_reads_documents_and_sends_scenes_to_fp32(tmp_path, monkeypatch, caplog):
    import shutil

    from yocr.detector import predictor
    from yocr.detector.onnx_yolo import export_int8
    from yocr.export import export_models

    if not DETECTOR_PT.with_suffix(".onnx").is_file():
        pytest.skip("no shipped detector export")
    pt = tmp_path / "det" / "yolo-lines.pt"
    pt.parent.mkdir()
    shutil.copyfile(DETECTOR_PT, pt)
    shutil.copyfile(DETECTOR_PT.with_suffix(".onnx"), pt.with_suffix(".onnx"))
    receipt = cv2.imread(str(GOLDEN / "pages" / "receipt.png"))
    cv2.imwrite(str(tmp_path / "page.png"), synthetic_page())
    int8 = export_int8([tmp_path / "page.png", GOLDEN / "pages" / "receipt.png"], pt)
    assert int8 == tmp_path / "det" / "yolo-lines.int8.onnx" and recorded_source(int8) == runtime.file_sha256(pt)
    assert sorted(p.name for p in pt.parent.iterdir()) == ["yolo-lines.int8.onnx", "yolo-lines.onnx", "yolo-lines.pt"]
    exact = runtime.int8_fast_here()  # the int8 copy is only used on CPUs with VNNI (or ARM): pretend so here
    monkeypatch.setattr(runtime, "int8_fast_here", lambda: True)

    det, plain = predictor.Detector(pt), predictor.Detector(pt, runtime="onnx")
    assert det.fast is not None and plain.fast is None
    calls = {"int8": 0, "fp32": 0}
    for name, model in (("int8", det.fast), ("fp32", det.yolo)):
        monkeypatch.setattr(model, "predict", lambda *a, _f=model.predict, _n=name: calls.__setitem__(
            _n, calls[_n] + 1) or _f(*a))
    found = det.detect(receipt)
    assert calls == {"int8": 1, "fp32": 0} and not found.scene
    if exact:
        assert abs(len(found) - len(plain.detect(receipt))) <= 1  # documents: the int8 copy finds the same lines
    det.detect(np.full((200, 300, 3), 255, np.uint8))  # int8 finds nothing: the fp32 network has the last word
    assert calls == {"int8": 2, "fp32": 1}
    monkeypatch.setattr(predictor, "SCENE_OUTSIDE", -1.0)  # every page a photo of a scene
    again = det.detect(receipt)
    assert calls == {"int8": 3, "fp32": 2} and again.scene

    other = tmp_path / "other" / "yolo-lines.pt"  # the int8 copy beside other weights is not used
    other.parent.mkdir()
    other.write_bytes(pt.read_bytes() + b"\0")
    shutil.copyfile(int8, runtime.int8_beside(other))
    with caplog.at_level(logging.WARNING):
        assert runtime.open_int8(other) is None
    assert "other weights" in caplog.text and "--int8-pages" in caplog.text
    runtime.int8_beside(other).write_bytes(b"not a model")  # unreadable: the fp32 network runs alone
    with caplog.at_level(logging.WARNING):
        assert runtime.open_int8(other) is None
    assert "not using the int8 copy" in caplog.text
    other.unlink()  # no .pt to check it against
    assert runtime.open_int8(other) is None
    with pytest.raises(YocrError, match="int8-pages"):
        export_models(("recognizer",), int8_pages=(tmp_path / "page.png",))
