"""The fixed data splits (see ``../shared/data/README.md``), named once.

SROIE receipts 000-525 train and 526-625 validate; FUNSD: all but the last 30 forms (by file name) train, the last 30
validate. Validation pages never contribute to training data or synthetic text.
"""

from __future__ import annotations

SROIE_TRAIN = (0, 525)  # first and last receipt number, inclusive
SROIE_VAL = (526, 625)
FUNSD_VAL_COUNT = 30  # the last this many FUNSD training forms validate

# Scene-text sets (issue 14/15): ICDAR 2015 street photos img_901..img_1000 validate; words-train lines 10, 20, ...
# validate; plates-us files sorted by name: the 5th, 10th, ... validate.
IC15_VAL_FIRST = 901
WORDS_VAL_EVERY = 10
PLATES_VAL_EVERY = 5
