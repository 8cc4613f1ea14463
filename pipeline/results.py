"""Typed results of reading a page: a :class:`Page` holds its :class:`Line` objects in reading order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One output line: its box in page pixels, the text read there and how sure each stage was.

    A printed row split into cells by the detector comes out as one ``Line`` whose ``parts`` are the cells' boxes.
    """

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    text: str
    confidence: float  # recognizer confidence in [0, 1]
    det_score: float  # detector score in [0, 1] (1.0 for engines without one)
    engine: str = "crnn"
    parts: tuple[tuple[float, float, float, float], ...] = ()

    def to_dict(self) -> dict:
        out = {
            "box": [round(float(v), 1) for v in self.box],
            "text": self.text,
            "confidence": round(float(self.confidence), 4),
            "det_score": round(float(self.det_score), 4),
            "engine": self.engine,
        }
        if len(self.parts) > 1:
            out["parts"] = [[round(float(v), 1) for v in p] for p in self.parts]
        return out


@dataclass(frozen=True)
class Page:
    """The reading of one image (or one page of a PDF or multi-page TIFF)."""

    source: str
    width: int
    height: int
    lines: tuple[Line, ...]
    page: int = 0  # 0-based page index inside a multi-page file
    pages: int = 1  # how many pages the file has
    timings: dict = field(default_factory=dict)  # seconds per step

    @property
    def text(self) -> str:
        """The page as text: one line per output line (no trailing newline when empty)."""
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "page": self.page,
            "pages": self.pages,
            "width": self.width,
            "height": self.height,
            "lines": [line.to_dict() for line in self.lines],
            "timings": {k: round(float(v), 4) for k, v in self.timings.items()},
        }
