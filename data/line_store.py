"""A compact store of labelled line images: one file of encoded images, an index and the labels.

Rendering a million synthetic lines as loose PNG files makes a million inodes and a million opens per epoch. A store
folder holds instead::

    STORE/store.json    {"format": "yocr-line-store", "version": 1, "count": N}
    STORE/lines.bin     the images, JPEG or PNG encoded, one after another
    STORE/index.npy     int64 [N, 4]: byte offset, byte length, width, height of each image
    STORE/labels.txt    one label per line, in the same order (labels never hold a line break)

Training reads it through a memory map: a sample is a slice of ``lines.bin`` decoded by OpenCV, and the widths for
batching come from the index without touching the images. Written once, atomically (the folder's files appear when
:meth:`LineStoreWriter.close` renames them into place).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from yocr.errors import LabelError

FORMAT = "yocr-line-store"
VERSION = 1


def is_store(path: str | Path) -> bool:
    return (Path(path) / "store.json").is_file()


class LineStoreWriter:
    """Append encoded line images with their labels; :meth:`close` makes the store visible."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._bin_tmp = self.folder / ".lines.bin.tmp"
        self._bin = open(self._bin_tmp, "wb")
        self._index: list[tuple[int, int, int, int]] = []
        self._labels: list[str] = []
        self._offset = 0

    def add(self, encoded: bytes, label: str, width: int, height: int) -> None:
        if "\n" in label or "\r" in label:
            raise LabelError(f"label {label!r} contains a line break")
        self._bin.write(encoded)
        self._index.append((self._offset, len(encoded), int(width), int(height)))
        self._labels.append(label)
        self._offset += len(encoded)

    def add_image(self, image: np.ndarray, label: str, quality: int = 92) -> None:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise LabelError(f"could not encode the image of {label!r}")
        self.add(buf.tobytes(), label, image.shape[1], image.shape[0])

    def close(self) -> int:
        self._bin.close()
        index_tmp = self.folder / ".index.npy.tmp"
        with open(index_tmp, "wb") as f:
            np.save(f, np.asarray(self._index, dtype=np.int64).reshape(-1, 4))
        labels_tmp = self.folder / ".labels.txt.tmp"
        labels_tmp.write_text("".join(f"{t}\n" for t in self._labels), encoding="utf-8")
        os.replace(self._bin_tmp, self.folder / "lines.bin")
        os.replace(index_tmp, self.folder / "index.npy")
        os.replace(labels_tmp, self.folder / "labels.txt")
        meta = {"format": FORMAT, "version": VERSION, "count": len(self._labels)}
        (self.folder / ".store.json.tmp").write_text(json.dumps(meta), encoding="utf-8")
        os.replace(self.folder / ".store.json.tmp", self.folder / "store.json")
        return len(self._labels)


class LineStore:
    """Read access to a store: ``len``, ``label(i)``, ``size(i)`` and ``image(i)`` (grey or BGR uint8)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        try:
            meta = json.loads((self.folder / "store.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LabelError(f"{self.folder}: not a yocr line store ({exc})") from None
        if meta.get("format") != FORMAT or meta.get("version", 0) > VERSION:
            raise LabelError(f"{self.folder}: not a yocr line store of version <= {VERSION}")
        self.index = np.load(self.folder / "index.npy")
        self.labels = (self.folder / "labels.txt").read_text(encoding="utf-8").split("\n")[: len(self.index)]
        if len(self.labels) != len(self.index) or len(self.index) != meta.get("count"):
            raise LabelError(f"{self.folder}: index, labels and store.json disagree on the number of lines")
        self._data: np.memmap | None = None

    def __len__(self) -> int:
        return len(self.index)

    def _bytes(self) -> np.memmap:
        if self._data is None:  # opened lazily, so that a store can be handed to DataLoader worker processes
            self._data = np.memmap(self.folder / "lines.bin", dtype=np.uint8, mode="r")
        return self._data

    def size(self, i: int) -> tuple[int, int]:
        return int(self.index[i, 2]), int(self.index[i, 3])

    def image(self, i: int, flags: int = cv2.IMREAD_GRAYSCALE) -> np.ndarray | None:
        offset, length = int(self.index[i, 0]), int(self.index[i, 1])
        return cv2.imdecode(np.asarray(self._bytes()[offset : offset + length]), flags)

    def __getstate__(self):
        return {**self.__dict__, "_data": None}


def store_ref(folder: str | Path, i: int) -> Path:
    """The path standing for line ``i`` of a store in a :class:`~yocr.data.labels.Sample`: ``STORE/lines.bin#i``."""
    return Path(folder) / f"lines.bin#{i}"


def parse_ref(path: str | Path) -> tuple[Path, int] | None:
    """``(store folder, index)`` for a store reference made by :func:`store_ref`, else None."""
    name = Path(path).name
    if not name.startswith("lines.bin#"):
        return None
    tail = name[len("lines.bin#") :]
    return (Path(path).parent, int(tail)) if tail.isdigit() else None


_open_stores: dict[Path, LineStore] = {}


def _open_ref(path: str | Path) -> tuple[LineStore, int] | None:
    """The store (opened once per process) and index behind a store reference; None for a plain path."""
    ref = parse_ref(path)
    if ref is None:
        return None
    folder, i = ref
    store = _open_stores.get(folder)
    if store is None:
        store = _open_stores[folder] = LineStore(folder)
    return store, i


def read_ref(path: str | Path, flags: int = cv2.IMREAD_GRAYSCALE) -> np.ndarray | None:
    """The image behind a store reference (stores are opened once per process)."""
    opened = _open_ref(path)
    return None if opened is None else opened[0].image(opened[1], flags)


def ref_size(path: str | Path) -> tuple[int, int] | None:
    opened = _open_ref(path)
    return None if opened is None else opened[0].size(opened[1])
