"""The money parser and formatter: integer pence, never a float."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import MAX_PENCE, MoneyError, format_pence, parse_pounds, pence_to_pounds_text


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("£1,250,000", 125_000_000),
        ("1250000", 125_000_000),
        ("1,250,000.50", 125_000_050),
        ("£0.01", 1),
        (" £250,000 ", 25_000_000),
        ("250000.5", 25_000_050),
        ("£1 250 000", 125_000_000),
        ("250000GBP", 25_000_000),
    ],
)
def test_parses_what_people_type(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount"),
        ("-5", "negative"),
        ("£-5", "negative"),
        ("1.234", "two decimal places"),
        ("0", "more than £0"),
        ("£0.00", "more than £0"),
        ("abc", "number of pounds"),
        ("1,25,000", "number of pounds"),
        ("1e6", "number of pounds"),
        ("99999999999", "too large"),
        ("NaN", "number of pounds"),
        ("1.2.3", "number of"),
    ],
)
def test_refuses_bad_amounts_with_a_specific_message(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_pounds(text)


def test_formats_gbp_the_uk_way():
    assert format_pence(625_000_000) == "£6,250,000"
    assert format_pence(125_000_050) == "£1,250,000.50"
    assert format_pence(1) == "£0.01"
    assert format_pence(None) == "—"


@given(st.integers(min_value=1, max_value=MAX_PENCE))
def test_round_trip_to_the_penny(pence):
    assert parse_pounds(format_pence(pence)) == pence
    assert parse_pounds(pence_to_pounds_text(pence)) == pence


@given(st.text(max_size=40))
def test_any_text_either_parses_to_positive_int_or_gives_a_message(text):
    try:
        value = parse_pounds(text)
    except MoneyError as exc:
        assert str(exc)
    else:
        assert isinstance(value, int) and 0 < value <= MAX_PENCE
