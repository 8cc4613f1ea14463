#!/usr/bin/env bash
# Recognizer training on a lent GPU machine (the `device` tool of this workplace), from the repository root there.
# The crops travel as line stores made by tools/pack_lines.py (.rpack/a with the wheels in .rwhl, then .rpack/b).
#   bash tools/device_recognizer.sh setup          install the carried wheels, copy .rpack/a, a 40-step smoke run
#   bash tools/device_recognizer.sh train K=V ...  copy .rpack/b, train (TrainConfig fields as K=V; init=CKPT to start
#                                                  from CKPT instead of the shipped weights), results to $OUT
#   bash tools/device_recognizer.sh render P N     render synthetic lines on the machine's cores while it waits: fonts
#                                                  and backgrounds from .gpack (fonts.tar.xz, bg/, corpus.txt), P
#                                                  processes, stores of N lines (seeds 1001, 1002, ...) as synth-gSEED;
#                                                  `train` stops them and draws every finished store once an epoch
#                                                  (synth_over=K: K times; real_mult=K: the real stores K times more)
set -u
mkdir -p /tmp/pk /tmp/rdata && ln -sfn "$PWD" /tmp/pk/yocr
export PYTHONPATH=/tmp/site:/tmp/pk PYTHONUNBUFFERED=1 YOCR_CACHE=/tmp/yocr-cache
stage=$1; shift
cp -r .rpack/*/. /tmp/rdata/ 2>/dev/null; ls /tmp/rdata
train() {
python3 - "$@" <<'PY'
import sys, time
from pathlib import Path
from yocr.recognizer.config import TrainConfig
from yocr.recognizer.train import train
D = Path("/tmp/rdata")
have = {p.name for p in D.iterdir()}
kw = dict(a.split("=", 1) for a in sys.argv[1:])
mult, synth_over = int(kw.pop("real_mult", 1)), int(kw.pop("synth_over", 1))
over = {"words-train": 4, "ic15-train-crops": 6, "sroie-train-crops": 4, "plates-train-bands": 5,
        "funsd-train-words": 2, "funsd-train-crops": 2, "synth-v2": 2}
over = {n: k * mult for n, k in over.items()}
over.update({n: synth_over for n in sorted(have) if n.startswith("synth-g")})
trains = [n for n in over if n in have]
print(len(trains), "sources:", trains, flush=True)
cfg = TrainConfig(
    train=[str(D / n) for n in trains],
    val=[str(D / n) for n in ("words-val", "ic15-val-crops", "plates-val", "funsd-val-words-labels-1k",
                              "sroie-val-crops-labels-1k")],
    oversample=[f"{D / n}={over[n]}" for n in trains if over[n] > 1],
    case_blind=[str(D / n) for n in ("sroie-train-crops", "sroie-val-crops-labels-1k") if n in have],
    charset="extended", init_weights=kw.pop("init", "recognizer/weights/crnn.pt"), device=kw.pop("device", "cuda"),
    out=kw.pop("out", "/tmp/rec"), epochs=int(kw.pop("epochs", 1)), batch_size=int(kw.pop("batch_size", 256)),
    lr=float(kw.pop("lr", 6e-4)), workers=int(kw.pop("workers", 14)), seed=0,
    max_steps_per_epoch=int(kw.pop("max_steps_per_epoch", 0)), time_limit_min=float(kw.pop("time_limit_min", 0)))
assert not kw, kw
t = time.time()
print(train(cfg, progress=False), f"{time.time() - t:.1f} s", flush=True)
PY
}
case $stage in
render)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .rwhl/*.whl
  python3 -c "import tarfile; tarfile.open('.gpack/fonts.tar.xz').extractall('/')"
  mkdir -p /tmp/bg /tmp/rtmp && cp .gpack/bg/* /tmp/bg/ && cp .gpack/corpus.txt /tmp/corpus.txt
  nvidia-smi -L; nproc; rm -f /tmp/stop-render
  for p in $(seq 1 "$1"); do
    setsid nohup bash -c 's=$((1000 + $0)); while [ ! -e /tmp/stop-render ]; do
      python3 -m yocr data synth-lines --out /tmp/rtmp/g$s --count $1 --seed $s --workers 1 --scene 0.5 \
        --backgrounds /tmp/bg --text /tmp/corpus.txt --store --height 32 >/tmp/rtmp/log$s 2>&1 \
        && mv /tmp/rtmp/g$s /tmp/rdata/synth-g$s; s=$((s + $2)); done' "$p" "$2" "$1" </dev/null >/dev/null 2>&1 &
  done
  sleep 45; tail -n 3 /tmp/rtmp/log* | tail -12 ;;
wait)
  sleep "$1"; ls /tmp/rdata; tail -n 2 /tmp/rtmp/log* | tail -6 ;;
setup)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .rwhl/*.whl
  nvidia-smi -L
  train out=/tmp/smoke epochs=1 max_steps_per_epoch=40 2>&1 | tail -15 ;;
train)
  touch /tmp/stop-render; pkill -f "data synth-lines"; sleep 1
  out=/tmp/rec; for a in "$@"; do case $a in out=*) out=${a#out=} ;; esac; done
  train "$@" 2>&1 | tail -40
  cp "$out"/best.pt "$out"/last.pt "$out"/metrics.csv "$out"/config.json "$OUT/" 2>/dev/null; ls -la "$OUT" ;;
esac
