"""Inference runtimes: ONNX Runtime beside the PyTorch weights, and thread counts that do not fight.

Both models ship as PyTorch weights (``.pt``, for training and as the fallback) and as ONNX files beside them
(``crnn.onnx`` beside ``crnn.pt``), written by ``yocr export``. An ONNX file records the sha256 of the ``.pt`` it was
exported from (metadata key :data:`SOURCE_KEY`); inference uses it only while that still matches, so replacing a
``.pt`` without re-exporting falls back to PyTorch (with a warning) instead of running the old model.

Nothing here imports torch: a run on the ONNX files never loads it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from yocr.errors import YocrError

log = logging.getLogger(__name__)

RUNTIMES = ("auto", "onnx", "torch")
SOURCE_KEY = "yocr_source_sha256"  # ONNX metadata: sha256 of the .pt the file was exported from
_threads: int | None = None


_trim: Any = None  # glibc's malloc_trim, once looked up (False where there is none)


def release_memory() -> None:
    """Hand the heap's free memory back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    A page's arrays, once freed, otherwise stay with the process, so a worker's memory climbs to what its largest
    pages needed and stays there. ``yocr run --low-memory`` calls this after every page: one worker over the 100
    validation receipts peaked at 361 MB instead of 497 MB, but each page then faults its memory in afresh, about 8 %
    of its time (README)."""
    global _trim
    if _trim is None:
        _trim = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):  # not glibc (musl, ...): nothing to call
                _trim = False
    if _trim:
        _trim(0)


def check_runtime(runtime: str) -> str:
    if runtime not in RUNTIMES:
        raise YocrError(f"--runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    return runtime


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def onnx_beside(weights: str | Path) -> Path:
    """Where the ONNX export of ``weights`` lives: the same path with ``.onnx``."""
    return Path(weights).with_suffix(".onnx")


def write_onnx(out: Path, build: Any, weights: Path, fmt: str, info: dict[str, str], keep_own: bool = False) -> Path:
    """Write an exported model atomically: ``build(tmp)`` writes the bare ONNX file, which then gets yocr's metadata
    (``fmt``, the weights' name and hash, and ``info``) and replaces ``out``. ``keep_own`` keeps the exporter's own
    metadata keys (ultralytics' stride and names) beside yocr's."""
    import onnx

    from yocr.core.io import atomic_target

    with atomic_target(out) as tmp:
        build(tmp)
        proto = onnx.load(str(tmp))
        info = {"yocr_format": fmt, SOURCE_KEY: file_sha256(weights), "yocr_source": weights.name, **info}
        if not keep_own:
            del proto.metadata_props[:]
        for prop in proto.metadata_props:
            if prop.key in info:
                prop.value = info.pop(prop.key)
        for key, value in info.items():
            prop = proto.metadata_props.add()
            prop.key, prop.value = key, value
        onnx.save(proto, str(tmp))
    return out


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def session_metadata(sess: Any) -> dict[str, str]:
    """The custom metadata of a loaded ONNX model."""
    return dict(sess.get_modelmeta().custom_metadata_map)


def open_onnx(weights: str | Path, runtime: str = "auto", arena: bool = True) -> tuple[Any, dict[str, str]] | None:
    """An onnxruntime session for ``weights`` (a ``.pt`` or an ``.onnx``) with its metadata, or None for PyTorch.

    ``auto``: the ``.onnx`` beside the weights when it exists, was exported from these weights (its recorded sha256)
    and onnxruntime is installed; ``onnx``: the same, but an error when it cannot; ``torch``: always None.
    """
    check_runtime(runtime)
    weights = Path(weights)
    direct = weights.suffix == ".onnx"
    if runtime == "torch":
        if direct:
            raise YocrError(f"{weights}: an ONNX file runs on onnxruntime, not with runtime 'torch'")
        return None
    candidate = weights if direct else onnx_beside(weights)
    if not candidate.is_file():
        if runtime == "onnx" or direct:
            raise YocrError(f"cannot run on onnxruntime: {candidate} does not exist (run 'yocr export')")
        return None
    reason = None if onnxruntime_available() else "onnxruntime is not installed (pip install onnxruntime)"
    sess, meta = None, {}
    if reason is None:
        sess = session(candidate, arena)
        meta = session_metadata(sess)
        if not direct:
            recorded = meta.get(SOURCE_KEY)
            if recorded is None:
                reason = f"{candidate} does not record which weights it was exported from (run 'yocr export')"
            elif weights.is_file() and recorded != file_sha256(weights):
                reason = f"{candidate} was exported from other weights than {weights} (run 'yocr export')"
    if reason is None:
        return sess, meta
    if runtime == "onnx" or direct:
        raise YocrError(f"cannot run on onnxruntime: {reason}")
    log.warning("using PyTorch: %s", reason)
    return None


def int8_beside(weights: str | Path) -> Path:
    """Where the int8 ONNX copy of ``weights`` lives (``yocr export --int8-pages``): the same path, ``.int8.onnx``."""
    return Path(weights).with_suffix(".int8.onnx")


def int8_fast_here() -> bool:
    """Whether this CPU runs onnxruntime's uint8 x int8 convolutions exactly: ARM, or x86 with VNNI dot products.
    Plain AVX2 multiplies uint8 by int8 pairs into int16 sums that can saturate, so the int8 copy is not used there
    (its figures were measured on an AVX-512 VNNI CPU)."""
    import platform

    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_vnni", "avx_vnni"))


def open_int8(weights: str | Path, arena: bool = True, remake: str = "yocr export --int8-pages ...",
              ) -> tuple[Any, dict[str, str]] | None:
    """An onnxruntime session for the int8 copy beside ``.pt`` weights, or None: when there is none, the ``.pt`` is
    not there to check it against, onnxruntime is missing, the CPU lacks VNNI (:func:`int8_fast_here`), or it is
    unreadable or was made from other weights (then with a warning naming the ``remake`` command); the fp32 export
    then runs alone."""
    weights = Path(weights)
    candidate = int8_beside(weights)
    if (weights.suffix == ".onnx" or not candidate.is_file() or not weights.is_file() or not onnxruntime_available()
            or not int8_fast_here()):
        return None
    try:
        sess = session(candidate, arena)
    except YocrError as exc:
        log.warning("not using the int8 copy: %s", exc)
        return None
    if session_metadata(sess).get(SOURCE_KEY) != file_sha256(weights):
        log.warning("not using %s: it was made from other weights than %s (run '%s')", candidate, weights, remake)
        return None
    return sess, session_metadata(sess)


def on_cpu(device: str) -> bool:
    """Whether ``device`` means the CPU, where the ONNX files run (``auto`` does when no GPU is visible)."""
    device = str(device).strip().lower()
    if device == "auto":
        import torch

        return not torch.cuda.is_available()
    return device in ("", "cpu")


# --- threads ------------------------------------------------------------------------------------------------------


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def configure_threads(workers: int = 1) -> int:
    """One thread pool size for every library, so that they do not oversubscribe the cores: the CPUs divided among
    ``workers`` processes. Applies it to OpenCV and to torch when torch is loaded; ONNX sessions read it."""
    global _threads
    _threads = max(1, cpu_count() // max(1, workers))
    try:
        import cv2

        cv2.setNumThreads(_threads)
    except ImportError:
        pass
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(_threads)
    return _threads


def torch_threads() -> None:
    """Give torch this process's share of the CPUs (:func:`configure_threads` can only do so when torch is already
    loaded; the PyTorch paths load it later)."""
    if "torch" in sys.modules and _threads is not None:
        import torch

        torch.set_num_threads(_threads)


def threads() -> int:
    return _threads if _threads is not None else cpu_count()


def session(path: str | Path, arena: bool = True) -> Any:
    """An onnxruntime CPU session for ``path`` using :func:`threads` threads, sequential execution.

    ``arena`` keeps onnxruntime's memory arena: the CRNN's many differently sized batches read 25 % faster with it
    (SROIE crops: 1,343 against 1,065 lines/s); the detector goes without (``arena=False``), as the arena would keep
    its largest activations (1280 px pages) allocated, about 120 MB per worker (30 receipts: 512 -> 393 MB peak) for
    1 % of its time."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    opts.enable_cpu_mem_arena = arena
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise YocrError(f"{path}: not a loadable ONNX model ({type(exc).__name__}: {str(exc)[:200]})") from None
