#!/bin/sh
# c16: c15 continued (from its best epoch), with the forms' crops as the reader cuts them added, x2; run tools/train_crnn_c15.sh first.
# Its crops: yocr data crops --sroie ../shared/data/sroie-train --last 525 --detected --out runs/sroie-train-detcrops
#            yocr data crops --funsd ../shared/data/funsd-train --funsd-split train --detected --out runs/funsd-train-detcrops
. .venv/bin/activate
A=.rpack/a; B=.rpack/b; D=runs/sroie-train-detcrops/labels.txt; F=runs/funsd-train-detcrops/labels.txt
exec yocr recognizer train --train $B/sroie-train-crops --train $D --train $F --train $A/funsd-train-crops --train $B/synth-v2 \
  --train $A/funsd-train-words --train $A/words-train --train $A/ic15-train-crops --train $A/plates-train-bands \
  --oversample $B/sroie-train-crops=2 --oversample $D=2 --oversample $F=2 --oversample $A/funsd-train-crops=2 \
  --oversample $A/words-train=3 --oversample $A/ic15-train-crops=4 --oversample $A/plates-train-bands=3 \
  --val $A/words-val --val $A/ic15-val-crops --val $A/plates-val --val $A/funsd-val-words-labels-1k \
  --val $A/sroie-val-crops-labels-1k --case-blind $B/sroie-train-crops --case-blind $D \
  --case-blind $A/sroie-val-crops-labels-1k \
  --charset extended --init-weights runs/crnn-c15/best.pt --device cpu --batch-size 64 --lr 1.5e-4 --workers 1 \
  --reframe 0.3 --seed 0 --epochs 24 --max-steps-per-epoch 300 --time-limit-min 80 --out runs/crnn-c16
