"""Writers for the formats other tools read: hOCR, ALTO v4, Tesseract-style TSV and searchable PDF.

Each writer is a pure function of the pages it is given (duck-typed: ``page.width``, ``page.height``,
``page.lines``; each line with ``box``, ``text``, ``confidence`` and ``words``, each word with ``text``, ``box``,
``confidence``), so it serves ``yocr run``, the Python API and the OCRmyPDF plugin alike.
"""

FORMATS = ("txt", "json", "hocr", "alto", "pdf", "tsv")
