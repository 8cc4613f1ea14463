"""Cleaning of recognised lines: whitespace, control characters, noise-only lines, and user rules.

User rules are a text file of regex substitutions, one per line: ``pattern<TAB>replacement`` (a line without a tab
deletes what the pattern matches). Blank lines and lines starting with ``#`` are ignored. Rules apply in file order,
after the built-in cleaning, using Python's :mod:`re` syntax (``\\1`` in the replacement refers to a group). A rule
file is checked whole before any model loads (patterns and the groups replacements name). Rules run with the
:mod:`regex` engine and a time limit per line (``RULE_TIMEOUT``), so a pattern that backtracks catastrophically fails
the file it met, naming the rule and the line, instead of hanging the run.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import regex

from yocr.errors import ConfigError, YocrError

RULE_TIMEOUT = 2.0  # seconds one rule may spend on one line

_SPACES = re.compile(r"[ \t\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_NOISE = re.compile(r"^[\W_]{1,3}$")  # a short run of only punctuation/symbols: specks read as text


@dataclass(frozen=True)
class Rule:
    pattern: regex.Pattern
    replacement: str
    where: str = ""  # FILE:LINE, for messages

    def apply(self, text: str) -> str:
        try:
            return self.pattern.sub(self.replacement, text, timeout=RULE_TIMEOUT)
        except TimeoutError:
            raise YocrError(f"rule {self.where} ({self.pattern.pattern!r}) took over {RULE_TIMEOUT:g} s on the line "
                            f"{text[:80]!r}: simplify the pattern") from None
        except (regex.error, IndexError) as exc:
            raise YocrError(f"rule {self.where}: bad replacement {self.replacement!r}: {exc}") from None


def _compile(pattern: str, replacement: str, where: str) -> Rule:
    """One rule, checked whole: the pattern in both engines' syntax and the groups its replacement names."""
    try:
        compiled = regex.compile(pattern)
        re.compile(pattern).sub(replacement, "")  # re checks the replacement's group references eagerly
    except (re.error, regex.error) as exc:
        raise ConfigError(f"{where}: bad regular expression {pattern!r} or replacement {replacement!r}: {exc}") from None
    return Rule(compiled, replacement, where)


def read_rules(path: str | Path) -> list[Rule]:
    """Regex substitution rules from ``path``; a bad pattern raises an error naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the rules file: {exc}") from None
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        pattern, _, replacement = raw.partition("\t")
        rules.append(_compile(pattern, replacement, f"{path}:{number}"))
    return rules


@dataclass(frozen=True)
class Cleaner:
    """Turns raw recognised text into output text; ``None`` means the line is dropped."""

    rules: tuple[Rule, ...] = ()
    allow: str | None = None  # when set, characters outside it are removed
    drop_noise: bool = True
    _allowed: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_allowed", frozenset(self.allow or ""))

    @classmethod
    def from_options(cls, rules_file: str | Path | None = None, allow: str | None = None, drop_noise: bool = True):
        return cls(tuple(read_rules(rules_file)) if rules_file else (), allow or None, drop_noise)

    def __call__(self, text: str) -> str | None:
        text = unicodedata.normalize("NFC", text)
        text = _CONTROL.sub("", text)
        if self.allow:
            text = "".join(ch for ch in text if ch in self._allowed or ch == " ")
        for rule in self.rules:
            text = rule.apply(text)
        text = _SPACES.sub(" ", text).strip()
        if not text or (self.drop_noise and _NOISE.match(text)):
            return None
        return text
