"""The one Settings object: defaults, environment, overrides, and values it refuses."""
from pathlib import Path

import pytest

from index.settings import Settings


def test_environment_overrides_defaults_and_options_override_the_environment():
    settings = Settings.from_env({"NEWS_SEARCH_PORT": "9000", "NEWS_SEARCH_WORKERS": "3"}, workers=5)
    assert (settings.port, settings.workers) == (9000, 5)


def test_sources_are_split_on_the_path_separator():
    settings = Settings.from_env({"NEWS_SEARCH_SOURCES": "/a:/b"})
    assert settings.sources == (Path("/a"), Path("/b"))


def test_a_value_of_the_wrong_type_names_its_variable():
    with pytest.raises(ValueError, match="NEWS_SEARCH_PORT='eighty' is not a whole number"):
        Settings.from_env({"NEWS_SEARCH_PORT": "eighty"})


@pytest.mark.parametrize("overrides", [{"workers": 0}, {"threads": 0}, {"port": 70000},
                                       {"lock_timeout": -1}, {"query_time_limit": 0}])
def test_values_out_of_range_are_refused(overrides):
    with pytest.raises(ValueError, match=next(iter(overrides))):
        Settings.from_env({}, **overrides)
