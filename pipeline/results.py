"""Moved to :mod:`yocr.core.results` (kept importable while the rooms move over)."""

from yocr.core.results import Line, Page, Word  # noqa: F401
