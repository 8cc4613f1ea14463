"""Data preparation: synthetic lines and pages, converters from annotated datasets, labels files."""
