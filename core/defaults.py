"""Default settings that several commands and configs share, each named once (the CLI options default to these)."""

from __future__ import annotations

import re

DETECTOR_CONF = 0.25  # detector score threshold
SCENE_CONF_SHARE = 0.6  # on a photo of a scene, boxes down to this share of the threshold are kept (README)
DETECTOR_IOU = 0.5  # NMS IoU threshold
MATCH_IOU = 0.5  # a predicted line box matches a true one at this IoU (detector eval, bench pages)
ROW_GAP = 1.0  # segments of a row closer than this x the line height are one line (truth and training targets)
FALLBACK_BELOW = 0.45  # CRNN confidence below which Tesseract re-reads a line (chosen by measurement: README)
PROSE_FALLBACK_BELOW = 0.85  # the same on a page of prose, where Tesseract's word lists help it (README)
REREAD_BELOW = 0.7  # CRNN confidence below which a line is read again in other framings (README)
# ... in yocr run: off, since on documents it gained 0.1 point of word F1 for 4-5 % of the time (README)
RUN_REREAD_BELOW = 0.0
SCENE_MIN_CONFIDENCE = 0.5  # on a photo of a scene, lines read with less confidence are left out (README)
RAY_ADDRESS = re.compile(r"^(local|auto|ray://\S+|[\w.-]+:\d+)$")  # what --ray takes (bare --ray: local)
