"""Triage of whole messages: category and language on clear examples (EN, RU, Russian in Latin letters), priority
hints, and odd input (empty, huge, binary, mixed script) that must never raise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.triage.pipeline import MAX_CHARS, triage_message

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
CATEGORIES = {
    "deposit_pending", "deposit_failed", "deposit_not_credited", "withdrawal_pending", "withdrawal_failed",
    "withdrawal_not_received", "refund_request", "refund_not_received", "duplicate_charge", "unrecognised_transaction",
    "chargeback_dispute", "verification_kyc", "fees_and_limits", "exchange_rate", "payment_method_issue",
    "account_access", "bonus_wagering", "other",
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language", "category"),
    [
        ("My deposit has been pending for three hours now", "en", "deposit_pending"),
        ("The casino took the money from my card but my balance is still zero", "en", "deposit_not_credited"),
        ("my deposit was declined by the bank", "en", "deposit_failed"),
        ("my withdrawal request is still pending after 4 days", "en", "withdrawal_pending"),
        ("your site says withdrawal paid but my bank got nothing", "en", "withdrawal_not_received"),
        ("I was charged twice for the same deposit", "en", "duplicate_charge"),
        ("I want to open a chargeback with my bank", "en", "chargeback_dispute"),
        ("how much do I still have to wager before I can withdraw the bonus", "en", "bonus_wagering"),
        ("forgot my password, cannot log in", "en", "account_access"),
        ("what documents do you need to verify my identity", "en", "verification_kyc"),
        ("my refund still hasn't arrived on my card", "en", "refund_not_received"),
        ("I don't recognise this payment on my statement", "en", "unrecognised_transaction"),
        ("депозит завис в обработке уже два часа", "ru", "deposit_pending"),
        ("деньги списали с карты, а на баланс не зачислили", "ru", "deposit_not_credited"),
        ("почему отклонили мой вывод?", "ru", "withdrawal_failed"),
        ("списали два раза за одно пополнение", "ru", "duplicate_charge"),
        ("не могу войти в аккаунт, забыл пароль", "ru", "account_access"),
        ("какой вейджер у бонуса?", "ru", "bonus_wagering"),
        ("хочу вернуть депозит, пополнил по ошибке", "ru", "refund_request"),
        ("по какому курсу конвертируется депозит в долларах?", "ru", "exchange_rate"),
        ("zdravstvuyte, vyvod visit uzhe 3 dnya", "ru", "withdrawal_pending"),
        ("ne prishli dengi na balans posle popolneniya", "ru", "deposit_not_credited"),
    ],
)
def test_clear_messages_are_classified(text: str, language: str, category: str) -> None:
    result = triage_message(text, now=NOW)
    assert (result.language, result.category) == (language, category)
    assert 0.5 < result.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hello, where is my money", "en"),
        ("где мои деньги", "ru"),
        ("ne prishli dengi", "ru"),
        ("pochemu vyvod otklonen?", "ru"),
        ("мой deposit не пришёл", "ru"),  # mixed script, Russian grammar
        ("my депозит is missing", "en"),  # mixed script, English grammar
        ("12345 !!! ???", "en"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert triage_message(text, now=NOW).language == language


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("I will go to the police and my lawyer if I don't get my money", "urgent"),
        ("the deposit went through on my bank statement but it's not in my account", "high"),
        ("URGENT my withdrawal is still pending", "high"),
        ("what's the minimum withdrawal?", "low"),
        ("how do I verify my identity", "normal"),
    ],
)
def test_priority_hint(text: str, priority: str) -> None:
    assert triage_message(text, now=NOW).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\x00\x01\x02\xff",
        "\ud800 broken surrogate",
        "💸💸💸",
        "ё" * 300,
        "$" * 50,
        "1" * 500,
        "中文消息",
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    result = triage_message(text, now=NOW)
    assert result.category in CATEGORIES
    assert result.language in {"en", "ru"}
    assert 0.0 <= result.confidence <= 1.0


def test_empty_message_says_so() -> None:
    result = triage_message("", now=NOW)
    assert result.note == "empty message"
    assert result.entities.as_dict() == dict.fromkeys(
        ("amount_minor", "currency", "reference", "card_last4", "method", "date")
    )


def test_huge_message_is_capped_with_a_note() -> None:
    text = "my deposit of $50 is pending " + "x" * (MAX_CHARS * 3) + " 100 EUR DEP-X1-000001"
    result = triage_message(text, now=NOW)
    assert result.note == f"message truncated to its first {MAX_CHARS} of {len(text)} characters"
    assert result.entities.amount_minor == 5000
    assert result.entities.reference is None  # beyond the cap: not read


@given(st.text(max_size=300))
def test_any_text_gets_an_answer(text: str) -> None:
    result = triage_message(text, now=NOW)
    assert result.category in CATEGORIES
    assert set(result.as_dict()) == {"language", "category", "confidence", "entities"}
