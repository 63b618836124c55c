"""Dates mentioned in text: explicit, missing years around the new year, months, ranges."""
from __future__ import annotations

import datetime as dt

import pytest

from index.dates import extract_mentioned_dates
from index.sources import read_source

SEED_DAY = dt.date(2021, 4, 8)


def terms(text: str, article_date: dt.date | None = SEED_DAY) -> list[str]:
    return [m.term for m in extract_mentioned_dates(text, article_date)]


def test_seed_article_dates_are_exactly_the_expected_ones(shared_dir):
    articles, _ = read_source(next((shared_dir / "seed").glob("*.txt")))
    seed = articles[0]
    found = {m.term for text in seed.paragraphs for m in extract_mentioned_dates(text, seed.date)}
    assert found == {"2021-04-06", "2020-09-27", "2020-11-10", "2020-09", "2020-11"}


def test_full_date_is_a_day_with_its_written_year():
    [mention] = extract_mentioned_dates("On April 6, 2021, the envoys came.", SEED_DAY)
    assert (mention.term, mention.granularity, mention.year_inferred) == (
        "2021-04-06", "day", False)


def test_day_without_year_takes_the_nearest_year_before_the_article():
    [mention] = extract_mentioned_dates("The war ended on November 10 with a deal.", SEED_DAY)
    assert (mention.term, mention.year_inferred) == ("2020-11-10", True)


def test_december_day_in_a_january_article_is_last_year():
    assert terms("Talks began on December 30.", dt.date(1988, 1, 3)) == ["1987-12-30"]


def test_january_day_in_a_december_article_is_next_year():
    assert terms("Talks resume on January 4.", dt.date(1987, 12, 28)) == ["1988-01-04"]


def test_range_shares_the_year_written_at_its_end():
    assert terms("the war from late September to early November 2020") == ["2020-09", "2020-11"]


def test_range_across_the_new_year_puts_the_start_in_the_year_before():
    assert terms("from November to February 1987", dt.date(1987, 3, 1)) == ["1986-11", "1987-02"]


def test_month_with_year_is_a_month():
    [mention] = extract_mentioned_dates("Output fell in March 1987.", None)
    assert (mention.term, mention.granularity) == ("1987-03", "month")


def test_bare_month_after_a_cue_word_is_a_month():
    assert terms("Exports rose in March.", dt.date(1987, 4, 2)) == ["1987-03"]


def test_may_as_a_verb_is_not_a_date():
    assert terms("Prices May rise, he said. May was cold.", dt.date(1987, 4, 2)) == []


def test_last_month_name_is_before_the_article():
    assert terms("Sales rose last March.", dt.date(1987, 2, 26)) == ["1986-03"]


def test_next_month_name_is_after_the_article():
    assert terms("Talks resume next January.", dt.date(1987, 2, 26)) == ["1988-01"]


def test_day_month_order_is_understood():
    assert terms("signed on 2 March 1987") == ["1987-03-02"]


def test_abbreviated_month_is_understood():
    assert terms("in the week ended Feb 26", dt.date(1987, 3, 2)) == ["1987-02-26"]


def test_iso_date_is_a_day():
    assert terms("released 2021-04-06 by the ministry") == ["2021-04-06"]


def test_impossible_day_is_dropped():
    assert terms("on February 30, 1987") == []


def test_date_without_year_and_without_article_date_is_dropped():
    assert terms("on November 10", None) == []


def test_span_points_at_the_date_text():
    text = "It began on September 27, 2020."
    [mention] = extract_mentioned_dates(text, SEED_DAY)
    assert text[mention.start:mention.end] == mention.surface == "September 27, 2020"


def test_json_shape():
    [mention] = extract_mentioned_dates("November 2020", None)
    assert mention.as_json() == {"date": "2020-11", "granularity": "month",
                                 "year_inferred": False, "start": 0, "end": 13,
                                 "text": "November 2020"}


@pytest.mark.parametrize("text", ["Section 5 of the act", "12 pct in 1987", "Marchand said"])
def test_text_without_a_date_yields_nothing(text):
    assert terms(text) == []


def test_date_months_ahead_without_year_is_taken_as_last_year():
    assert terms("in the year ended July 31", dt.date(1987, 3, 16)) == ["1986-07-31"]


def test_date_weeks_ahead_without_year_is_this_year():
    assert terms("shareholders of record April 17", dt.date(1987, 3, 16)) == ["1987-04-17"]
