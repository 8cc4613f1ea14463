#!/bin/sh
# c17: c16 continued (from its best epoch) with line crops cut from synthetic printed pages added (book text at its
# real resolution, so word spaces of proportional fonts stay learned); run tools/train_crnn_c16.sh first.
# Its crops: yocr data synth-pages --count 700 --seed 3001 --val-fraction 0 --min-side 1000 --max-side 3500 --workers 2 --out runs/synth-rec-pages
#            yocr data crops --yolo runs/synth-rec-pages --yolo-split train --out runs/rec-page-crops
. .venv/bin/activate
A=.rpack/a; B=.rpack/b; D=runs/sroie-train-detcrops/labels.txt; F=runs/funsd-train-detcrops/labels.txt
P=runs/rec-page-crops/labels.txt
exec yocr recognizer train --train $B/sroie-train-crops --train $D --train $F --train $A/funsd-train-crops --train $B/synth-v2 \
  --train $A/funsd-train-words --train $A/words-train --train $A/ic15-train-crops --train $A/plates-train-bands --train $P \
  --oversample $B/sroie-train-crops=2 --oversample $D=2 --oversample $F=2 --oversample $A/funsd-train-crops=2 \
  --oversample $A/words-train=3 --oversample $A/ic15-train-crops=4 --oversample $A/plates-train-bands=3 \
  --val $A/words-val --val $A/ic15-val-crops --val $A/plates-val --val $A/funsd-val-words-labels-1k \
  --val $A/sroie-val-crops-labels-1k --case-blind $B/sroie-train-crops --case-blind $D \
  --case-blind $A/sroie-val-crops-labels-1k \
  --charset extended --init-weights runs/crnn-c16/best.pt --device cpu --batch-size 64 --lr 1e-4 --workers 1 \
  --reframe 0.3 --seed 1 --epochs 20 --max-steps-per-epoch 300 --time-limit-min 75 --out runs/crnn-c17
