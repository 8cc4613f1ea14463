"""The fixed data splits (see ``../shared/data/README.md``), named once.

SROIE receipts 000-525 train and 526-625 validate; FUNSD: all but the last 30 forms (by file name) train, the last 30
validate. Validation pages never contribute to training data or synthetic text.
"""

from __future__ import annotations

SROIE_TRAIN = (0, 525)  # first and last receipt number, inclusive
SROIE_VAL = (526, 625)
FUNSD_VAL_COUNT = 30  # the last this many FUNSD training forms validate
