"""The error types yocr raises for bad input, each naming the file (or value) and the problem."""

from __future__ import annotations


class YocrError(Exception):
    """Base class for every error yocr raises on purpose."""


class ImageLoadError(YocrError):
    """An input image could not be read: names the file and why."""

    def __init__(self, path: object, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class LabelError(YocrError):
    """A label cannot be encoded or a labels file is malformed."""


class CheckpointError(YocrError):
    """A weights file is missing, corrupt or not a yocr checkpoint."""
