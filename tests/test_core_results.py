"""The result tree: words inside lines inside pages, exported to dicts and text and read back."""

from yocr.core.geometry import Box
from yocr.core.results import Line, Page, Word, file_dict, pages_from_dict, text_file


def _page(page: int = 0, pages: int = 1) -> Page:
    words = (Word("TOTAL", (10, 20, 60, 40), 0.9), Word("9.90", Box(70, 20, 110, 40), 0.8))
    lines = (Line((10, 20, 110, 40), "TOTAL 9.90", 0.8, 0.7, "crnn", ((10, 20, 60, 40), (70, 20, 110, 40)), words),
             Line((10, 50, 50, 70), "thanks", 0.95, 0.6))
    return Page("a.png", 200, 100, lines, page, pages, {"detect": 0.123456})


def test_boxes_are_box_objects_and_words_are_kept():
    line = _page().lines[0]
    assert isinstance(line.box, Box) and line.box.width == 100
    assert all(isinstance(p, Box) for p in line.parts)
    assert [w.text for w in line.words] == ["TOTAL", "9.90"]
    assert _page().lines[1].words == ()


def test_dict_round_trip_keeps_words_parts_and_timings():
    page = _page()
    d = page.to_dict()
    assert d["lines"][0]["words"][1] == {"text": "9.90", "box": [70.0, 20.0, 110.0, 40.0], "confidence": 0.8}
    assert "words" not in d["lines"][1] and "parts" not in d["lines"][1]
    back = Page.from_dict(d)
    assert back.lines[0] == page.lines[0]
    assert back.text == page.text == "TOTAL 9.90\nthanks"
    assert back.timings == {"detect": 0.1235}


def test_file_text_and_json_of_multi_page_inputs():
    pages = [_page(0, 2), _page(1, 2)]
    assert text_file(pages) == "TOTAL 9.90\nthanks\fTOTAL 9.90\nthanks\n"
    assert text_file([Page("e.png", 1, 1, ())]) == ""
    assert [p.page for p in pages_from_dict(file_dict("a.tif", pages))] == [0, 1]
    assert pages_from_dict(file_dict("a.png", pages[:1]))[0].source == "a.png"
