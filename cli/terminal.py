"""Search results as lines for a terminal (`manage.py search` without --json).

Reads only the plain response body; knows nothing of Whoosh or the service.
"""
from __future__ import annotations

import html
import re

BOLD, PLAIN = "\x1b[1m", "\x1b[0m"


def readable_results(body: dict, bold: bool) -> list[str]:
    """Title, date, places and snippet per hit; `<mark>` shown in bold when `bold`."""
    unit = "article(s)" if body.get("query", {}).get("group") == "article" else "paragraph(s)"
    folded = body.get("total_paragraphs", body["total"]) - body["total"]
    copies = (f" ({folded:,} more paragraph(s) folded in as copies; --collapse none shows them)"
              if folded > 0 and unit == "paragraph(s)" else "")
    lines = [f"{body['total']:,} {unit} in {body['took_ms']:.1f} ms" + copies
             + (" (no paragraph had every word: showing those with any)" if body.get("relaxed") else "")]
    if body.get("notice"):
        lines.append(f"{body['notice']['message']} {body['notice']['hint']}")
    if body.get("suggestion"):
        lines.append(f"Did you mean: {body['suggestion']}")
    for hit in body["hits"]:
        places = ", ".join(p["name"] for p in hit.get("places", []))
        head = f"{hit['id']}  {hit.get('date') or 'undated'}  {hit.get('title') or '(no title)'}"
        lines += ["", head + (f"  [{places}]" if places else ""),
                  "    " + terminal_text(hit.get("snippet", ""), bold)]
    return lines


def terminal_text(snippet_html: str, bold: bool) -> str:
    """The snippet's text with its marks in bold (or dropped), entities decoded."""
    on, off = (BOLD, PLAIN) if bold else ("", "")
    return html.unescape(re.sub(r"<mark>(.*?)</mark>", lambda m: on + m.group(1) + off, snippet_html))
