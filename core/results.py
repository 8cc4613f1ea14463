"""Typed results of reading: a :class:`Page` holds its :class:`Line` objects in reading order, a line its
:class:`Word` objects (when the engine gives word boxes). Each exports itself (``to_dict``/``from_dict``, text).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from yocr.core.geometry import Box

PAGE_BREAK = "\f"  # between the pages of a multi-page file in one .txt
BOX_DIGITS = 1  # JSON rounding of pixel coordinates
SCORE_DIGITS = 4  # JSON rounding of confidences, scores and timings


@dataclass(frozen=True)
class Detection:
    """One text line a detector found: its box in page pixels and the detector's score in [0, 1]."""

    box: Box
    score: float = 1.0
    # an oriented detector's quadrilateral (4 corners in page pixels, clockwise from the text's top-left): the line
    # is cut along it and warped to horizontal; ``box`` is then the axis-aligned box around it
    quad: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", Box.of(self.box))
        if self.quad is not None:
            object.__setattr__(self, "quad", tuple((float(x), float(y)) for x, y in self.quad))


class Detections(list):
    """The lines a detector found on one page (a list of :class:`Detection`); ``scene`` says the page looked like a
    photo of a scene (a street, a car) rather than a document, so boxy crops on it are worth reading in bands."""

    def __init__(self, found=(), scene: bool = False):
        super().__init__(found)
        self.scene = scene


@dataclass(frozen=True)
class Reading:
    """What a recognizer returns for one line crop."""

    text: str
    confidence: float  # in [0, 1]
    words: tuple["Word", ...] = ()  # word boxes in the crop's pixels, when the recognizer gives them


@dataclass(frozen=True)
class Word:
    """One word of a line: its text, its box in page pixels and the recognizer's confidence in [0, 1]."""

    text: str
    box: Box
    confidence: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", Box.of(self.box))

    def to_dict(self) -> dict:
        return {"text": self.text, "box": self.box.rounded(BOX_DIGITS),
                "confidence": round(float(self.confidence), SCORE_DIGITS)}

    @classmethod
    def from_dict(cls, d: dict) -> "Word":
        return cls(d["text"], Box.of(d["box"]), float(d["confidence"]))


@dataclass(frozen=True)
class Line:
    """One output line: its box in page pixels, the text read there and how sure each stage was.

    A printed row split into cells by the detector comes out as one ``Line`` whose ``parts`` are the cells' boxes;
    ``words`` holds word boxes when the engine gives them (empty otherwise).
    """

    box: Box
    text: str
    confidence: float  # recognizer confidence in [0, 1]
    det_score: float  # detector score in [0, 1] (1.0 for engines without one)
    engine: str = "crnn"
    parts: tuple[Box, ...] = ()
    words: tuple[Word, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", Box.of(self.box))
        object.__setattr__(self, "parts", tuple(Box.of(p) for p in self.parts))
        object.__setattr__(self, "words", tuple(self.words))

    def to_dict(self) -> dict:
        out = {
            "box": self.box.rounded(BOX_DIGITS),
            "text": self.text,
            "confidence": round(float(self.confidence), SCORE_DIGITS),
            "det_score": round(float(self.det_score), SCORE_DIGITS),
            "engine": self.engine,
        }
        if len(self.parts) > 1:
            out["parts"] = [p.rounded(BOX_DIGITS) for p in self.parts]
        if self.words:
            out["words"] = [w.to_dict() for w in self.words]
        return out

    def scaled(self, factor: float) -> "Line":
        """The line in a page ``factor`` times larger (boxes of the line, its parts and its words)."""
        words = tuple(replace(w, box=w.box.scaled(factor)) for w in self.words)
        return replace(self, box=self.box.scaled(factor), parts=tuple(p.scaled(factor) for p in self.parts),
                       words=words)

    @classmethod
    def from_dict(cls, d: dict) -> "Line":
        box = Box.of(d["box"])
        parts = tuple(Box.of(p) for p in d.get("parts", [d["box"]]))
        words = tuple(Word.from_dict(w) for w in d.get("words", ()))
        return cls(box, d["text"], float(d["confidence"]), float(d["det_score"]), d.get("engine", "crnn"), parts,
                   words)


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
            "timings": {k: round(float(v), SCORE_DIGITS) for k, v in self.timings.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Page":
        lines = tuple(Line.from_dict(ln) for ln in d["lines"])
        return cls(d["source"], int(d["width"]), int(d["height"]), lines, int(d.get("page", 0)),
                   int(d.get("pages", 1)), dict(d.get("timings", {})))


def text_file(pages: Sequence[Page]) -> str:
    """The ``.txt`` of one input: its pages' text with a form feed between pages, ending in a newline unless empty."""
    text = PAGE_BREAK.join(p.text for p in pages)
    return text + ("\n" if text else "")


def file_dict(source: str, pages: Sequence[Page]) -> dict:
    """The ``.json`` of one input: the page itself for a single page, else ``{"source", "pages": [...]}``."""
    return pages[0].to_dict() if len(pages) == 1 else {"source": source, "pages": [p.to_dict() for p in pages]}


def pages_from_dict(d: dict) -> list[Page]:
    """The pages of a ``.json`` written by :func:`file_dict`."""
    return [Page.from_dict(p) for p in d["pages"]] if isinstance(d.get("pages"), list) else [Page.from_dict(d)]
