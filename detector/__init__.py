"""The text-line detector: a one-class YOLO (ultralytics) that finds one box per printed line.

``ultra.py`` is the only module that imports ultralytics; ``boxes.py`` holds the pure-numpy post-processing.
"""
