"""Highlighting: the escaped HTML snippet of a paragraph around its matches (the spans that
search.engine.word_stems finds).

The text is HTML-escaped first and only our own `<mark>` tags are added, so a paragraph holding
`<script>` or `&` comes back as text. Never imports the service.
"""
from __future__ import annotations

import html

SNIPPET_CHARS = 200
ELLIPSIS = " … "
# A fragment starts this many characters before its first match, so the match has context.
LEAD_CHARS = 40


def marked_html(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """`text[start:end]` escaped, with `<mark>` around each span inside it."""
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters around the best matches, ` … ` between fragments.

    With no spans (a hit through its title or places) the paragraph's opening is the snippet.
    """
    if len(text) <= width + LEAD_CHARS:
        return marked_html(text, spans)
    windows = _windows(text, spans, width)
    parts = []
    for start, end in windows:
        parts.append(marked_html(text, spans, start, end))
    head = "… " if windows[0][0] > 0 else ""
    tail = " …" if windows[-1][1] < len(text) else ""
    return head + ELLIPSIS.join(parts) + tail


def _windows(text: str, spans: list[tuple[int, int]], width: int) -> list[tuple[int, int]]:
    """One window around the densest cluster of matches, or two half-width windows when the
    matches form two clusters far apart; cut at word boundaries."""
    if not spans:
        return [(0, _word_end(text, width))]
    clusters = _clusters(spans, width // 2)
    best = sorted(clusters, key=lambda c: (-_distinct(text, c), -len(c), c[0][0]))
    if len(best) == 1 or _distinct(text, best[0]) == _distinct(text, spans):
        return [_window(text, best[0], width)]
    chosen = sorted(best[:2], key=lambda c: c[0][0])
    return [_window(text, c, width // 2) for c in chosen]


def _distinct(text: str, spans: list[tuple[int, int]]) -> int:
    return len({text[s:e].lower() for s, e in spans})


def _clusters(spans: list[tuple[int, int]], reach: int) -> list[list[tuple[int, int]]]:
    clusters = [[spans[0]]]
    for span in spans[1:]:
        if span[1] - clusters[-1][0][0] <= reach:
            clusters[-1].append(span)
        else:
            clusters.append([span])
    return clusters


def _window(text: str, cluster: list[tuple[int, int]], width: int) -> tuple[int, int]:
    first = cluster[0][0]
    start = _word_start(text, max(0, first - LEAD_CHARS))
    if start > 0 and first - start < 2:
        start = first
    end = _word_end(text, max(start + width, cluster[-1][1]), keep=cluster[-1][1])
    return start, end


def _word_start(text: str, pos: int) -> int:
    """The start of the word at `pos` moved forward to a word boundary (never splits a word)."""
    if pos <= 0:
        return 0
    if text[pos - 1].isspace():
        return pos
    nxt = text.find(" ", pos)
    return nxt + 1 if nxt >= 0 else pos


def _word_end(text: str, pos: int, keep: int = 0) -> int:
    """`pos` moved back to the space before it, unless that space comes before `keep` (the
    end of the last match, which must stay in the window): then on to the space after it
    ("oil," keeps its comma), or `pos` itself if no space comes soon."""
    if pos >= len(text):
        return len(text)
    back = text.rfind(" ", 0, pos)
    if back > 0 and back >= keep:
        return back
    ahead = text.find(" ", pos, pos + LEAD_CHARS) if keep else -1
    return ahead if ahead >= 0 else pos
