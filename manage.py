"""News Search command line: `reindex`, `status`, `search`, `places`, `serve`, `publish`.

A thin click layer: each command turns its options into a Settings object and one call into
`index/` or `search/`, then prints the result. No logic of its own lives here.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from cli.explain import article_day, places_and_dates, places_and_dates_json
from cli.export_progress import ExportProgress, write_export
from cli.messages import (one_line_when_stopped, option_message, publish_lines, publish_outcome,
                          reindex_outcome)
from cli.reindex_progress import progress_printer
from cli.terminal import readable_results
from index.build import ReindexError, StrictFailure, index_status, reindex
from index.lock import LockHolder, LockTimeout
from index.places import Gazetteer
from index.publish import PublishError, publish
from index.settings import Settings
from index.sources.names import printable
from index.store.generations import serving_generation
from search import NoIndexError, QueryError, SearchService
from search.service import params
from search.service.export import Exporter
from search.web.server import server_for


def index_dir_option(command):
    return click.option(
        "--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Index folder (default var/index, or NEWS_SEARCH_INDEX_DIR).")(command)


def _settings(**overrides) -> Settings:
    """Settings from the environment and the options; a bad value is a usage error, not a traceback."""
    try:
        return Settings.from_env(**overrides)
    except ValueError as e:
        raise click.UsageError(f"bad setting: {e}") from None


@click.group()
def cli():
    """News Search: a full-text search service for a news archive."""


@cli.command(name="reindex")
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Archive file or folder to add to the index's sources (repeatable; "
                   "a first build without one reads samples/).")
@click.option("--remove-source", "removed", multiple=True, type=click.Path(path_type=Path),
              help="Drop a source and delete its articles (repeatable).")
@click.option("--prune", is_flag=True,
              help="Allow deleting more than 20 % of the articles (files gone from a source).")
@index_dir_option
@click.option("--full", is_flag=True, help="Rebuild everything instead of only changed files.")
@click.option("--if-needed", is_flag=True,
              help="Return at once when the index is current (schema stamp and files unchanged).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores).")
@click.option("--strict", is_flag=True, help="Fail (exit 1, nothing switched) if anything is skipped.")
def reindex_command(sources, removed, prune, index_dir, full, if_needed, workers, strict):
    """Read the archive and build a new index generation, then switch to it."""
    settings = _settings(index_dir=index_dir, workers=workers)
    with one_line_when_stopped(lambda: reindex_outcome(settings.index_dir)):
        report = _reindex_or_exit(settings, full=full, if_needed=if_needed, strict=strict,
                                  sources=sources or None, remove_sources=removed, prune=prune)
    for line in report.summary_lines():
        _say(line)


def _reindex_or_exit(settings: Settings, **options):
    """`reindex(...)`, with every failure the operator can act on as one `Error:` line."""
    try:
        show = progress_printer(lambda line: _say(line, err=True))
        return reindex(settings, progress=show, on_stage=show, on_wait=_say_waiting, **options)
    except FileNotFoundError as e:
        raise click.ClickException(printable(f"{e}. Check the --source path.")) from None
    except (LockTimeout, ReindexError) as e:
        raise click.ClickException(printable(str(e))) from None
    except StrictFailure as e:
        for skip in e.skipped:
            _say(f"skipped ({skip.reason}): {skip.path} {skip.detail}", err=True)
        raise click.ClickException(f"{e}; the serving index is unchanged.") from None


@cli.command(name="status")
@index_dir_option
def status_command(index_dir):
    """Show the serving generation, its sources, and what a reindex would do (a dry run)."""
    for line in index_status(_settings(index_dir=index_dir)).lines():
        _say(line)


@cli.command(name="publish")
@click.option("--to", "target", required=True, metavar="PATH|HOST:PATH",
              help="The replica's index folder, here or on another host (rsync over ssh; the "
                   "host needs rsync and this project for its python3).")
@index_dir_option
@click.option("--remote-python", default="python3", show_default=True,
              help="The replica host's Python that imports this project (HOST:PATH only).")
def publish_command(target, index_dir, remote_python):
    """Copy the serving generation to a replica and switch it there (checked on arrival)."""
    settings = _settings(index_dir=index_dir)
    with one_line_when_stopped(lambda: publish_outcome(target)):
        try:
            report = publish(settings.index_dir, target, lock_timeout=settings.lock_timeout,
                             on_wait=_say_waiting, remote_python=remote_python)
        except (PublishError, LockTimeout) as e:
            raise click.ClickException(printable(str(e))) from None
    for line in publish_lines(report):
        _say(line)


def _say(text: str, err: bool = False) -> None:
    """Print a line that may hold an archive file's name: control characters and bytes that
    are not UTF-8 are shown escaped, never sent raw to the terminal or the log."""
    click.echo(printable(text), err=err)


def _say_waiting(holder: LockHolder) -> None:
    click.echo(f"Another reindex is running ({holder.describe()}); waiting for it…", err=True)


@cli.command(name="search")
@click.argument("query", required=False, default="")
@index_dir_option
@click.option("--from", "date_from", help="Earliest article date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--to", "date_to", help="Latest article date (inclusive), same formats.")
@click.option("--place", "places", multiple=True, help="Place name or id (repeatable).")
@click.option("--sort", type=click.Choice(params.SORTS), default=None,
              help="Order of hits (default relevance).")
@click.option("--page", default=None, help="1-based page number.")
@click.option("--page-size", "--limit", "page_size", default=None, help="Results per page (max 100).")
@click.option("--group", type=click.Choice(params.GROUPS), default=None,
              help="One hit per paragraph (default) or per article.")
@click.option("--collapse", type=click.Choice(params.COLLAPSES), default=None,
              help="copies (default): one hit per group of copies of a text; none: every copy.")
@click.option("--mode", type=click.Choice(params.MODES), default=None,
              help="simple (default): words and quoted phrases; advanced: AND/OR/NOT, field:value, prefix*, word~.")
@click.option("--match", type=click.Choice(params.MATCHES), default=None,
              help="all (default): every word required, relaxed to any when nothing matches; any: ranked by any word.")
@click.option("--expand", is_flag=True,
              help="Add related words (pseudo-relevance feedback) to --match any: hits may lack the query's words.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON body instead of a list.")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every hit (no 10,000 cap) to FILE instead, with a progress bar: CSV for "
                   "FILE.csv, JSON Lines for FILE.jsonl (the same rows as /api/export).")
def search_command(query, index_dir, date_from, date_to, places, sort, page, page_size, group,
                   collapse, mode, match, expand, as_json, export_path):
    """Search the index from the command line (the same search as /api/search)."""
    settings = _settings(index_dir=index_dir)
    params = {"q": query, "from": date_from, "to": date_to, "place": list(places), "sort": sort,
              "page": page, "page_size": page_size, "group": group, "collapse": collapse, "mode": mode,
              "match": match,
              "expand": "true" if expand else None}
    service = SearchService(settings.index_dir, settings)
    try:
        if export_path is not None:
            _export(service, {**params, "format": export_path.suffix.lstrip(".")}, export_path)
            return
        body = service.search({k: v for k, v in params.items() if v not in (None, [])})
    except QueryError as e:
        if e.param == "format":
            raise click.BadParameter("the file's name must end in .csv or .jsonl",
                                     param_hint="--export") from None
        hint = "QUERY" if e.param == "q" else f"--{e.param.replace('_', '-')}"
        raise click.BadParameter(option_message(e.param, e.message), param_hint=hint) from None
    except NoIndexError as e:
        raise click.ClickException(str(e)) from None
    finally:
        service.close()
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    for line in readable_results(body, bold=sys.stdout.isatty()):
        click.echo(line)


def _export(service: SearchService, params: dict, path: Path) -> None:
    """`search --export`: every hit written to `path`, progress on stderr, a summary line."""
    started = time.monotonic()
    export = Exporter(service).open({k: v for k, v in params.items() if v not in (None, [])})
    progress = ExportProgress(export.total, lambda line: _say(line, err=True))
    rows = write_export(export, path, progress)
    if export.timed_out:
        _say("The search hit its time limit: the file holds what it found in time; add words or "
             "filters to narrow it.", err=True)
    _say(f"Exported {rows:,} {'article' if export.grouped else 'paragraph'} row(s) from index "
         f"generation {export.generation} to {path} in {time.monotonic() - started:.1f} s", err=True)


@cli.command(name="places")
@click.argument("text", required=False)
@click.option("--file", "paths", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the text from this file instead (repeatable).")
@click.option("--date", "article_date", default=None,
              help="The article's date (YYYY-MM-DD), the context for dates without a year.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per text: {file, places, dates}, with spans and coordinates.")
def places_command(text, paths, article_date, as_json):
    """Print the places and dates found in TEXT, with their character spans."""
    if (text is None) == (not paths):
        raise click.UsageError("give either TEXT or --file PATH")
    try:
        day = article_day(article_date)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--date") from None
    gazetteer = Gazetteer.load(_settings().cache_dir)
    for path in paths or [None]:
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as e:
                raise click.BadParameter(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})",
                                         param_hint="--file") from None
        if as_json:
            found = places_and_dates_json(text, gazetteer, day)
            click.echo(json.dumps({"file": str(path) if path else None, **found},
                                  ensure_ascii=False))
            continue
        if len(paths) > 1:
            _say(f"{path}:")
        for line in places_and_dates(text, gazetteer, day):
            click.echo(line)


@cli.command(name="serve")
@index_dir_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8080).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Server processes (default: all cores), forked by a supervisor that replaces one "
                   "that dies; 1: one process. Access log on stdout.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Request threads per process (default 8).")
def serve_command(index_dir, host, port, workers, threads):
    """Serve the search API (and page); builds the index from samples/ first if there is none.

    SIGTERM lets requests in flight finish; a worker process that dies is replaced."""
    settings = _settings(index_dir=index_dir, host=host, port=port, serve_workers=workers,
                         threads=threads)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s")
    if serving_generation(settings.index_dir) is None:
        click.echo(f"No index in {settings.index_dir} yet: building it from "
                   f"{', '.join(map(str, settings.sources))}…", err=True)
        with one_line_when_stopped(lambda: reindex_outcome(settings.index_dir)):
            report = _reindex_or_exit(settings)
        for line in report.summary_lines():
            _say(line, err=True)
    try:
        server = server_for(settings)
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else e.strerror  # not Python's "(while …)"
        raise click.ClickException(f"cannot listen on {settings.host}:{settings.port}: {reason}; "
                                   "choose another --port") from None
    workers = f" with {settings.serve_workers} worker processes" if settings.serve_workers > 1 else ""
    click.echo(f"Serving {settings.index_dir} on {server.url}{workers} (Ctrl-C stops)", err=True)
    server.stop_on_signals()
    server.run()
    click.echo("Stopped.", err=True)


if __name__ == "__main__":
    cli()
