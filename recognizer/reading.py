"""Moved to :mod:`yocr.core.results` (kept importable while the rooms move over)."""

from yocr.core.results import Reading  # noqa: F401
