"""The one settings object shared by the CLI, the index builder and the web service.

Every setting is declared once here with its help text; README's settings table is checked
against this by a test. Values come from defaults, then environment variables, then CLI options.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from index.model import MAX_FILE_BYTES, MAX_RECORD_BYTES, ReadLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _setting(default, env: str, help: str):
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    index_dir: Path = _setting(
        PROJECT_ROOT / "var" / "index", "NEWS_SEARCH_INDEX_DIR",
        "Folder holding the index generations (gen-<n>/) and the pointer to the serving one.")
    sources: tuple[Path, ...] = _setting(
        (PROJECT_ROOT / "samples",), "NEWS_SEARCH_SOURCES",
        "Archive files or folders a first build reads; later builds read the sources the index "
        "remembers (os.pathsep-separated in the environment).")
    workers: int = _setting(
        os.cpu_count() or 1, "NEWS_SEARCH_WORKERS",
        "Worker processes for parsing, annotation and index writing.")
    lock_timeout: float = _setting(
        600.0, "NEWS_SEARCH_LOCK_TIMEOUT",
        "Seconds a reindex waits for another reindex to finish before giving up.")
    query_time_limit: float = _setting(
        2.0, "NEWS_SEARCH_QUERY_TIME_LIMIT",
        "Seconds a query may run before it returns what it found with timed_out=true.")
    host: str = _setting("127.0.0.1", "NEWS_SEARCH_HOST", "Address the web service listens on.")
    port: int = _setting(8080, "NEWS_SEARCH_PORT", "Port the web service listens on.")
    threads: int = _setting(8, "NEWS_SEARCH_THREADS", "Request threads per server process.")
    cache_dir: Path = _setting(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-search",
        "NEWS_SEARCH_CACHE_DIR",
        "Folder for what is costly to rebuild and safe to delete: the gazetteer's tables, made "
        "once per version of its data and code.")
    serve_workers: int = _setting(
        os.cpu_count() or 1, "NEWS_SEARCH_SERVE_WORKERS",
        "Server processes for `serve` (waitress processes forked by a supervisor); 1 serves from one process.")
    concurrent_queries: int = _setting(
        4, "NEWS_SEARCH_CONCURRENT_QUERIES",
        "Searches one server process runs at once; more wait up to the query time limit, "
        "then get 503 with Retry-After.")
    max_file_bytes: int = _setting(
        MAX_FILE_BYTES, "NEWS_SEARCH_MAX_FILE_BYTES",
        "Bytes one archive file may hold once decompressed; reading stops there and the file is "
        "skipped as too large (a decompression bomb costs seconds, not memory). Raise it for "
        "bigger web archives or JSON Lines files.")
    max_record_bytes: int = _setting(
        MAX_RECORD_BYTES, "NEWS_SEARCH_MAX_RECORD_BYTES",
        "Bytes one record may hold: a JSON Lines line, a web archive's page, or a file read "
        "whole (.txt, .html, feed, .sgm); a larger one is skipped as too large. A reading "
        "process holds a small multiple of it.")

    def __post_init__(self):
        for name, low in (("workers", 1), ("threads", 1), ("lock_timeout", 0), ("port", 0),
                          ("serve_workers", 1), ("concurrent_queries", 1),
                          ("max_file_bytes", 1), ("max_record_bytes", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be at least {low}, not {getattr(self, name)!r}")
        if self.query_time_limit <= 0:
            raise ValueError(f"query_time_limit must be more than 0, not {self.query_time_limit!r}")
        if self.port > 65535:
            raise ValueError(f"port must be at most 65535, not {self.port!r}")

    def read_limits(self) -> ReadLimits:
        """What the archive readers may take in, from max_file_bytes and max_record_bytes."""
        return ReadLimits(self.max_file_bytes, self.max_record_bytes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, overridden by NEWS_SEARCH_* variables, overridden by non-None `overrides`.

        Raises ValueError naming the setting (and its variable) when a value is not usable."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _parse(f.metadata["env"], raw, f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return dataclasses.replace(cls(), **_coerce(values))

    @staticmethod
    def documented() -> list[tuple[str, str, str]]:
        """(name, environment variable, help) for every setting, for docs and their test."""
        return [(f.name, f.metadata["env"], f.metadata["help"]) for f in dataclasses.fields(Settings)]


def _parse(variable: str, raw: str, default):
    if variable == "NEWS_SEARCH_SOURCES":
        return tuple(Path(p) for p in raw.split(os.pathsep) if p)
    try:
        return type(default)(raw)
    except ValueError:
        kind = {"int": "whole number", "float": "number"}.get(type(default).__name__, "value")
        raise ValueError(f"{variable}={raw!r} is not a {kind}") from None


def _coerce(values: dict) -> dict:
    for name in ("index_dir", "cache_dir"):
        if name in values:
            values[name] = Path(values[name])
    if "sources" in values:
        values["sources"] = tuple(Path(p) for p in values["sources"])
    return values
