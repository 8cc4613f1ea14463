"""The shared layer under every room: boxes and rows, images, results, atomic writes, the fixed data splits.

Nothing here imports another yocr package (only :mod:`yocr.errors`); ``detector``, ``recognizer``, ``pipeline``,
``data`` and ``bench`` import it, never the reverse.
"""
