#!/bin/sh
# usage: tools/compare_backbones.sh BACKBONE [CHANNELS] -> runs/crnn-bb-BACKBONE: the recognizer trained from scratch
# for a fixed budget (6 epochs of 300 batches of 64: 115,200 samples drawn), on the data of tools/train_crnn_c17.sh,
# so that backbones compare at equal samples (the recognizer issue: choose the backbone by measurement).
. .venv/bin/activate
BB=$1; CH=${2:-}
A=.rpack/a; B=.rpack/b; D=runs/sroie-train-detcrops/labels.txt; F=runs/funsd-train-detcrops/labels.txt
P=runs/rec-page-crops/labels.txt
exec yocr recognizer train --train $B/sroie-train-crops --train $D --train $F --train $A/funsd-train-crops --train $B/synth-v2 \
  --train $A/funsd-train-words --train $A/words-train --train $A/ic15-train-crops --train $A/plates-train-bands --train $P \
  --oversample $B/sroie-train-crops=2 --oversample $D=2 --oversample $F=2 --oversample $A/funsd-train-crops=2 \
  --oversample $A/words-train=3 --oversample $A/ic15-train-crops=4 --oversample $A/plates-train-bands=3 \
  --val $A/words-val --val $A/ic15-val-crops --val $A/plates-val --val $A/funsd-val-words-labels-1k \
  --val $A/sroie-val-crops-labels-1k --case-blind $B/sroie-train-crops --case-blind $D \
  --case-blind $A/sroie-val-crops-labels-1k \
  --charset extended --backbone $BB ${CH:+--channels $CH} --device cpu --batch-size 64 --lr 1e-3 --workers 1 \
  --seed 0 --epochs 6 --max-steps-per-epoch 300 --out runs/crnn-bb-$BB${CH:+-$CH}
