"""The page's links: `_href`'s own encoding of parameters (a shortcut for plain words and dates)
writes exactly what urllib's urlencode writes, for any text; a link applies its changes to the
page's parameters, in their order, without the page number or the facets; the links that add
one place to a state are the links with that change."""
from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from search.web.page import ORDER, _href, _Links

values = st.lists(st.text(max_size=12), min_size=1, max_size=2)


@given(st.dictionaries(st.sampled_from([n for n in ORDER if n not in ("page", "facets")]), values,
                       min_size=1))
def test_links_encode_every_value_as_urlencode_does(state):
    expected = [(name, value) for name in ORDER if name in state for value in state[name]]
    assert _href(state, {}) == "/?" + urlencode(expected)


NAMES = st.sampled_from([*ORDER, "facets", "zeta", "alpha"])


@given(st.dictionaries(NAMES, values), st.dictionaries(NAMES, st.one_of(st.none(), values)))
def test_a_link_applies_its_changes_keeps_the_rest_and_leaves_paging_and_facets_out(state, changes):
    kept = {name: v for name, v in state.items() if name not in ("page", "facets")}
    for name, v in changes.items():
        if v:
            kept[name] = v
        else:
            kept.pop(name, None)
    names = [n for n in ORDER if n in kept] + sorted(n for n in kept if n not in ORDER)
    expected = urlencode([(name, value) for name in names for value in kept[name]])
    assert _href(state, changes) == ("/?" + expected if expected else "/")


@given(st.dictionaries(NAMES, values), st.text(max_size=12))
def test_a_link_adding_a_place_is_the_link_with_the_place_added(state, place):
    expected = _href(state, {"place": state.get("place", []) + [place]})
    assert _Links(state).adding("place")(place) == expected
