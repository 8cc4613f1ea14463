"""Find fonts installed from Debian's font packages that can draw every character a line needs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
# Fonts of symbols, dingbats or maths: they map ASCII code points to pictures.
_EXCLUDE = ("symbol", "d050000l", "dingbat", "math", "standardsymbols")


@lru_cache(maxsize=None)
def font_codepoints(path: str) -> frozenset[int]:
    """The code points ``path`` has glyphs for (empty for an unreadable font), read once per font."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, fontNumber=0, lazy=True)
        return frozenset(font.getBestCmap() or {})
    except Exception:  # noqa: BLE001 - an unreadable font is simply not used
        return frozenset()


def font_covers(path: str, chars: str) -> bool:
    cmap = font_codepoints(path)
    return bool(cmap) and all(ord(c) in cmap for c in chars if c != " ")


def find_fonts(chars: str, dirs: tuple[str, ...] = FONT_DIRS) -> list[Path]:
    """TrueType/OpenType fonts under ``dirs`` with a glyph for every character of ``chars``, sorted by path."""
    found = []
    for d in dirs:
        root = Path(d)
        if not root.is_dir():
            continue
        for p in root.rglob("*"):
            if p.suffix.lower() not in (".ttf", ".otf") or any(x in p.name.lower() for x in _EXCLUDE):
                continue
            if font_covers(str(p), chars):
                found.append(p)
    return sorted(found)
