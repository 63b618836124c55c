"""News Search command line: `reindex`, `search`, `places`, `serve`.

A thin click layer: each command turns its options into a Settings object and one call into
`index/` or `search/`, then prints the result. No logic of its own lives here.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from index.build import Progress, StrictFailure, reindex
from index.lock import LockHolder, LockTimeout
from index.settings import Settings


def index_dir_option(command):
    return click.option(
        "--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Index folder (default var/index, or NEWS_SEARCH_INDEX_DIR).")(command)


@click.group()
def cli():
    """News Search: a full-text search service for a news archive."""


@cli.command(name="reindex")
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Archive file or folder (repeatable; default samples/).")
@index_dir_option
@click.option("--full", is_flag=True, help="Rebuild everything instead of only changed files.")
@click.option("--if-needed", is_flag=True,
              help="Return at once when the index is current (schema stamp and files unchanged).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores).")
@click.option("--strict", is_flag=True, help="Fail (exit 1, nothing switched) if anything is skipped.")
def reindex_command(sources, index_dir, full, if_needed, workers, strict):
    """Read the archive and build a new index generation, then switch to it."""
    settings = Settings.from_env(index_dir=index_dir, sources=sources or None, workers=workers)
    try:
        report = reindex(settings, full=full, if_needed=if_needed, strict=strict,
                         progress=_progress_printer(), on_wait=_say_waiting)
    except FileNotFoundError as e:
        raise click.ClickException(f"{e}. Check the --source path.") from None
    except LockTimeout as e:
        raise click.ClickException(str(e)) from None
    except StrictFailure as e:
        for skip in e.skipped:
            click.echo(f"skipped ({skip.reason}): {skip.path} {skip.detail}", err=True)
        raise click.ClickException(f"{e}; the serving index is unchanged.") from None
    for line in report.summary_lines():
        click.echo(line)


def _say_waiting(holder: LockHolder) -> None:
    click.echo(f"Another reindex is running ({holder.describe()}); waiting for it…", err=True)


def _progress_printer():
    """A progress bar on a terminal; plain progress lines when output is piped or logged."""
    interactive = sys.stderr.isatty()

    def show(p: Progress) -> None:
        if interactive:
            width = 30
            filled = width * p.files_done // max(p.files_total, 1)
            click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {p.files_done}/{p.files_total} files, "
                       f"{p.paragraphs:,} paragraphs", nl=p.files_done == p.files_total, err=True)
        else:
            click.echo(f"indexed {p.files_done}/{p.files_total} files ({p.paragraphs:,} paragraphs): "
                       f"{p.path}", err=True)
    return show


if __name__ == "__main__":
    cli()
