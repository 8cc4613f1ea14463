"""yocr: offline OCR with a YOLO text-line detector and a CRNN recognizer.

The repository root is this package; its rooms are ``yocr.detector``, ``yocr.recognizer``, ``yocr.pipeline`` and
``yocr.data``.
"""

__version__ = "0.1.0"
