#!/bin/sh
# usage: tools/compare_backbones.sh BACKBONE [CHANNELS] -> runs/crnn-bb-BACKBONE[-CHANNELS]: the recognizer trained
# from scratch for a fixed budget (6 epochs of 300 batches of 64: 115,200 samples drawn) on the data of
# tools/train_crnn_c17.sh, so that backbones compare at equal samples (the recognizer issue: choose it by measurement).
. .venv/bin/activate
. tools/crnn_data_c17.sh
BB=$1; CH=${2:-}
exec yocr recognizer train $DATA --backbone $BB ${CH:+--channels $CH} --device cpu --batch-size 64 --lr 1e-3 \
  --workers 1 --seed 0 --epochs 6 --max-steps-per-epoch 300 --out runs/crnn-bb-$BB${CH:+-$CH}
