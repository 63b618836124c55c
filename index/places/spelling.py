"""How place names are written in capitals and title case: a text in capitals ("RIO DE JANEIRO")
is matched as a title-cased one, and the tables list capitalised forms of each name."""
from __future__ import annotations

import re

# Words kept lower-case when a text in capitals is title-cased ("RIO DE JANEIRO").
_LOWER_WORDS = frozenset({"de", "da", "do", "dos", "das", "del", "la", "le", "les", "am", "an",
                          "and", "of", "the", "on", "upon", "es", "al"})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def title_case_capitals(text: str) -> str:
    """`text` unchanged, or title-cased when it has no lower-case letter (titles, datelines).

    Word lengths are kept, so offsets into the result are offsets into `text`.
    """
    if text != text.upper():
        return text
    return _WORD.sub(title_word, text)


def title_case_words(text: str) -> str:
    """Every word in capitals title-cased ("STAMFORD, Conn." → "Stamford, Conn."), same length."""
    return _WORD.sub(lambda m: title_word(m) if m.group(0).isupper() and len(m.group(0)) > 1
                     else m.group(0), text)


def title_word(match: re.Match) -> str:
    word = match.group(0)
    lower = word.lower()
    if lower in _LOWER_WORDS and match.start() > 0:
        titled = lower
    else:
        titled = word[0] + word[1:].lower()
    return titled if len(titled) == len(word) else word
