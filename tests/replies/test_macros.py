from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from paydesk.core.errors import ValidationError
from paydesk.investigations.findings import Code, Finding, Severity, Team, escalate, reply
from paydesk.payments.enums import Kind
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction
from paydesk.replies.macros import LANGUAGES, PLACEHOLDERS, catalogue, load_catalogue, placeholders
from paydesk.replies.render import (
    RenderError,
    mask_reference,
    render_category,
    render_finding,
    render_macro,
    variables,
)
from paydesk.replies.tone import lint_reply
from paydesk.tickets.enums import Category

CATEGORIES = tuple(Category.values)
AT = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def _txn(
    *, kind: str = Kind.DEPOSIT, status: str = "credited", amount: int = 5000, currency: str = "USD"
) -> Transaction:
    """An unsaved transaction with a player and a card: rendering reads attributes only."""
    player = Player(external_id="PL-1", name="Anna Smith", language="en", created_at=AT)
    player.pk = 1
    method = PaymentMethod(player=player, type="card", brand="Visa", bin="424242", last4="4242", created_at=AT)
    return Transaction(
        reference="DEP-T-000001",
        kind=kind,
        status=status,
        amount_minor=amount,
        currency=currency,
        player=player,
        method=method,
        psp=Psp(code="stripe", name="Stripe", adapter="stripe"),
        created_at=AT,
        updated_at=AT,
        status_changed_at=AT,
    )


# Facts rich enough to fill every placeholder any macro uses.
FULL_FACTS = {
    "reason": "insufficient_funds",
    "documents": ["id_document", "proof_of_address"],
    "payout_reference": "PO7Q2K9X3M1Z8W4R",
    "duplicate_reference": "DEP-T-000002",
    "trace_after": "2026-11-23T15:30:00+00:00",
    "paid_at": "2026-11-21T10:00:00+00:00",
}


def _finding(code: Code, **facts: object) -> Finding:
    return Finding(code, Severity.INFO, "test", (), (reply(),), facts=dict(FULL_FACTS, **facts))


def test_every_finding_and_every_category_has_a_macro_in_both_languages() -> None:
    book = catalogue()
    assert sorted(book.findings) == sorted(code.value for code in Code)
    assert sorted(book.categories) == sorted(CATEGORIES)
    for macro in book.all_macros():
        assert sorted(macro.texts) == sorted(LANGUAGES), macro.name
        assert macro.texts["en"] != macro.texts["ru"], macro.name


def test_every_phrase_has_both_languages() -> None:
    phrases = catalogue().phrases
    for section in ("reasons", "documents", "method_types"):
        for key, entry in phrases[section].items():
            assert entry["en"].strip(), f"{section}.{key}"
            assert entry["ru"].strip(), f"{section}.{key}"
    for kind, statuses in phrases["statuses"].items():
        assert "default" in statuses, kind


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_finding_macro_renders_with_every_placeholder_filled(lang: str) -> None:
    book = catalogue()
    txn = _txn()
    for code, variants in book.findings.items():
        for macro in variants.values():
            finding = _finding(Code(code))
            text = render_macro(macro, variables(transaction=txn, lang=lang, finding=finding), lang=lang)
            assert "{" not in text, macro.name
            assert "}" not in text, macro.name
            assert "None" not in text, macro.name


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_shipped_macro_passes_the_tone_of_voice_linter(lang: str) -> None:
    book = catalogue()
    txn = _txn()
    rendered = []
    for code, variants in book.findings.items():
        for macro in variants.values():
            values = variables(transaction=txn, lang=lang, finding=_finding(Code(code)))
            rendered.append((macro.name, render_macro(macro, values, lang=lang)))
    for category in CATEGORIES:
        rendered.append((category, render_category(category, lang=lang, player=txn.player)))
    for name, text in rendered:
        findings = [f.as_dict() for f in lint_reply(text, lang=lang)]
        assert findings == [], (name, findings)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_and_status_sentence_passes_the_linter_inside_its_macro(lang: str) -> None:
    book = catalogue()
    declined = book.findings["deposit_declined"][""]
    for reason in book.phrases["reasons"]:
        values = variables(transaction=_txn(), lang=lang, finding=_finding(Code.DEPOSIT_DECLINED, reason=reason))
        text = render_macro(declined, values, lang=lang)
        assert [f.code for f in lint_reply(text, lang=lang)] == [], reason
    no_issue = book.findings["no_issue"][""]
    for kind, statuses in book.phrases["statuses"].items():
        for status in statuses:
            values = variables(transaction=_txn(kind=kind, status=status), lang=lang, finding=_finding(Code.NO_ISSUE))
            text = render_macro(no_issue, values, lang=lang)
            assert [f.code for f in lint_reply(text, lang=lang)] == [], (kind, status)


def test_money_is_formatted_per_locale() -> None:
    finding = _finding(Code.DEPOSIT_DECLINED, paid_at=None)
    en = render_finding(finding, transaction=_txn(amount=5000, currency="USD"), lang="en")
    ru = render_finding(finding, transaction=_txn(amount=150000, currency="RUB"), lang="ru")
    assert "deposit of $50.00 on November 20, 2026 (Visa •••• 4242)" in en
    assert "депозита на сумму 1\xa0500,00\xa0₽ от 20 ноября 2026\u202fг. (Visa •••• 4242)" in ru


def test_reply_has_greeting_reason_in_plain_words_and_sign_off() -> None:
    text = render_finding(_finding(Code.DEPOSIT_DECLINED, paid_at=None), transaction=_txn(), lang="en")
    assert text.startswith("Hi Anna,\n\n")
    assert "there weren't enough funds available" in text
    assert text.endswith("Kind regards,\nThe Support Team")
    ru = render_finding(_finding(Code.DEPOSIT_DECLINED), transaction=_txn(), lang="ru")
    assert ru.startswith("Здравствуйте, Anna!\n\n")
    assert "не хватало средств" in ru
    assert ru.endswith("С уважением,\nслужба поддержки")


def test_card_is_masked_and_the_bin_never_shown() -> None:
    text = render_finding(_finding(Code.DEPOSIT_DECLINED), transaction=_txn(), lang="en")
    assert "•••• 4242" in text
    assert "424242" not in text


def test_a_card_number_given_as_reference_is_masked_in_the_not_found_reply() -> None:
    finding = Finding(
        Code.TRANSACTION_NOT_FOUND, Severity.INFO, "x", (), (reply(),), {"reference": "4111 1111 1111 1111"}
    )
    text = render_finding(finding, transaction=None, lang="en")
    assert "matching •••• 1111 on your account" in text
    assert "4111" not in text
    assert text.startswith("Hello,\n\n")
    assert mask_reference("pi_3Nabc") == "pi_3Nabc"


def test_payout_reference_is_shown_in_full_and_the_variant_follows_the_action() -> None:
    txn = _txn(kind=Kind.WITHDRAWAL, status="paid")
    waiting = _finding(Code.PAID_NOT_RECEIVED)
    tracing = Finding(
        Code.PAID_NOT_RECEIVED, Severity.WARNING, "x", (), (escalate(Team.PAYMENTS), reply()), facts=FULL_FACTS
    )
    wait_text = render_finding(waiting, transaction=txn, lang="en")
    trace_text = render_finding(tracing, transaction=txn, lang="en")
    assert "PO7Q2K9X3M1Z8W4R" in wait_text
    assert "PO7Q2K9X3M1Z8W4R" in trace_text
    assert "we expect it to arrive by November 23, 2026" in wait_text
    assert "We've asked our payment partner to trace the transfer" in trace_text
    assert "on November 21, 2026" in trace_text


def test_a_missing_value_is_refused_naming_the_macro_and_the_variable() -> None:
    macro = catalogue().findings["paid_not_received"]["wait"]
    values = variables(transaction=_txn(kind=Kind.WITHDRAWAL, status="paid"), lang="en")
    with pytest.raises(RenderError) as exc:
        render_macro(macro, values, lang="en")
    assert exc.value.message == "macro paid_not_received.wait (en): no value for expected_date, payout_reference"


def test_an_unknown_language_or_category_is_refused() -> None:
    with pytest.raises(RenderError, match="reply language 'de' is not supported"):
        render_finding(_finding(Code.NO_ISSUE), transaction=_txn(), lang="de")
    with pytest.raises(RenderError, match="no macro for category 'lottery'"):
        render_category("lottery", lang="en")


def test_the_shipped_macros_use_only_known_placeholders() -> None:
    for macro in catalogue().all_macros():
        for text in macro.texts.values():
            assert placeholders(text) <= PLACEHOLDERS, macro.name


def test_a_macro_file_missing_a_language_or_using_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    source = Path(catalogue.__wrapped__.__globals__["MACRO_DIR"])  # type: ignore[attr-defined]
    for name in ("phrases.yaml", "categories.yaml"):
        (tmp_path / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "findings.yaml").write_text("no_issue:\n  en: 'Fine.'\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="macro no_issue: the ru text is missing or empty"):
        load_catalogue(tmp_path)
    (tmp_path / "findings.yaml").write_text("no_issue:\n  en: 'Your {balance}.'\n  ru: 'Ок.'\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"macro no_issue \(en\): unknown placeholder\(s\) balance"):
        load_catalogue(tmp_path)
