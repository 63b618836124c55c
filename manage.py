"""News Search command line: `reindex`, `status`, `search`, `places`, `serve`.

A thin click layer: each command turns its options into a Settings object and one call into
`index/` or `search/`, then prints the result. No logic of its own lives here.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import click
from tqdm import tqdm

from cli.explain import article_day, places_and_dates, places_and_dates_json
from cli.terminal import readable_results
from index.build import Progress, ReindexError, StrictFailure, index_status, reindex
from index.lock import LockHolder, LockTimeout
from index.places import Gazetteer
from index.settings import Settings
from index.sources.names import printable
from index.store.generations import serving_generation
from search import NoIndexError, QueryError, SearchService
from search.service import params
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
    report = _reindex_or_exit(settings, full=full, if_needed=if_needed, strict=strict,
                              sources=sources or None, remove_sources=removed, prune=prune)
    for line in report.summary_lines():
        _say(line)


def _reindex_or_exit(settings: Settings, **options):
    """`reindex(...)`, with every failure the operator can act on as one `Error:` line."""
    try:
        return reindex(settings, progress=_progress_printer(), on_wait=_say_waiting, **options)
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


def _say(text: str, err: bool = False) -> None:
    """Print a line that may hold an archive file's name: control characters and bytes that
    are not UTF-8 are shown escaped, never sent raw to the terminal or the log."""
    click.echo(printable(text), err=err)


def _say_waiting(holder: LockHolder) -> None:
    click.echo(f"Another reindex is running ({holder.describe()}); waiting for it…", err=True)


def _progress_printer(interactive: bool | None = None, seconds_between_lines: float = 10.0):
    """A tqdm bar of bytes read, with articles and the time left, on a terminal; plain lines
    when output is piped or logged: one per finished file, and one every
    `seconds_between_lines` while a large file is read."""
    interactive = sys.stderr.isatty() if interactive is None else interactive
    bar = None
    files_done = 0
    last_line = started = time.monotonic()

    def show(p: Progress) -> None:
        nonlocal bar, files_done, last_line
        if interactive:
            if bar is None:
                bar = tqdm(total=p.bytes_total, unit="B", unit_scale=True,
                           desc="reading", file=sys.stderr, dynamic_ncols=True)
            bar.set_postfix_str(f"{p.files_done}/{p.files_total} files, {p.articles:,} articles",
                                refresh=False)
            bar.update(p.bytes_done - bar.n)
            if p.files_done == p.files_total:
                bar.close()
            return
        now = time.monotonic()
        if p.files_done > files_done:
            files_done = p.files_done
            _say(f"indexed {p.files_done}/{p.files_total} files ({p.paragraphs:,} paragraphs): "
                 f"{p.path}", err=True)
        elif now - last_line >= seconds_between_lines and p.bytes_done:
            left = (now - started) * (p.bytes_total - p.bytes_done) / p.bytes_done
            _say(f"read {p.bytes_done / max(p.bytes_total, 1):.0%} of "
                 f"{tqdm.format_sizeof(p.bytes_total, 'B')} ({p.articles:,} articles), "
                 f"about {tqdm.format_interval(left)} left: {p.path}", err=True)
        else:
            return
        last_line = now
    return show


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
@click.option("--mode", type=click.Choice(params.MODES), default=None,
              help="simple (default): words and quoted phrases; advanced: AND/OR/NOT, field:value, prefix*, word~.")
@click.option("--match", type=click.Choice(params.MATCHES), default=None,
              help="all (default): every word required, relaxed to any when nothing matches; any: ranked by any word.")
@click.option("--expand", is_flag=True,
              help="Add related words (pseudo-relevance feedback) to --match any: hits may lack the query's words.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON body instead of a list.")
def search_command(query, index_dir, date_from, date_to, places, sort, page, page_size, group,
                   mode, match, expand, as_json):
    """Search the index from the command line (the same search as /api/search)."""
    settings = _settings(index_dir=index_dir)
    params = {"q": query, "from": date_from, "to": date_to, "place": list(places), "sort": sort,
              "page": page, "page_size": page_size, "group": group, "mode": mode, "match": match,
              "expand": "true" if expand else None}
    service = SearchService(settings.index_dir, settings)
    try:
        body = service.search({k: v for k, v in params.items() if v not in (None, [])})
    except QueryError as e:
        hint = "QUERY" if e.param == "q" else f"--{e.param.replace('_', '-')}"
        raise click.BadParameter(e.message, param_hint=hint) from None
    except NoIndexError as e:
        raise click.ClickException(str(e)) from None
    finally:
        service.close()
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    for line in readable_results(body, bold=sys.stdout.isatty()):
        click.echo(line)


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
        for line in _reindex_or_exit(settings).summary_lines():
            _say(line, err=True)
    try:
        server = server_for(settings)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {settings.host}:{settings.port}: {e.strerror}; "
                                   "choose another --port") from None
    workers = f" with {settings.serve_workers} worker processes" if settings.serve_workers > 1 else ""
    click.echo(f"Serving {settings.index_dir} on {server.url}{workers} (Ctrl-C stops)", err=True)
    server.stop_on_signals()
    server.run()
    click.echo("Stopped.", err=True)


if __name__ == "__main__":
    cli()
