"""Accent folding (café -> cafe, Bakü -> baku, São -> sao): one table for the index's analyzer,
the gazetteer's matching and place-name lookups on the read side, so all fold alike.
Pure Python: no Whoosh.
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
# Its entries that replace one letter by one letter: folding with these keeps every offset, so
# a match found in the folded text is the same span of the original (ß, æ and lone combining
# marks stay as they are).
FOLDING_ONE_FOR_ONE = {code: base for code, base in FOLDING.items()
                       if base is not None and len(base) == 1}


def fold(text: str) -> str:
    """`text` lower-cased with its accents folded, as the index stores words and place names."""
    return text.lower().translate(FOLDING)


def fold_in_place(text: str) -> str:
    """`text` with each accented letter replaced by its base letter, case kept, one character
    for one ("Bakü" → "Baku", "Gəncə" → "Gence"), so offsets into the result are offsets into
    `text`."""
    return text if text.isascii() else text.translate(FOLDING_ONE_FOR_ONE)


def fold_letters(text: str) -> str:
    """`text` with every accent folded, case kept, letters that have a two-letter base spelled
    out ("Straße" → "Strasse"): a name's plain-letter spelling, which offsets need not follow."""
    return text if text.isascii() else text.translate(FOLDING)
