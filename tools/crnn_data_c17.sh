# The recognizer's training and validation sources of tools/train_crnn_c17.sh, as yocr recognizer train options
# (sourced: sets $DATA). The stores .rpack/a and .rpack/b: tools/pack_lines.py (recognizer model card).
A=.rpack/a; B=.rpack/b; D=runs/sroie-train-detcrops/labels.txt; F=runs/funsd-train-detcrops/labels.txt
P=runs/rec-page-crops/labels.txt
DATA="--train $B/sroie-train-crops --train $D --train $F --train $A/funsd-train-crops --train $B/synth-v2 \
  --train $A/funsd-train-words --train $A/words-train --train $A/ic15-train-crops --train $A/plates-train-bands --train $P \
  --oversample $B/sroie-train-crops=2 --oversample $D=2 --oversample $F=2 --oversample $A/funsd-train-crops=2 \
  --oversample $A/words-train=3 --oversample $A/ic15-train-crops=4 --oversample $A/plates-train-bands=3 \
  --val $A/words-val --val $A/ic15-val-crops --val $A/plates-val --val $A/funsd-val-words-labels-1k \
  --val $A/sroie-val-crops-labels-1k --case-blind $B/sroie-train-crops --case-blind $D \
  --case-blind $A/sroie-val-crops-labels-1k --charset extended"
