#!/bin/sh
# c15: c14 with the receipts' crops as the shipped reader cuts them (yocr data crops --detected) added, x2.
# From v6: git show ef13fd8:recognizer/weights/crnn.pt > runs/crnn-v6.pt (the shipped model before v8).
. .venv/bin/activate
A=.rpack/a; B=.rpack/b; D=runs/sroie-train-detcrops/labels.txt
exec yocr recognizer train --train $B/sroie-train-crops --train $D --train $A/funsd-train-crops --train $B/synth-v2 \
  --train $A/funsd-train-words --train $A/words-train --train $A/ic15-train-crops --train $A/plates-train-bands \
  --oversample $B/sroie-train-crops=2 --oversample $D=2 --oversample $A/funsd-train-crops=2 \
  --oversample $A/words-train=3 --oversample $A/ic15-train-crops=4 --oversample $A/plates-train-bands=3 \
  --val $A/words-val --val $A/ic15-val-crops --val $A/plates-val --val $A/funsd-val-words-labels-1k \
  --val $A/sroie-val-crops-labels-1k --case-blind $B/sroie-train-crops --case-blind $D \
  --case-blind $A/sroie-val-crops-labels-1k \
  --charset extended --init-weights runs/crnn-v6.pt --device cpu --batch-size 64 --lr 2e-4 --workers 1 \
  --reframe 0.3 --seed 0 --epochs 12 --max-steps-per-epoch 300 --time-limit-min 26 --out runs/crnn-c15
