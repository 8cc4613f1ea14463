#!/usr/bin/env bash
# What the GPU machine needs to render synthetic lines itself (tools/device_recognizer.sh render), in .gpack (under
# the 64 MiB a call carries, with the repository and .rwhl): the fonts that find_fonts finds here with the word list
# (xz), every third ICDAR 2015 training photo of runs/backgrounds shrunk to 640 px (JPEG q60), and the transcriptions
# of the SROIE and FUNSD training crops as text. Run from the repository root with the venv active.
#   mkdir -p runs/backgrounds && for i in $(seq 1 900); do ln -sf "$PWD/../shared/data/ic15-train/img/img_$i.jpg" runs/backgrounds/; done
#   bash tools/pack_synth.sh
set -eu
mkdir -p .gpack/bg
grep -qx "/.gpack/" .git/info/exclude || echo /.gpack/ >> .git/info/exclude
python - <<'PY'
from pathlib import Path
from PIL import Image
from yocr.data.fonts import find_fonts
fonts = find_fonts("".join(chr(c) for c in range(33, 127)))
Path(".gpack/fonts.txt").write_text("\n".join(str(f) for f in fonts))
for p in sorted(Path("runs/backgrounds").glob("*.jpg"))[::3]:
    im = Image.open(p).convert("RGB")
    im.thumbnail((640, 640))
    im.save(f".gpack/bg/{p.name}", quality=60)
PY
test -f /usr/share/dict/american-english || { echo "the word list is missing: apt-get install wamerican" >&2; exit 1; }
(cd / && tar cf - --transform 's,^/,,' -T "$OLDPWD/.gpack/fonts.txt" usr/share/dict/american-english) | xz -T2 -6 > .gpack/fonts.tar.xz
rm .gpack/fonts.txt
cut -d' ' -f2- runs/sroie-train-crops/labels.txt runs/funsd-train-crops/labels.txt | sort -u > .gpack/corpus.txt
du -sh .gpack
