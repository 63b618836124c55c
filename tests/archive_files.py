"""Small real archives for tests: article records written as one JSON Lines file, the format
`index/sources/jsonl.py` reads. Every test folder imports its archive writer from here."""
from __future__ import annotations

import json
from pathlib import Path


def write_jsonl(path: Path, *records: dict) -> Path:
    """`records` as one JSON object a line in `path` (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def write_archive(folder: Path, articles, name: str = "articles.jsonl") -> Path:
    """An archive folder holding `articles` in one file; returns the folder (a `--source`)."""
    write_jsonl(Path(folder) / name, *articles)
    return Path(folder)
