"""Pack YOLO training images into small folders for a trip to a GPU machine whose upload is limited (about 40 MB a
call): each image is shrunk to at most ``--max-side`` px on its long side (the detector trains and runs at 1280, so
nothing it sees is lost) and re-encoded as WebP; its label file is copied unchanged (YOLO labels are normalised).

    python tools/pack_yolo.py --list runs/det-v6-train.txt --val runs/det-v6-val.txt --out .dpack --max-mb 38

writes ``.dpack/p1``, ``.dpack/p2``, ... (each under ``--max-mb``) and ``.dpack/train.txt`` / ``val.txt`` (paths
relative to ``.dpack``, a repeated line in the list stays repeated) and ``.dpack/data.yaml``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2


def label_of(image: Path) -> Path:
    parts = list(image.parts)
    at = len(parts) - 1 - parts[::-1].index("images")
    parts[at] = "labels"
    return Path(*parts).with_suffix(".txt")


def encode(image: Path, max_side: int, quality: int) -> bytes:
    pixels = cv2.imread(str(image), cv2.IMREAD_COLOR)
    if pixels is None:
        raise SystemExit(f"{image}: cannot be read")
    h, w = pixels.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        pixels = cv2.resize(pixels, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".webp", pixels, [cv2.IMWRITE_WEBP_QUALITY, quality])
    if not ok:
        raise SystemExit(f"{image}: cannot be encoded")
    return data.tobytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", type=Path, required=True, help="training image list (one path a line)")
    ap.add_argument("--val", type=Path, required=True, help="validation image list")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--max-side", type=int, default=1280)
    ap.add_argument("--quality", type=int, default=50)
    ap.add_argument("--max-mb", type=float, default=38.0)
    args = ap.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    done: dict[Path, str] = {}
    pack, used = 1, 0
    lists = {}
    for split, listing in (("val", args.val), ("train", args.list)):
        rows = []
        for line in listing.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            image = Path(line.strip())
            if image not in done:
                data = encode(image, args.max_side, args.quality)
                label = label_of(image).read_bytes() if label_of(image).is_file() else b""
                if used + len(data) + len(label) > args.max_mb * 2**20:
                    pack, used = pack + 1, 0
                name = f"{len(done):05d}_{image.stem}"  # numbered: two folders may hold the same stem
                target = args.out / f"p{pack}" / "images" / split / f"{name}.webp"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                label_target = args.out / f"p{pack}" / "labels" / split / f"{name}.txt"
                label_target.parent.mkdir(parents=True, exist_ok=True)
                label_target.write_bytes(label)
                used += len(data) + len(label)
                done[image] = "./" + str(target.relative_to(args.out))
            rows.append(done[image])
        lists[split] = rows
        (args.out / f"{split}.txt").write_text("".join(f"{r}\n" for r in rows), encoding="utf-8")
    (args.out / "data.yaml").write_text("train: train.txt\nval: val.txt\nnames:\n  0: text_line\n", encoding="utf-8")
    for p in sorted(args.out.glob("p*")):
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        print(p, f"{size / 2**20:.1f} MB", sum(1 for _ in p.rglob("*.webp")), "images")
    print({k: len(v) for k, v in lists.items()})


if __name__ == "__main__":
    main()
