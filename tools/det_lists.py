"""Training and validation lists for the detector campaign v6 (issue 15), from folders made by `yocr data yolo` and
`yocr data synth-pages`: every street photo, every plate photo twice, all synthetic pages, 200 of the 526 SROIE
receipts (seed 0) and all FUNSD training forms; validation (ultralytics scores it after every epoch): every other
street/plate validation photo and every fourth real validation page.

    python tools/det_lists.py --real runs/yolo-real --scene runs/yolo-scene \
        --synth runs/yolo-synth2 --synth runs/yolo-synth3 --out runs/det-v6
"""
import argparse
import random
from pathlib import Path


def labelled(folder: Path, pattern: str) -> list[Path]:
    images = sorted(folder.glob(pattern))
    return [p for p in images if (folder.parent.parent / "labels" / folder.name / f"{p.stem}.txt").is_file()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", type=Path, required=True)
    ap.add_argument("--scene", type=Path, required=True)
    ap.add_argument("--synth", type=Path, action="append", default=[])
    ap.add_argument("--sroie", type=int, default=200)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    rng = random.Random(0)
    sroie = labelled(a.real.resolve() / "images/train", "sroie_*")
    funsd = labelled(a.real.resolve() / "images/train", "funsd_*")
    ic15 = labelled(a.scene.resolve() / "images/train", "ic15_*")
    plates = labelled(a.scene.resolve() / "images/train", "plate_*")
    synth = [p for s in a.synth for p in labelled(s.resolve() / "images/train", "*.*")]
    train = rng.sample(sroie, a.sroie) + funsd + ic15 + plates * 2 + synth
    rng.shuffle(train)
    val = sorted((a.scene.resolve() / "images/val").glob("*.*"))[::2] + sorted((a.real.resolve() / "images/val").glob("*.*"))[::4]
    Path(f"{a.out}-train.txt").write_text("".join(f"{p}\n" for p in train))
    Path(f"{a.out}-val.txt").write_text("".join(f"{p}\n" for p in val))
    print(len(train), "train,", len(val), "val; synthetic", len(synth))


if __name__ == "__main__":
    main()
