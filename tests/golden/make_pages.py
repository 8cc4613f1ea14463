"""Renders the committed golden page images (run once; the PNGs are committed, this records how they were made).

    python tests/golden/make_pages.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).parent / "pages"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


def receipt() -> Image.Image:
    image = Image.new("RGB", (520, 640), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    mono = ImageFont.truetype(MONO, 20)
    bold = ImageFont.truetype(SANS, 26)
    draw.text((130, 30), "CORNER BAKERY", font=bold, fill=(20, 20, 20))
    draw.text((120, 75), "12 Market Street", font=mono, fill=(30, 30, 30))
    rows = [("Sourdough loaf", "4.50"), ("Croissant x2", "3.80"), ("Coffee", "2.20"), ("TOTAL", "10.50"),
            ("CASH", "20.00"), ("CHANGE", "9.50")]
    y = 150
    for item, price in rows:
        draw.text((40, y), item, font=mono, fill=(25, 25, 25))
        draw.text((400, y), price, font=mono, fill=(25, 25, 25))
        y += 45 if item != "Coffee" else 75
    draw.text((110, y + 40), "Thank you, come again", font=mono, fill=(30, 30, 30))
    return image


def letter() -> Image.Image:
    image = Image.new("RGB", (900, 520), "white")
    draw = ImageDraw.Draw(image)
    serif = ImageFont.truetype(SERIF, 22)
    head = ImageFont.truetype(SANS, 30)
    draw.text((60, 40), "Meeting notes", font=head, fill="black")
    lines = ["The committee met on 14 March 2025 at 10:30.", "Present were five members and two guests.",
             "The budget for next year was approved.", "Next meeting: Tuesday, 8 April."]
    for i, text in enumerate(lines):
        draw.text((60, 120 + 60 * i), text, font=serif, fill="black")
    return image


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    receipt().save(HERE / "receipt.png")
    letter().save(HERE / "letter.png")
