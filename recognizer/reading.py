"""What a recognizer returns for one line (kept free of torch, so Tesseract-only paths stay light)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float  # in [0, 1]
