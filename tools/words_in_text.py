"""How many of the legible words of the street photos does `yocr run`'s text hold? ICDAR 2015 validation photos.

    python tools/words_in_text.py ../shared/data/ic15-train --work runs/words-check [-- yocr run options]

Links photos 901-1000 (the fixed validation split) into WORK/photos, runs `yocr run` on them into WORK/out, and
matches words as multisets per photo: each legible ground-truth word (``###`` is not legible) and each word of the
text, upper-cased with everything but letters and digits dropped (words left empty are dropped). Prints recall (the
share of the truth's words found) and precision (the share of the text's words that are true words).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def norm(word: str) -> str:
    return "".join(c for c in word.upper() if c.isalnum())


def truth_words(gt: Path) -> Counter:
    words = Counter()
    for line in gt.read_text(encoding="utf-8-sig").splitlines():
        parts = line.split(",", 8)
        if len(parts) == 9 and parts[8].strip() != "###":
            words.update(w for w in map(norm, parts[8].split()) if w)  # a few quads hold two words
    return words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ic15", type=Path)
    parser.add_argument("--work", type=Path, default=Path("runs/words-check"))
    parser.add_argument("--first", type=int, default=901)
    parser.add_argument("--last", type=int, default=1000)
    args, extra = parser.parse_known_args()  # options for yocr run (--detector-weights FILE, ...) pass through
    extra = [a for a in extra if a != "--"]
    photos, out = args.work / "photos", args.work / "out"
    shutil.rmtree(out, ignore_errors=True)  # no text left from an earlier run is scored
    photos.mkdir(parents=True, exist_ok=True)
    truth = {}
    for k in range(args.first, args.last + 1):
        image = args.ic15 / "img" / f"img_{k}.jpg"
        link = photos / image.name
        if not link.exists():
            os.symlink(image.resolve(), link)
        truth[image.stem] = truth_words(args.ic15 / "gt" / f"gt_img_{k}.txt")
    subprocess.run(["yocr", "run", str(photos), "--out", str(out), "--overwrite", *extra], check=True)
    found = read = total = 0
    for stem, words in truth.items():
        txt = out / f"{stem}.txt"
        text = Counter(w for w in map(norm, txt.read_text(encoding="utf-8").split()) if w) if txt.exists() else Counter()
        found += sum((words & text).values())
        total += sum(words.values())
        read += sum(text.values())
    print(f"street words in the text: recall {found / max(1, total):.3f} ({found} of {total} legible words), "
          f"precision {found / max(1, read):.3f} ({read} words read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
