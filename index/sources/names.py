"""File names and ids from hostile archives: names shown escaped (a newline, ESC or BEL in a name
must not reach a log or terminal raw), ids safe in a URL and a page, and the names the index
cannot store. Imports only `index.model` and the stdlib.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from index.model import Skip

# Categories a terminal acts on or hides: controls, lone surrogates (bytes that were not UTF-8,
# kept by Python's surrogateescape), line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Bidirectional controls can make a name display as another ("txt.exe" shown as "exe.txt").
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_DASHES = re.compile(r"-{2,}")


def hidden(char: str) -> bool:
    """Whether `char` would act on a terminal or hide what a name says, rather than show."""
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _HIDDEN_CATEGORIES


def printable(text: str) -> str:
    """`text` with every hidden character written as an escape (`\\n`, `\\x1b`, `\\u202e`), and
    a byte that was not UTF-8 as `\\xff`: safe for a log line or a terminal. Other text,
    accents and scripts included, is kept as it is."""
    if text.isprintable():
        return text
    return "".join(_escape(c) if hidden(c) else c for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte the file system gave
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return _NAMED_ESCAPES.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}"


def safe_id(name: str) -> str:
    """An article id for `name` (a file name, a record's id): `name` itself when it has no hidden
    character, else its visible parts joined by dashes and a hash of the whole name, so two
    names never share an id and the page of the article can be linked."""
    if not any(hidden(c) for c in name):
        return name
    visible = _DASHES.sub("-", "".join("-" if hidden(c) else c for c in name)).strip("-")
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{visible}-{digest}" if visible else digest


def storable(path: str) -> bool:
    """Whether the index can keep `path`: the manifest and Whoosh hold paths as UTF-8 text,
    which a name with bytes that are not UTF-8 (decoded with surrogate escapes) is not."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def without_unstorable(files: Iterable[Path]) -> tuple[list[Path], list[Skip]]:
    """The files the index can store, and a Skip (its path escaped) for each it cannot."""
    kept: list[Path] = []
    skips: list[Skip] = []
    for path in files:
        if storable(str(path)):
            kept.append(path)
        else:
            skips.append(Skip(printable(str(path)), "bad file name",
                              "the name is not UTF-8 (its bytes shown as \\x escapes): "
                              "rename the file to index it"))
    return kept, skips
