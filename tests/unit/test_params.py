"""Validation of the search API's parameters (search/service/params.py)."""
import datetime as dt

import pytest

from search.service.params import MAX_QUERY_CHARS, QueryError, parse_params


def error_param(raw) -> str:
    with pytest.raises(QueryError) as e:
        parse_params(raw)
    return e.value.param


def test_no_parameters_give_the_documented_defaults():
    p = parse_params({})
    assert (p.q, p.mode, p.match, p.sort, p.page, p.page_size, p.group, p.facets, p.expand) == (
        "", "simple", "all", "relevance", 1, 10, "paragraph", ("place", "year"), False)


@pytest.mark.parametrize("value,expected", [("true", True), ("TRUE", True), ("false", False),
                                            (" False ", False), ("", False)])
def test_expand_is_true_or_false_in_any_case(value, expected):
    assert parse_params({"expand": value}).expand is expected


@pytest.mark.parametrize("value", ["yes", "1", "on", "truee"])
def test_expand_other_than_true_or_false_is_an_error_naming_expand(value):
    assert error_param({"expand": value}) == "expand"


def test_expand_is_echoed_in_the_query_object():
    assert parse_params({"expand": "true"}).echo([])["expand"] is True


def test_year_from_and_to_cover_the_whole_year():
    p = parse_params({"from": "2021", "to": "2021"})
    assert (p.date_from, p.date_to) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))


def test_month_to_ends_on_the_last_day_of_a_leap_february():
    assert parse_params({"to": "2020-02"}).date_to == dt.date(2020, 2, 29)


@pytest.mark.parametrize("value", ["2021/01/01", "21-01", "2021-13", "2021-02-30", "yesterday", "2021-1-1"])
def test_a_malformed_date_is_an_error_naming_from(value):
    assert error_param({"from": value}) == "from"


def test_from_after_to_is_an_error():
    assert error_param({"from": "2021-05", "to": "2021-04-30"}) == "from"


def test_mentioned_dates_are_validated_like_dates():
    assert error_param({"mentioned_to": "soon"}) == "mentioned_to"


def test_an_unknown_parameter_is_an_error_naming_it():
    assert error_param({"qq": "x"}) == "qq"


def test_q_longer_than_the_limit_is_an_error():
    assert error_param({"q": "a" * (MAX_QUERY_CHARS + 1)}) == "q"


def test_control_characters_in_q_become_spaces():
    assert parse_params({"q": "oil\x00\x07prices\n"}).q == "oil prices"


@pytest.mark.parametrize("name,value", [("mode", "fancy"), ("match", "most"), ("sort", "best"),
                                        ("group", "site"), ("facets", "author")])
def test_a_value_outside_the_choices_is_an_error_naming_the_parameter(name, value):
    assert error_param({name: value}) == name


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5", "99999999999"])
def test_page_must_be_a_positive_whole_number(value):
    assert error_param({"page": value}) == "page"


def test_page_size_above_100_is_an_error():
    assert error_param({"page_size": "101"}) == "page_size"


def test_paging_past_10000_results_is_an_error_naming_page():
    assert error_param({"page": "101", "page_size": "100"}) == "page"


def test_the_last_allowed_page_is_accepted():
    assert parse_params({"page": "100", "page_size": "100"}).offset == 9900


def test_place_is_repeatable_and_deduplicated():
    assert parse_params({"place": ["Baku", " Baku ", "AZ"]}).places == ("Baku", "AZ")


def test_facets_accept_commas_and_repeats():
    assert parse_params({"facets": ["place,month", "year"]}).facets == ("place", "month", "year")


def test_an_empty_facets_value_asks_for_no_facets():
    assert parse_params({"facets": ""}).facets == ()


def test_a_single_valued_parameter_given_twice_is_an_error():
    assert error_param({"q": ["a", "b"]}) == "q"


def test_the_error_message_is_the_exception_text():
    with pytest.raises(QueryError) as e:
        parse_params({"sort": "best"})
    assert str(e.value) == e.value.message and "relevance" in e.value.message


@pytest.mark.parametrize("value", ["٢٠٢١", "２０２１", "2021-٠١", "2021-01-０１", "۲۰۲۱"])
def test_a_date_in_non_ascii_digits_is_an_error_naming_from(value):
    assert error_param({"from": value}) == "from"


def test_year_zero_is_not_a_calendar_date():
    with pytest.raises(QueryError) as e:
        parse_params({"to": "0000"})
    assert e.value.param == "to" and "not a calendar date" in e.value.message


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("value", ["١", "２", "¹"])
def test_page_numbers_in_non_ascii_digits_are_errors(name, value):
    assert error_param({name: value}) == name
