import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.money import CurrencyMismatch, Money, MoneyError, currency_exponent, format_minor, parse_minor


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("RUB", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("BTC", 8),
        ("USDT", 6),
        ("ETH", 9),
    ],
)
def test_currency_exponent_from_iso_4217_and_crypto_config(code: str, exponent: int) -> None:
    assert currency_exponent(code) == exponent


def test_unknown_currency_is_refused_by_name() -> None:
    with pytest.raises(MoneyError, match="unknown currency 'XYZ1'"):
        currency_exponent("XYZ1")


@pytest.mark.parametrize(
    ("text", "code", "minor"),
    [
        ("12.30", "EUR", 1230),
        ("12.3", "EUR", 1230),
        ("12", "EUR", 1200),
        ("0.01", "USD", 1),
        ("-5.50", "USD", -550),
        ("1500", "JPY", 1500),
        ("1.234", "BHD", 1234),
        ("0.00000001", "BTC", 1),
        ("12.3000", "EUR", 1230),
        ("100.5", "USDT", 100_500_000),
    ],
)
def test_parse_minor_exact(text: str, code: str, minor: int) -> None:
    assert parse_minor(text, code) == minor


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.345", "more decimal places than EUR allows"),
        ("1,000.00", "invalid amount '1,000.00'"),
        ("1e3", "invalid amount '1e3'"),
        ("", "invalid amount ''"),
        ("12.", "invalid amount '12.'"),
        ("NaN", "invalid amount 'NaN'"),
        ("1 000", "invalid amount '1 000'"),
        ("+5", "invalid amount '+5'"),
    ],
)
def test_parse_minor_refuses_ambiguous_or_over_precise(text: str, message: str) -> None:
    with pytest.raises(MoneyError, match=re.escape(message)):
        parse_minor(text, "EUR")


def test_jpy_refuses_any_fraction() -> None:
    with pytest.raises(MoneyError, match="more decimal places than JPY allows"):
        parse_minor("10.5", "JPY")


@pytest.mark.parametrize(
    ("minor", "code", "text"),
    [
        (1230, "EUR", "12.30"),
        (1, "EUR", "0.01"),
        (-550, "USD", "-5.50"),
        (0, "EUR", "0.00"),
        (1500, "JPY", "1500"),
        (1, "BTC", "0.00000001"),
        (-1, "BHD", "-0.001"),
    ],
)
def test_format_minor_exact(minor: int, code: str, text: str) -> None:
    assert format_minor(minor, code) == text


@given(minor=st.integers(min_value=-(10**15), max_value=10**15), code=st.sampled_from(["EUR", "JPY", "BHD", "BTC"]))
def test_format_then_parse_round_trips(minor: int, code: str) -> None:
    assert parse_minor(format_minor(minor, code), code) == minor


@given(a=st.integers(-(10**12), 10**12), b=st.integers(-(10**12), 10**12))
def test_money_arithmetic_is_exact_within_a_currency(a: int, b: int) -> None:
    total = Money(a, "EUR") + Money(b, "EUR")
    assert total == Money(a + b, "EUR")
    assert (total - Money(b, "EUR")) == Money(a, "EUR")
    assert total.to_decimal() == Decimal(a + b) / 100


def test_money_refuses_mixing_currencies() -> None:
    with pytest.raises(CurrencyMismatch, match="cannot combine EUR with USD"):
        _ = Money(100, "EUR") + Money(100, "USD")


def test_money_refuses_floats_and_bools() -> None:
    with pytest.raises(MoneyError, match="integer number of minor units"):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="integer number of minor units"):
        Money(True, "EUR")


def test_money_parse_normalizes_code() -> None:
    assert Money.parse("10.00", " eur ") == Money(1000, "EUR")
    assert str(Money(1000, "EUR")) == "10.00 EUR"


def test_money_format_per_locale() -> None:
    assert Money(5000, "USD").format("en") == "$50.00"
    assert Money(150000, "RUB").format("ru") == "1\xa0500,00\xa0₽"
    assert Money(1_000_000, "BTC").format("en") == "0.01000000 BTC"
