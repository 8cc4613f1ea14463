#!/usr/bin/env bash
# Detector training on a lent GPU machine (the `device` tool of this workplace), from the repository root there.
# The data travels as packs made by tools/pack_yolo.py (.dpack/p1, .dpack/p2, ... one per call, each carried once).
#   bash tools/device_detector.sh setup        install the carried ultralytics wheels, copy the first pack
#   bash tools/device_detector.sh train ARGS   copy the next pack, start `yocr detector train ARGS` detached
#   bash tools/device_detector.sh watch SECS   follow the log for SECS seconds (or until it ends), copy results to $OUT
set -u
mkdir -p /tmp/pk /tmp/data && ln -sfn "$PWD" /tmp/pk/yocr
export PYTHONPATH=/tmp/site:/tmp/pk YOLO_OFFLINE=1 YOCR_CACHE=/tmp/yocr-cache PYTHONUNBUFFERED=1
stage=$1; shift
case $stage in
setup)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  nvidia-smi -L; nproc
  python3 -c "import ultralytics, torch; print('ultralytics', ultralytics.__version__, 'cuda', torch.cuda.is_available())"
  cp -r .dpack/. /tmp/data/ && du -sh /tmp/data ;;
copy)
  cp -r .dpack/. /tmp/data/ && du -sh /tmp/data ;;
train)
  cp -r .dpack/. /tmp/data/ && du -sh /tmp/data && ls /tmp/data
  cp detector/weights/yolo-lines.pt /tmp/init.pt
  setsid nohup python3 - "$@" > /tmp/train.log 2>&1 < /dev/null <<'PY' &
import sys
from ultralytics.engine.trainer import BaseTrainer
BaseTrainer.read_results_csv = lambda self: {}  # polars is not carried; the csv itself is still written
from yocr.detector.train import DetectorTrainConfig, train
kw = dict(a.split("=", 1) for a in sys.argv[1:])
ints = {"epochs", "imgsz", "batch", "workers", "close_mosaic", "patience"}
floats = {"time_hours", "lr0", "mosaic", "scale", "fliplr", "degrees"}
kw = {k: int(v) if k in ints else float(v) if k in floats else v for k, v in kw.items()}
for k in ("cache", "plots"):
    if k in kw:
        kw[k] = kw[k] == "1"
import dataclasses
names = {f.name for f in dataclasses.fields(DetectorTrainConfig)}
extra = {k: v for k, v in kw.items() if k not in names}
kw = {k: v for k, v in kw.items() if k in names}
print(train(DetectorTrainConfig(**kw, extra=extra)), flush=True)
PY
  echo $! > /tmp/train.pid
  sleep 60; tail -c 3000 /tmp/train.log ;;
watch)
  end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ] && kill -0 "$(cat /tmp/train.pid)" 2>/dev/null; do sleep 15; done
  tail -c 4000 /tmp/train.log | tr '\r' '\n' | grep -v '^\s*$' | tail -40
  run=$(ls -d /tmp/det/*/ 2>/dev/null | head -1)
  cp /tmp/train.log "$OUT/" 2>/dev/null
  [ -n "$run" ] && cp "$run"/results.csv "$run"/config.json "$OUT/" 2>/dev/null
  [ -n "$run" ] && cp "$run"/yolo-lines.pt "$OUT/" 2>/dev/null
  [ -n "$run" ] && cp "$run"/weights/last.pt "$OUT/last.pt" 2>/dev/null
  ls -la "$OUT" ;;
esac
