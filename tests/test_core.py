"""The shared core: one box type and row rule, one crop, one image loader, atomic writes."""

from __future__ import annotations

import io
import os
import stat

import numpy as np
import pytest
from PIL import Image

from yocr.core import geometry
from yocr.core.geometry import Box, crop, iou, same_row, same_row_matrix, union
from yocr.core.image import PageImage, load_image, load_pages, to_bgr
from yocr.core.io import atomic_write_bytes, atomic_write_text
from yocr.errors import ImageLoadError


def test_box_views_clip_union_and_iou():
    b = Box.of([10, 20, 50, 40])
    assert b.xyxy == (10.0, 20.0, 50.0, 40.0) and (b.width, b.height, b.centre_y) == (40.0, 20.0, 30.0)
    assert b.clip(30, 25) == Box(10, 20, 30, 25)
    assert union([b, (0, 30, 20, 60)]) == Box(0, 20, 50, 60)
    assert iou(b, b) == 1.0 and iou(b, (100, 100, 110, 110)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        union([])


def test_one_row_rule_for_pairs_and_matrices():
    a, b, c = (0, 0, 10, 10), (20, 4, 30, 14), (20, 6, 30, 16)  # b overlaps a by 6 of 10, c by 4
    assert same_row(a, b) and not same_row(a, c)
    m = same_row_matrix(np.array([a, b, c], float))
    assert m[0, 1] and not m[0, 2] and m[1, 2] and m.tolist() == m.T.tolist()


def test_crop_grows_by_the_margin_outward_to_whole_pixels_and_clips():
    page = np.arange(100 * 200, dtype=np.uint32).reshape(100, 200).astype(np.uint8)
    piece = crop(page, (10.5, 20.5, 50.2, 40.2), margin=0.1)  # margin 1.97 px
    assert geometry.crop_window((10.5, 20.5, 50.2, 40.2), 200, 100, 0.1) == (8, 18, 53, 43)
    assert piece.shape == (25, 45)
    assert crop(page, (190, 90, 260, 130)).shape[:2] == (100 - 84, 200 - 184)  # margin 6 px, clipped at the edge
    outside = crop(np.zeros((10, 10, 3), np.uint8), (50, 50, 60, 60))
    assert outside.shape == (geometry.EMPTY_CROP, geometry.EMPTY_CROP, 3) and outside.min() == 255


def test_loader_takes_paths_bytes_and_arrays_alike(tmp_path):
    image = Image.new("RGB", (30, 12), (10, 200, 30))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    (tmp_path / "a.png").write_bytes(buf.getvalue())
    from_path, from_bytes = load_image(tmp_path / "a.png"), load_image(buf.getvalue(), name="upload.png")
    from_array = load_image(np.asarray(image)[:, :, ::-1])
    for page in (from_path, from_bytes, from_array):
        assert isinstance(page, PageImage) and page.bgr.shape == (12, 30, 3) and page.bgr.dtype == np.uint8
        assert page.bgr[0, 0].tolist() == [30, 200, 10]
        assert page.grey.shape == (12, 30) and page.grey is page.grey  # computed once
    assert from_bytes.source == "upload.png" and from_path.source == str(tmp_path / "a.png")
    with pytest.raises(ImageLoadError, match="upload.bin: empty file"):
        list(load_pages(b"", name="upload.bin"))


def test_arrays_are_normalised_and_bad_shapes_refused():
    assert to_bgr(np.zeros((5, 6), np.uint8)).shape == (5, 6, 3)
    assert to_bgr(np.full((5, 6), 65535, np.uint16)).max() == 255
    rgba = np.zeros((5, 6, 4), np.uint8)  # fully transparent: paper
    assert to_bgr(rgba).min() == 255
    with pytest.raises(ImageLoadError, match="shape"):
        to_bgr(np.zeros((5, 6, 2), np.uint8))


def test_atomic_writes_honour_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "sub" / "a.txt", "héllo\n")
        atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    finally:
        os.umask(old)
    assert (tmp_path / "sub" / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    for name in ("sub/a.txt", "b.bin"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name
    assert not [p for p in tmp_path.rglob("*.tmp")]
