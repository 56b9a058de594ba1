"""Search box parsing: names, dates of birth in the formats people type, phone digits, chart numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentalspace_desktop.domain.search import ClientQuery, parse_client_query

TODAY = date(2025, 3, 10)


def parse(text: str) -> ClientQuery:
    return parse_client_query(text, TODAY)


def test_name_prefixes() -> None:
    assert parse("smi").name_tokens == ("smi",)
    assert parse("Smith, Jo").name_tokens == ("smith", "jo")
    assert parse("O'Brien").name_tokens == ("obrien",)
    q = parse("smith j")
    assert q.name_tokens == ("smith", "j") and q.dob is None and q.phone_digits is None


@pytest.mark.parametrize(
    "text",
    ["3/14/1988", "03/14/1988", "3-14-1988", "3.14.1988", "1988-03-14", "1988-3-14", "3/14/88", "03-14-88"],
)
def test_date_of_birth_formats(text: str) -> None:
    q = parse(text)
    assert q.dob == date(1988, 3, 14)
    assert q.name_tokens == () and q.phone_digits is None


def test_two_digit_year_is_the_most_recent_past_year() -> None:
    assert parse("1/2/25").dob == date(2025, 1, 2)
    assert parse("1/2/26").dob == date(1926, 1, 2)
    assert parse("1/2/05").dob == date(2005, 1, 2)


def test_impossible_date_is_not_a_date() -> None:
    assert parse("2/30/1990").dob is None
    assert parse("13/1/1990").dob is None


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("0123", "0123"),
        ("404-892", "404892"),
        ("(404) 892-1234", "4048921234"),
        ("404.892.1234", "4048921234"),
        ("404 892 1234", "4048921234"),
        ("+1 404 892 1234", "4048921234"),
        ("1-404-892-1234", "4048921234"),
    ],
)
def test_phone_digits(text: str, digits: str) -> None:
    q = parse(text)
    assert q.phone_digits == digits
    assert q.name_tokens == ()


def test_fewer_than_four_digits_are_ignored() -> None:
    assert parse("12").is_empty
    assert parse("smith 12").phone_digits is None


@pytest.mark.parametrize(
    ("text", "prefix"),
    [("MS-7K3Q-9D2F", "MS-7K3Q-9D2F"), ("ms7k3q9d2f", "MS-7K3Q-9D2F"), ("ms-7k3q", "MS-7K3Q"),
     ("Ms-1042", "MS-1042"), ("ms1", "MS-1"), ("MS-7K3O", "MS-7K30")],  # O read as zero
)
def test_chart_number(text: str, prefix: str) -> None:
    assert parse(text).chart_prefix == prefix


@pytest.mark.parametrize("text", ["msmith", "ms", "ms-7k3q9d2f0"])
def test_not_a_chart_number(text: str) -> None:
    assert parse(text).chart_prefix is None


def test_uuid_prefix() -> None:
    assert parse("0193a1b2-7c").id_prefix == "0193a1b2-7c"


def test_mixed_query() -> None:
    q = parse("rivera 6/1/1988")
    assert q.name_tokens == ("rivera",) and q.dob == date(1988, 6, 1)


def test_empty_and_punctuation_only() -> None:
    assert parse("").is_empty
    assert parse("   ,,, ").is_empty
    assert parse("--- ()").is_empty


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    q = parse(text)
    assert isinstance(q, ClientQuery)
    for token in q.name_tokens:
        assert token and token == token.lower()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "3/14/1988",
                "MS-1",
                "smith",
                "0123",
                "ß",
                "٣/١/١٩٩٠",
                "-",
                "/",
                "9999-99-99",
                "0000-01-01",
                "2/29/2023",
                "ﬀ",
                "\x00",
                "1e5",
                "12/12/12/12",
            ]
        ),
        max_size=6,
    )
)
def test_parse_never_raises_on_awkward_token_mixes(tokens: list[str]) -> None:
    parse(" ".join(tokens))


FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "{m}/{d}/%Y", "{m}-{d}-%Y"]


def render(d: date, fmt: str) -> str:
    return d.strftime(fmt.replace("{m}", str(d.month)).replace("{d}", str(d.day)))


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.sampled_from(FORMATS))
def test_dates_round_trip_in_four_digit_formats(d: date, fmt: str) -> None:
    assert parse(render(d, fmt)).dob == d


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=date(TODAY.year - 99, 1, 1), max_value=TODAY),
    st.sampled_from(["%m/%d/%y", "%m-%d-%y"]),
)
def test_dates_round_trip_with_two_digit_years_within_a_century(d: date, fmt: str) -> None:
    assert parse(d.strftime(fmt)).dob == d
