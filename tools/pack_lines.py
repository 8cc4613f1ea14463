"""Pack labelled line crops into compact line stores (yocr.data.line_store) for a trip to a GPU machine whose upload
is limited: each crop is scaled to the recognizer's input height (32 px, aspect kept) in grey and JPEG-encoded, so
training sees what it would see from the full-size crop. A random sample (seed 0) when ``=N`` follows the file.

    python tools/pack_lines.py --out .rpack/a runs/ic15-train-crops/labels.txt runs/sroie-train-crops/labels.txt=10000
writes .rpack/a/ic15-train-crops/ and .rpack/a/sroie-train-crops/ (one store per labels file, named by its folder).
"""
import argparse
import random
from pathlib import Path

import cv2

from yocr.data.labels import read_labels
from yocr.data.line_store import LineStoreWriter


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("labels", nargs="+", help="LABELS_FILE or LABELS_FILE=N")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--height", type=int, default=32)
    ap.add_argument("--quality", type=int, default=85)
    args = ap.parse_args()
    for spec in args.labels:
        path, _, count = spec.partition("=")
        samples, _ = read_labels(path, check_images=False)
        if count and int(count) < len(samples):
            samples = random.Random(0).sample(samples, int(count))
        name = Path(path).parent.name + ("" if Path(path).name == "labels.txt" else "-" + Path(path).stem)
        writer = LineStoreWriter(args.out / name)
        kept = 0
        for sample in samples:
            image = cv2.imread(str(sample.path), cv2.IMREAD_GRAYSCALE)
            if image is None or image.shape[0] < 2 or image.shape[1] < 2:
                continue
            h, w = image.shape
            width = max(1, round(w * args.height / h))
            image = cv2.resize(image, (width, args.height), interpolation=cv2.INTER_AREA)
            writer.add_image(image, sample.label, args.quality)
            kept += 1
        writer.close()
        size = (args.out / name / "lines.bin").stat().st_size
        print(f"{name}: {kept} lines, {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
