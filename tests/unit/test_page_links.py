"""The page's links: `_href`'s own encoding of parameters (a shortcut for plain words and dates)
writes exactly what urllib's urlencode writes, for any text."""
from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from search.web.page import ORDER, _href

values = st.lists(st.text(max_size=12), min_size=1, max_size=2)


@given(st.dictionaries(st.sampled_from([n for n in ORDER if n not in ("page", "facets")]), values,
                       min_size=1))
def test_links_encode_every_value_as_urlencode_does(state):
    expected = [(name, value) for name in ORDER if name in state for value in state[name]]
    assert _href(state, {}) == "/?" + urlencode(expected)
