"""Text for synthetic lines: words, multi-word lines, numbers, prices, dates, codes, plates and real transcriptions."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np

from yocr.core.alphabet import PRINTABLE_ASCII

_DICT_FILES = ("/usr/share/dict/words", "/usr/share/dict/american-english")
_FALLBACK_WORDS = (
    "total amount cash change tax invoice receipt date time qty price item description subtotal discount "
    "rounding balance thank you please come again member card visa master payment account number phone fax "
    "address street road avenue city state zip code name signature approved company limited from to subject "
    "report page section table figure the and of for with in on at by this that is are was were be"
).split()


def load_words(extra: list[str] | None = None) -> list[str]:
    words: list[str] = []
    for f in _DICT_FILES:
        p = Path(f)
        if p.is_file():
            words = [w for w in p.read_text(encoding="utf-8", errors="ignore").split() if w.isascii() and "'" not in w]
            break
    return (words or list(_FALLBACK_WORDS)) + list(extra or [])


_TYPOGRAPHIC_CHARS = "’‘“”–—…•€£¥°©®™½¼¾×÷§¶é"
_ACCENTED_WORDS = (
    "café", "résumé", "naïve", "façade", "déjà vu", "crème brûlée", "entrée", "fiancée", "jalapeño", "señor",
    "piñata", "Zürich", "München", "straße", "Köln", "Besançon", "Noël", "hôtel", "château", "crêpe", "garçon",
    "àla carte", "coöperate", "Müller", "Björk", "São", "Ångström", "Érable", "ÉCOLE", "CAFÉ", "PÂTISSERIE", "Ça va",
    "Île", "Ôtez", "Ünal", "Çelik", "BRÛLÉE", "Über", "Ärzte", "Öl", "El Niño", "mañana", "pâté", "bière",
)


class TextSource:
    """Draws line texts of many kinds from one seeded generator."""

    def __init__(self, corpus_lines: list[str] | None = None, charset: str = PRINTABLE_ASCII):
        self.charset = charset
        self.corpus = [" ".join(t.split()) for t in (corpus_lines or []) if t.strip()]
        self.corpus = [t for t in self.corpus if all(c in charset for c in t)]
        self.words = load_words([w for t in self.corpus for w in t.split()])
        self.kinds = [
            (self.sentence, 0.30),
            (self.word, 0.08),
            (self.real, 0.25 if self.corpus else 0.0),
            (self.number, 0.07),
            (self.price_line, 0.10),
            (self.date, 0.05),
            (self.code, 0.06),
            (self.plate, 0.04),
            (self.random_chars, 0.05),
            (self.sign, 0.12),
            (self.web, 0.03),
            (self.typographic, 0.08 if any(c in charset for c in _TYPOGRAPHIC_CHARS) else 0.0),
        ]
        w = np.array([k[1] for k in self.kinds])
        self.weights = w / w.sum()

    def __call__(self, rng: np.random.Generator) -> str:
        kind = self.kinds[rng.choice(len(self.kinds), p=self.weights)][0]
        text = " ".join(kind(rng).split())
        text = "".join(c for c in text if c in self.charset)
        return text or self.word(rng)

    def _case(self, rng: np.random.Generator, text: str) -> str:
        r = rng.random()
        if r < 0.35:
            return text.upper()
        if r < 0.6:
            return text.lower()
        if r < 0.85:
            return text.title()
        return text

    def word(self, rng: np.random.Generator) -> str:
        return self._case(rng, self.words[rng.integers(len(self.words))])

    def sentence(self, rng: np.random.Generator) -> str:
        n = int(rng.integers(2, 9))
        words = [self.words[rng.integers(len(self.words))] for _ in range(n)]
        text = " ".join(words)
        if rng.random() < 0.3:
            text += rng.choice([".", ",", ":", ";", "!", "?", " -", " :"])
        return self._case(rng, text)

    def real(self, rng: np.random.Generator) -> str:
        text = self.corpus[rng.integers(len(self.corpus))]
        return self._case(rng, text) if rng.random() < 0.6 else text

    def number(self, rng: np.random.Generator) -> str:
        r = rng.random()
        if r < 0.3:
            return str(int(rng.integers(0, 10 ** int(rng.integers(1, 10)))))
        if r < 0.6:
            return f"{rng.random() * 10 ** rng.integers(1, 6):,.{rng.integers(0, 4)}f}"
        return f"{rng.integers(1, 100)} x {rng.random() * 100:.2f}"

    def price_line(self, rng: np.random.Generator) -> str:
        item = " ".join(self.words[rng.integers(len(self.words))] for _ in range(int(rng.integers(1, 4))))
        price = f"{rng.random() * 10 ** rng.integers(1, 4):.2f}"
        currency = rng.choice(["", "$", "RM", "RM ", "EUR ", "USD ", "£", "€"])
        currency = "".join(c for c in currency if c in self.charset)
        qty = int(rng.integers(1, 20))
        pattern = rng.integers(4)
        if pattern == 0:
            return f"{self._case(rng, item)} {currency}{price}"
        if pattern == 1:
            return f"{qty} {self._case(rng, item)} {price}"
        if pattern == 2:
            return f"{self._case(rng, rng.choice(['TOTAL', 'Subtotal', 'TAX', 'Cash', 'CHANGE', 'GST 6%']))} {price}"
        return f"{qty} x {price} = {qty * float(price):.2f}"

    def date(self, rng: np.random.Generator) -> str:
        d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(1990, 2031))
        months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        fmt = [
            f"{d:02d}/{m:02d}/{y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}-{m:02d}-{y % 100:02d}",
            f"{d} {months[m - 1]} {y}",
            f"{d:02d}.{m:02d}.{y}",
            f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}:{int(rng.integers(0, 60)):02d}",
            f"{d:02d}/{m:02d}/{y} {int(rng.integers(1, 13))}:{int(rng.integers(0, 60)):02d} {rng.choice(['AM', 'PM'])}",
        ]
        return fmt[rng.integers(len(fmt))]

    def code(self, rng: np.random.Generator) -> str:
        alphabet = string.ascii_uppercase + string.digits
        parts = ["".join(rng.choice(list(alphabet), size=int(rng.integers(2, 7)))) for _ in range(int(rng.integers(1, 4)))]
        sep = rng.choice(["-", "/", " ", "", "#", "."])
        prefix = rng.choice(["", "No. ", "INV", "Ref: ", "#", "TEL: ", "GST No: "])
        return prefix + sep.join(parts)

    def plate(self, rng: np.random.Generator) -> str:
        letters = string.ascii_uppercase
        a = "".join(rng.choice(list(letters), size=int(rng.integers(1, 4))))
        n = str(int(rng.integers(1, 10000)))
        b = "".join(rng.choice(list(letters), size=int(rng.integers(0, 3))))
        return rng.choice([f"{a} {n} {b}", f"{a}{n}{b}", f"{a}-{n}", f"{n} {a}"]).strip()

    def sign(self, rng: np.random.Generator) -> str:
        """One to three words as on signs and shop fronts, in upper, title or mixed case."""
        return self._case(rng, " ".join(self.words[rng.integers(len(self.words))] for _ in range(int(rng.integers(1, 4)))))

    def web(self, rng: np.random.Generator) -> str:
        a, b = (self.words[rng.integers(len(self.words))].lower() for _ in range(2))
        pattern = rng.integers(4)
        if pattern == 0:
            return f"www.{a}{b}.{rng.choice(['com', 'org', 'net', 'co.uk', 'de'])}"
        if pattern == 1:
            return f"{a}.{b}@{rng.choice(['gmail.com', 'mail.org', 'example.net'])}"
        if pattern == 2:
            return f"https://{a}.com/{b}"
        return f"@{a}_{b}" if rng.random() < 0.5 else f"#{a}{b}"

    def typographic(self, rng: np.random.Generator) -> str:
        """Text with the non-ASCII characters of real documents and signs: quotes, dashes, currency, accents."""
        w1, w2 = (self.words[rng.integers(len(self.words))] for _ in range(2))
        num = f"{rng.random() * 10 ** rng.integers(1, 4):.2f}"
        accented = rng.choice(_ACCENTED_WORDS)
        options = [
            f"“{w1} {w2}”", f"‘{w1}’", f"{w1}’s {w2}", f"{w1} – {w2}", f"{w1} — {w2}", f"{w1}…",
            f"• {self._case(rng, w1)}", f"€{num}", f"£{num}", f"¥{int(float(num))}", f"{num} €",
            f"{int(rng.integers(-20, 45))}°C", f"{int(rng.integers(0, 360))}°", f"© {int(rng.integers(1950, 2031))} {w1.title()}",
            f"{w1.title()}®", f"{w1.title()}™", f"§ {int(rng.integers(1, 200))}", f"¶ {int(rng.integers(1, 40))}",
            f"{rng.choice(['½', '¼', '¾'])} {w1}", f"{int(rng.integers(2, 20))} × {int(rng.integers(2, 20))}",
            f"{int(rng.integers(10, 99))} ÷ {int(rng.integers(2, 9))}", self._case(rng, accented),
            f"{self._case(rng, accented)} {w1}",
        ]
        return options[rng.integers(len(options))]

    def random_chars(self, rng: np.random.Generator) -> str:
        n = int(rng.integers(3, 20))
        return "".join(rng.choice(list(self.charset), size=n)).strip()
