"""What a word of the text is, for every part of the build that reads words: the text
analyzer's tokenizer (index/store/schema.py), the copies' shingles (index/shingles.py) and the
`words` column (index/documents.py). One pattern, so a paragraph is tokenised once per build.
"""
from __future__ import annotations

import re

# Whoosh's RegexTokenizer default: letters, digits and `*`, joined by single dots ("u.s").
TOKEN_PATTERN = r"[\w\*]+(\.?[\w\*]+)*"
# The same with its group non-capturing, so findall returns whole tokens.
_TOKEN = re.compile(TOKEN_PATTERN.replace("(\\.", "(?:\\."))


def tokens(text: str) -> list[str]:
    """The text's words in order, lower-cased, as the analyzer's tokenizer finds them."""
    return _TOKEN.findall(text.lower())
