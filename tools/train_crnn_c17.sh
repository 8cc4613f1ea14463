#!/bin/sh
# c17: c16 continued (from its best epoch) with line crops cut from synthetic printed pages added (book text at its
# real resolution, so word spaces of proportional fonts stay learned); run tools/train_crnn_c16.sh first.
# Its crops: yocr data synth-pages --count 700 --seed 3001 --val-fraction 0 --min-side 1000 --max-side 3500 --workers 2 --out runs/synth-rec-pages
#            yocr data crops --yolo runs/synth-rec-pages --yolo-split train --out runs/rec-page-crops
. .venv/bin/activate
. tools/crnn_data_c17.sh
exec yocr recognizer train $DATA --init-weights runs/crnn-c16/best.pt --device cpu --batch-size 64 --lr 1e-4 \
  --workers 1 --reframe 0.3 --seed 1 --epochs 20 --max-steps-per-epoch 300 --time-limit-min 75 --out runs/crnn-c17
