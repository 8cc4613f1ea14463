#!/usr/bin/env bash
# usage: bash tools/ray_compare.sh REPORT [INPUT_DIR]
# Alternates three local runs (--workers 2) with three --ray runs over INPUT_DIR (default runs/sroie-val-imgs, the
# SROIE receipts 526-625 as `yocr data` leaves them), each whole command timed; the summary lines, the wall times and
# whether each pair wrote identical outputs go to REPORT. Start `ray start --head --num-cpus 2` first to measure
# against a running instance; without one, each --ray run starts and stops its own.
set -u
cd "$(dirname "$0")/.."
. .venv/bin/activate
O=$1; IN=${2:-runs/sroie-val-imgs}; T=$(mktemp -d); : > "$O"
for i in 1 2 3; do
  rm -rf "$T/local" "$T/ray"
  /usr/bin/time -f "local wall %e s" yocr run "$IN" --out "$T/local" --workers 2 2>&1 | grep -E "files:|wall" >> "$O"
  /usr/bin/time -f "ray wall %e s" yocr run "$IN" --out "$T/ray" --ray 2>&1 | grep -E "files:|wall" >> "$O"
  if diff -r "$T/local" "$T/ray" > /dev/null; then echo "run $i: identical outputs" >> "$O"; else echo "run $i: outputs DIFFER" >> "$O"; fi
done
rm -rf "$T"
