"""The files of the formats ``yocr run --format`` writes beside each input's ``.txt``: hOCR, ALTO, TSV, PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from yocr.errors import YocrError

FORMATS = ("txt", "json", "hocr", "alto", "pdf", "tsv")
SUFFIXES = {"txt": ".txt", "json": ".json", "hocr": ".hocr", "alto": ".alto.xml", "tsv": ".tsv", "pdf": ".pdf"}
DOCUMENT_FORMATS = ("hocr", "alto", "tsv", "pdf")  # written here; txt and json are the run's own


def parse_formats(spec: str) -> tuple[str, ...]:
    """``"txt,hocr,pdf"`` as a tuple of known format names (in the order given, each once)."""
    names = [s.strip().lower() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise YocrError(f"--format: unknown format {', '.join(unknown) or repr(spec)}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(names))


def output_path(stem: Path, fmt: str) -> Path:
    return stem.with_name(stem.name + SUFFIXES[fmt])


def write_documents(stem: Path, pages: Sequence, formats: Iterable[str]) -> list[Path]:
    """One document per format of ``formats`` for ``pages`` (one input's pages, or one page), at ``stem`` + the
    format's suffix, each written atomically; returns the paths written."""
    from yocr.core.io import atomic_write_text

    written = []
    for fmt in formats:
        if fmt not in DOCUMENT_FORMATS:
            continue
        path = output_path(stem, fmt)
        if fmt == "hocr":
            from yocr.outputs.hocr import to_hocr

            atomic_write_text(path, to_hocr(pages, title=Path(str(pages[0].source)).name if pages else ""))
        elif fmt == "alto":
            from yocr.outputs.alto import to_alto

            atomic_write_text(path, to_alto(pages))
        elif fmt == "tsv":
            from yocr.outputs.tsv import to_tsv

            atomic_write_text(path, to_tsv(pages))
        else:
            from yocr.outputs.pdf import write_pdf

            write_pdf(path, pages)
        written.append(path)
    return written


def combine_run_pdfs(inputs: Iterable[str | Path], out: Path, target: Path) -> Path | None:
    """``--pdf-combine``: the PDFs a run wrote under ``out`` for ``inputs``, in input order, as one PDF ``target``
    (None when there is none)."""
    from yocr.outputs.pdf import combine_pdfs
    from yocr.pipeline.load import expand_inputs

    items, _ = expand_inputs(inputs, exclude=out)
    parts = []
    for item in items:
        whole = out / f"{item.rel}.pdf"
        parts += [whole] if whole.is_file() else sorted(whole.parent.glob(f"{item.rel.name}-p[0-9]*.pdf"))
    return combine_pdfs(parts, target) if parts else None
