"""Real indexes of a few articles and WebTest apps over them, for the HTTP tests' fixtures."""
from __future__ import annotations

from collections.abc import Iterator

import webtest

from archive_files import write_archive
from index.build import reindex
from index.settings import Settings
from search.web.app import create_app


def built_settings(root, articles: list[dict]) -> Settings:
    """Settings whose index folder under `root` holds a built index of `articles`."""
    built = Settings.from_env({}, index_dir=root / "idx", workers=1, lock_timeout=5,
                              sources=(write_archive(root / "archive", articles),))
    reindex(built)
    return built


def app_over(root, articles: list[dict]) -> Iterator[webtest.TestApp]:
    """A WebTest app over a fresh index of `articles` (for a module fixture to yield from)."""
    bottle_app = create_app(built_settings(root, articles))
    yield webtest.TestApp(bottle_app)
    bottle_app.close()
