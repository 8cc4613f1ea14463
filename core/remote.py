"""Inputs on object stores and other remote file systems, through pyarrow's file systems.

A URL (``s3://bucket/scans/``, ``gs://bucket/page.png``, ``hdfs://host/path``, ``file:///mnt/scans``) lists like a
folder or names one file, and its files are read whole into memory when a page is loaded: nothing is downloaded to
disk. Which schemes work, and how credentials and regions are found (the environment, ``?region=...`` in the URL), is
pyarrow's ``FileSystem.from_uri``. Outputs stay on a local or shared file system (``--out``).

pyarrow is optional (``pip install "yocr[cloud]"``; Ray Data brings it too): only a URL imports it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from yocr.errors import ImageLoadError, YocrError

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
INSTALL_HINT = 'reading URLs needs pyarrow: pip install "yocr[cloud]" (or pip install pyarrow)'


def is_url(spec: object) -> bool:
    """Whether ``spec`` is a URL string (``scheme://...``) rather than a local path."""
    return isinstance(spec, str) and bool(URL.match(spec))


def _filesystem(url: str):
    """``(pyarrow file system, path inside it)`` for ``url``; a :class:`YocrError` naming the URL otherwise."""
    try:
        from pyarrow import fs as pafs
    except ImportError:
        raise YocrError(f"{url}: {INSTALL_HINT}") from None
    try:
        return pafs.FileSystem.from_uri(url)
    except (ValueError, OSError) as exc:  # pyarrow.ArrowInvalid is a ValueError, its I/O errors OSErrors
        raise YocrError(f"{url}: no file system for this URL ({exc})") from None


def _url_of(url: str, fs_path: str, root_path: str) -> str:
    """The URL of ``fs_path`` (a file below ``root_path``, the path ``url`` names), keeping ``url``'s query."""
    parts = urlsplit(url)
    below = quote(fs_path[len(root_path):].lstrip("/"))  # pyarrow decodes %XX in the path it is given
    base = url.split("?", 1)[0].rstrip("/")
    return f"{base}/{below}" + (f"?{parts.query}" if parts.query else "")


def list_url(url: str, suffixes: frozenset[str] | set[str]) -> tuple[list[tuple[str, str]], str]:
    """The files ``url`` names: itself, or every file below it whose suffix is in ``suffixes`` (recursive, sorted),
    each as ``(its URL, its path below the URL)``; with what is wrong (it names nothing, or some of its objects were
    left out), else ``""``."""
    try:
        fs, path = _filesystem(url)
    except YocrError as exc:
        if INSTALL_HINT in str(exc):
            raise
        return [], str(exc).removeprefix(f"{url}: ")  # an unknown scheme or a bad URL: this input only
    from pyarrow import fs as pafs  # _filesystem has imported it
    try:
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.File:
            return [(url, info.base_name)], ""
        if info.type != pafs.FileType.Directory:
            return [], "no such file, folder or prefix"
        found = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    except Exception as exc:  # OSError, pyarrow's ArrowInvalid (a ValueError), an undecodable key: this input only
        return [], f"cannot list it: {exc}"
    files = sorted(i.path for i in found if i.type == pafs.FileType.File and _suffix(i.base_name) in suffixes)
    below = [(f, f[len(path):].lstrip("/")) for f in files]
    odd = [rel for _, rel in below if {".", ".."} & set(rel.split("/"))]  # a key such as a/../b: outside --out
    kept = [(_url_of(url, f, path), rel) for f, rel in below if rel not in odd]
    return kept, (f"left out {len(odd)} object(s) with '.' or '..' in the key (their outputs would land outside "
                  f"--out), the first {odd[0]!r}" if odd else "")


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def read_url(url: str, size: int = -1) -> bytes:
    """The file at ``url`` (its first ``size`` bytes, or all of it); an :class:`ImageLoadError` naming it when it
    cannot be read."""
    try:
        fs, path = _filesystem(url)
    except YocrError as exc:
        raise ImageLoadError(url, str(exc).removeprefix(f"{url}: ")) from None
    try:
        with fs.open_input_file(path) as fh:
            return fh.read() if size < 0 else fh.read(size)
    except Exception as exc:  # OSError, pyarrow's ArrowInvalid: this file only
        raise ImageLoadError(url, f"cannot read it: {exc}") from None
