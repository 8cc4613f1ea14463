"""The CRNN recognizer: reads one line of text from an image."""
