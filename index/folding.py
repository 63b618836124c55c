"""Accent folding (café -> cafe, Bakü -> baku, São -> sao): one table for the index's analyzer
and for place-name lookups on the read side, so both fold alike. Pure Python: no Whoosh.
"""
from __future__ import annotations

import unicodedata

# Letters whose accents Unicode does not decompose, and ligatures: the Azerbaijani schwa
# (Gəncə), Scandinavian and Polish letters, Turkish dotless i, Icelandic thorn and eth.
_BEYOND_DECOMPOSITION = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                         "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ı": "i", "ə": "e", "Ə": "E",
                         "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th",
                         "Þ": "TH", "ð": "d", "Ð": "D"}
# Latin-1 Supplement to Latin Extended-B, IPA, and Latin Extended Additional (ạ, ế, ỹ …).
_LATIN = [*range(0xC0, 0x2B0), *range(0x1E00, 0x1F00)]


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in _LATIN:
        bare = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c))
        if bare != chr(code) and bare.isascii() and bare.isalpha():
            table[code] = bare
    # Combining marks on their own (decomposed text, or "İ".lower() = "i" + dot above) go.
    table.update({c: None for c in range(0x300, 0x370)})
    table.update({ord(k): v for k, v in _BEYOND_DECOMPOSITION.items()})
    return table


# A str.translate table (code point -> replacement), as Whoosh's CharsetFilter takes it.
FOLDING = _table()


def fold(text: str) -> str:
    """`text` lower-cased with its accents folded, as the index stores words and place names."""
    return text.lower().translate(FOLDING)
