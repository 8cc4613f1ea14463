"""The benchmarks: ``lines.py`` is ``yocr bench lines`` (recognizers on labelled line crops), ``pages.py`` is
``yocr bench pages`` (every engine end to end on annotated pages), ``plots.py`` draws their charts and galleries.
The metric functions they share with ``yocr detector eval`` are in :mod:`yocr.metrics`."""

# The engines of ``yocr bench pages`` (here, so that the CLI lists them without importing the bench): "yocr" is what
# ``yocr run`` does by default (CRNN, Tesseract re-reading unsure lines when installed); "yocr-crnn" is the CRNN alone.
PAGE_ENGINES = ("yocr", "yocr-crnn", "tesseract-crops", "tesseract-page", "rapidocr")
