"""The tools that carry training data to a GPU machine (tools/pack_yolo.py, tools/pack_lines.py) and the street-word
count (tools/words_in_text.py)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pack_yolo_shrinks_images_keeps_labels_and_repeats(tmp_path):
    src = tmp_path / "yolo"
    for split in ("train", "val"):
        (src / "images" / split).mkdir(parents=True)
        (src / "labels" / split).mkdir(parents=True)
    page = np.full((2560, 1000, 3), 255, np.uint8)
    cv2.putText(page, "TOTAL 12.50", (50, 300), cv2.FONT_HERSHEY_SIMPLEX, 3.0, (0, 0, 0), 5)
    cv2.imwrite(str(src / "images/train/a.png"), page)
    (src / "labels/train/a.txt").write_text("0 0.5 0.1 0.6 0.05\n")
    cv2.imwrite(str(src / "images/val/b.png"), page[:500])
    (src / "labels/val/b.txt").write_text("0 0.5 0.5 0.6 0.2\n")
    (tmp_path / "train.txt").write_text(f"{src}/images/train/a.png\n{src}/images/train/a.png\n")
    (tmp_path / "val.txt").write_text(f"{src}/images/val/b.png\n")
    out = tmp_path / "pack"
    subprocess.run([sys.executable, str(TOOLS / "pack_yolo.py"), "--list", str(tmp_path / "train.txt"),
                    "--val", str(tmp_path / "val.txt"), "--out", str(out)], check=True, capture_output=True)
    train = (out / "train.txt").read_text().split()
    assert len(train) == 2 and train[0] == train[1] and train[0].startswith("./p1/images/train/")
    image = cv2.imread(str(out / train[0][2:]))
    assert image.shape[:2] == (1280, 500)  # long side 1280, aspect kept
    label = out / train[0][2:].replace("/images/", "/labels/").replace(".webp", ".txt")
    assert label.read_text() == "0 0.5 0.1 0.6 0.05\n"
    assert "train: train.txt" in (out / "data.yaml").read_text()


def test_pack_lines_writes_a_store_at_the_input_height(tmp_path):
    from yocr.data.labels import read_labels
    from yocr.data.line_store import read_ref

    crops = tmp_path / "crops"
    (crops / "images").mkdir(parents=True)
    for k, text in enumerate(["Hello", "World 42", "x"]):
        line = np.full((64, 40 + 60 * len(text), 3), 255, np.uint8)
        cv2.putText(line, text, (5, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 0), 3)
        cv2.imwrite(str(crops / "images" / f"{k}.png"), line)
    (crops / "labels.txt").write_text("0.png Hello\n1.png World 42\n2.png x\n")
    subprocess.run([sys.executable, str(TOOLS / "pack_lines.py"), "--out", str(tmp_path / "stores"),
                    f"{crops / 'labels.txt'}=2"], check=True, capture_output=True)
    samples, problems = read_labels(tmp_path / "stores" / "crops")
    assert not problems and len(samples) == 2
    assert {s.label for s in samples} <= {"Hello", "World 42", "x"}
    image = read_ref(str(samples[0].path))
    assert image.shape[0] == 32


def test_words_in_text_normalises_and_skips_dont_care(tmp_path):
    words = tool("words_in_text")
    gt = tmp_path / "gt.txt"
    gt.write_text("\ufeff1,2,3,4,5,6,7,8,Genaxis Theatre\n1,2,3,4,5,6,7,8,###\n1,2,3,4,5,6,7,8,[06]\n1,2,3,4,5,6,7,8,--\n")
    assert words.truth_words(gt) == {"GENAXIS": 1, "THEATRE": 1, "06": 1}
    assert words.norm("it's!") == "ITS"
