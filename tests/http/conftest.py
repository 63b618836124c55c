"""Fixtures for the HTTP tests: one small real archive, indexed once per session, and WebTest
apps over a service on it (and over an index folder that has never been built)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import webtest

from index.settings import Settings
from search import SearchService
from search.web.app import create_app
from built_apps import built_settings

ARTICLES = [
    {"id": "aghdam-1", "title": "Restoration begins in Aghdam", "date": "2021-04-08",
     "author": "A. Writer", "url": "https://example.org/aghdam-1", "dateline": "BAKU",
     "paragraphs": ["The restoration of the mosque in Aghdam began on April 6, 2021, "
                    "officials in Baku said.",
                    "Engineers from Turkey joined the restoration work in Azerbaijan."]},
    {"id": "oil-2", "title": "Oil prices rise", "date": "1987-03-02", "author": "B. Writer",
     "url": "", "dateline": "NEW YORK",
     "paragraphs": ["Crude oil prices rose sharply in New York trading on Monday.",
                    "Analysts in London expected further gains in oil prices."]},
    {"id": "markup-3", "title": "Markup & escaping", "date": "2020-01-15", "author": "",
     "url": "", "dateline": "",
     "paragraphs": ["A paragraph with <script>alert(1)</script> & an ampersand about oil."]},
]


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """Settings whose index folder holds a built index of ARTICLES."""
    return built_settings(tmp_path_factory.mktemp("http-index"), ARTICLES)


@pytest.fixture(scope="session")
def service(settings) -> Iterator[SearchService]:
    opened = SearchService(settings.index_dir, settings)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def app(settings, service) -> webtest.TestApp:
    return webtest.TestApp(create_app(settings, service))


@pytest.fixture(scope="session")
def unbuilt_app(tmp_path_factory) -> Iterator[webtest.TestApp]:
    """An app over an index folder no reindex has ever written."""
    root = tmp_path_factory.mktemp("http-unbuilt")
    unbuilt = Settings.from_env({}, index_dir=root / "idx", sources=(root / "archive",))
    bottle_app = create_app(unbuilt)
    yield webtest.TestApp(bottle_app)
    bottle_app.close()
