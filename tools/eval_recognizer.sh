#!/usr/bin/env bash
# usage: tools/eval_recognizer.sh WEIGHTS TAG [bench lines options, e.g. --reread-below 0] -> runs/evalrec-TAG.txt: the validation figures of the recognizer model card
set -u
cd "$(dirname "$0")/.."
. .venv/bin/activate
W=$1; T=$2; shift 2; X=("$@"); O=runs/evalrec-$T.txt; : > $O
b() { echo "== $*" >> $O; yocr bench lines "$@" --engines crnn --weights $W "${X[@]}" --out runs/bl-$T 2>/dev/null >> $O; }
b runs/words-val/labels.txt --alnum
b runs/ic15-val-crops/labels.txt --alnum
b runs/funsd-val-words/labels.txt
b runs/plates-val/labels.txt --alnum --case-sensitive
b runs/plates-val/labels.txt --alnum --case-sensitive --bands
b runs/sroie-val-crops/labels.txt
