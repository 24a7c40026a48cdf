"""Entities: every amount notation in exact minor units, references, card last four, method and dates (EN/RU)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paydesk.triage.entities import (
    extract_amount,
    extract_card_last4,
    extract_date,
    extract_entities,
    extract_method,
    extract_reference,
)

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deposit of $50 not credited", (5000, "USD")),
        ("I sent 50 usd yesterday", (5000, "USD")),
        ("paid 1.000,50 EUR by card", (100050, "EUR")),
        ("пополнил на 1 500 ₽", (150000, "RUB")),
        ("закинул 1500р а баланс пустой", (150000, "RUB")),
        ("вывел 5к рублей", (500000, "RUB")),
        ("отправил 0,01 BTC", (1000000, "BTC")),
        ("sent 100 usdt on trc20", (100000000, "USDT")),
        ("lost 50 bucks", (5000, "USD")),
        ("€1,250.50 withdrawal", (125050, "EUR")),
        ("USD 500 please", (50000, "USD")),
        ("£15.99 fee", (1599, "GBP")),
        ("25$ deposit", (2500, "USD")),
        ("10 тыс руб на карту", (1000000, "RUB")),
        ("2,5к рублей", (250000, "RUB")),
        ("0.05 ETH", (50000000, "ETH")),
        ("15 000 рублей", (1500000, "RUB")),
        ("1,500 USD", (150000, "USD")),
        ("1.500 EUR", (150000, "EUR")),
        ("300 евро", (30000, "EUR")),
        ("20 баксов", (2000, "USD")),
        ("25 000 ₸", (2500000, "KZT")),
        ("5000 JPY", (5000, "JPY")),
        ("popolnil 1500r vchera", (150000, "RUB")),
        ("500 MXN transfer", (50000, "MXN")),
    ],
)
def test_amount_notations_in_exact_minor_units(text: str, expected: tuple[int, str]) -> None:
    assert extract_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card ending 4242",
        "my deposit is late",
        "since 12.05 nothing",
        "the 2 weeks are over",
        "50.5555 USD is too precise",  # more decimals than USD has: dropped, never rounded
        "TOP 100 players",
    ],
)
def test_no_amount_without_a_currency_or_with_impossible_precision(text: str) -> None:
    assert extract_amount(text) is None


def test_first_amount_wins() -> None:
    assert extract_amount("I deposited €20 and then $30") == (2000, "EUR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is DEP-a3f9c2-000123?", "DEP-a3f9c2-000123"),
        ("withdrawal WDR-X1-000042 stuck", "WDR-X1-000042"),
        ("refund pi_3Nk2lQ2eZvKYlo2C1a2b3c4d please", "pi_3Nk2lQ2eZvKYlo2C1a2b3c4d"),
        ("charge ch_1Abcdefghijklmnopqrstuv", "ch_1Abcdefghijklmnopqrstuv"),
        ("payment py_9ZyXwVuTsRqPoNmLk", "py_9ZyXwVuTsRqPoNmLk"),
        ("PSP reference 8815658961765250", "8815658961765250"),
        ("psp ref Z5XD3V9P6XMN8K82 thanks", "Z5XD3V9P6XMN8K82"),
        ("платёж #48213 завис", "48213"),
        ("UETR 3f2b8c1d-9a4e-4c2b-a1d3-0e9f8b7c6d5a please trace", "3f2b8c1d-9a4e-4c2b-a1d3-0e9f8b7c6d5a"),
    ],
)
def test_references(text: str, expected: str) -> None:
    assert extract_reference(text) == expected


def test_a_card_number_is_never_a_reference() -> None:
    assert extract_reference("my card 4111111111111111 was charged") is None
    assert extract_reference("I paid 15000 рублей, номер 12345 рублей") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card ending 4242", "4242"),
        ("visa ending in 1881", "1881"),
        ("last 4 digits 0005", "0005"),
        ("charged *4242 twice", "4242"),
        ("**** 5555 declined", "5555"),
        ("xxxx1234", "1234"),
        ("вывод на 4242 не пришёл", "4242"),
        ("карта заканчивается на 9876", "9876"),
        ("на карту 1234 ничего", "1234"),
        ("kartu zakanchivaetsya na 4321", "4321"),
        ("full number 4111 1111 1111 1111 oops", "1111"),
    ],
)
def test_card_last_four(text: str, expected: str) -> None:
    assert extract_card_last4(text) == expected


@pytest.mark.parametrize("text", ["пополнил на 1500 рублей", "на 2024 год", "на 5000р", "card for 1000 usd"])
def test_amounts_and_years_are_not_card_digits(text: str) -> None:
    assert extract_card_last4(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paid by visa", "card"),
        ("через карту Мир", "card"),
        ("sepa transfer", "bank_transfer"),
        ("по реквизитам", "bank_transfer"),
        ("my skrill wallet", "e_wallet"),
        ("на юмани", "e_wallet"),
        ("sent btc", "crypto"),
        ("крипта не пришла", "crypto"),
        ("через СБП", "sbp"),
        ("sbp payout", "sbp"),
        ("nothing about money here", None),
    ],
)
def test_method(text: str, expected: str | None) -> None:
    assert extract_method(text) == expected


def test_crypto_currency_implies_crypto_method() -> None:
    assert extract_method("sent 100", "USDT") == "crypto"
    assert extract_method("sent 100", "EUR") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deposited yesterday", date(2026, 11, 25)),
        ("сделал вчера", date(2026, 11, 25)),
        ("vchera popolnil", date(2026, 11, 25)),
        ("позавчера", date(2026, 11, 24)),
        ("today at noon", date(2026, 11, 26)),
        ("3 days ago", date(2026, 11, 23)),
        ("3 дня назад", date(2026, 11, 23)),
        ("неделю назад", date(2026, 11, 19)),
        ("two weeks ago", date(2026, 11, 12)),
        ("a few days ago", date(2026, 11, 23)),
        ("несколько дней назад", date(2026, 11, 23)),
        ("last friday", date(2026, 11, 20)),
        ("on monday", date(2026, 11, 23)),
        ("в пятницу", date(2026, 11, 20)),
        ("on 5 March", date(2026, 3, 5)),
        ("March 3rd", date(2026, 3, 3)),
        ("21 октября", date(2026, 10, 21)),
        ("5 декабря", date(2025, 12, 5)),  # no year and in the future: last year's
        ("12.05", date(2026, 5, 12)),
        ("03.10.2024", date(2024, 10, 3)),
        ("2024-11-02", date(2024, 11, 2)),
        ("on the 14th", date(2026, 11, 14)),
        ("since the 28th", date(2026, 10, 28)),  # the 28th of this month is still ahead: last month's
        ("пополнил 14-го", date(2026, 11, 14)),
        ("14-го октября", date(2026, 10, 14)),
    ],
)
def test_dates_in_both_languages_relative_to_now(text: str, expected: date) -> None:
    assert extract_date(text, NOW) == expected


@pytest.mark.parametrize("text", ["sent 12.50 EUR", "2.5k", "version 31.13", "no date here"])
def test_numbers_that_are_not_dates(text: str) -> None:
    assert extract_date(text, NOW) is None


def test_all_entities_together() -> None:
    text = "Не пришли деньги! Пополнил 1 500 ₽ картой *4242 вчера, платёж DEP-a1-000007"
    assert extract_entities(text, now=NOW).as_dict() == {
        "amount_minor": 150000,
        "currency": "RUB",
        "reference": "DEP-a1-000007",
        "card_last4": "4242",
        "method": "card",
        "date": "2026-11-25",
    }
