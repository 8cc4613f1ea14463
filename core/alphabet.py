"""The alphabets: which characters yocr reads and generates. The recognizer's :class:`Charset` indexes them for CTC;
the synthetic-data generators draw text from them."""

#: Case-sensitive printable ASCII with the space (95 characters): the default alphabet.
PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))

#: Punctuation, symbols and accented Latin letters that English-language documents and signs use.
EXTRA_SYMBOLS = "’‘“”–—…•€£¥°©®™½¼¾×÷§¶"
EXTRA_LETTERS = "éèêëàâäçîïôöùûüñßÉÈÊËÀÂÄÇÎÏÔÖÙÛÜÑ"

#: The default alphabet of the shipped recognizer: printable ASCII plus the characters above (145 characters).
EXTENDED = PRINTABLE_ASCII + EXTRA_SYMBOLS + EXTRA_LETTERS
