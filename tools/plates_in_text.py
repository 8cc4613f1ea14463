"""Is the plate number anywhere in `yocr run`'s text? The share of plates-us validation photos where it is.

    python tools/plates_in_text.py ../shared/data/plates-us --work runs/plates-check [-- yocr run options]

Links the validation photos (every fifth by name) into WORK/photos, runs `yocr run` on them into WORK/out, and counts
the photos whose text, upper-cased with everything but letters and digits dropped, contains the plate number.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from yocr.data.scene import plate_pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plates", type=Path)
    parser.add_argument("--work", type=Path, default=Path("runs/plates-check"))
    parser.add_argument("run_options", nargs="*")
    args, extra = parser.parse_known_args()  # options for yocr run (--detector-weights FILE, ...) pass through
    args.run_options += extra
    if args.run_options[:1] == ["--"]:  # argparse keeps the separator: yocr run would take what follows for inputs
        args.run_options = args.run_options[1:]
    photos, out = args.work / "photos", args.work / "out"
    photos.mkdir(parents=True, exist_ok=True)
    truth = {}
    for path, _, number in plate_pages(args.plates, "val"):
        link = photos / path.name
        if not link.exists():
            os.symlink(path.resolve(), link)
        truth[path.stem] = number
    subprocess.run(["yocr", "run", str(photos), "--out", str(out), "--overwrite", *args.run_options], check=False)
    found = 0
    for stem, number in truth.items():
        txt = out / f"{stem}.txt"
        text = "".join(c for c in txt.read_text(encoding="utf-8").upper() if c.isalnum()) if txt.exists() else ""
        found += number in text
    print(f"plate number in the text: {found} of {len(truth)} photos ({found / max(1, len(truth)):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
