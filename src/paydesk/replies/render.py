"""Rendering a macro for one player: greeting, body with the transaction's details, sign-off, in EN or RU.

Money is formatted per locale through ``Money.format`` ("$50.00", "1 500,00 ₽"), dates per locale through Babel.
What the player sees is masked where it should be: a card as "Visa •••• 4242" (never a BIN), wallets and accounts
as already masked in the ledger, and a card number a player typed as a reference as "•••• 4242". Our transaction
reference and the payout reference are shown in full: the player and their bank need them. A macro whose
placeholder has no value is refused with the macro and variable named, so a reply never goes out with a hole.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from babel.dates import format_date

from paydesk.core.errors import ValidationError
from paydesk.core.money import Money
from paydesk.investigations.findings import ActionKind, Code, Finding
from paydesk.payments.enums import MethodType
from paydesk.payments.models import PaymentMethod, Player, Transaction
from paydesk.replies.macros import LANGUAGES, Catalogue, Macro, catalogue, placeholders

_KIND_NOUNS = {
    "en": {"deposit": "deposit", "withdrawal": "withdrawal", "refund": "refund", "chargeback": "payment"},
    "ru": {"deposit": "депозит", "withdrawal": "вывод", "refund": "возврат", "chargeback": "платёж"},
}
_CARD_NUMBER_RE = re.compile(r"^\s*(?:\d[ -]?){12,18}\d\s*$")


class RenderError(ValidationError):
    code = "render-error"


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise RenderError(f"reply language {lang!r} is not supported (en, ru)")
    return lang


def mask_reference(value: str) -> str:
    """A reference as it may be shown to the player: a card number is cut to its last four digits."""
    if _CARD_NUMBER_RE.match(value):
        digits = re.sub(r"\D", "", value)
        return f"•••• {digits[-4:]}"
    return value.strip()


def method_label(method: PaymentMethod | None, lang: str, book: Catalogue | None = None) -> str:
    phrases = (book or catalogue()).phrases
    if method is None:
        return "payment method" if lang == "en" else "способ оплаты"
    if method.type == MethodType.CARD:
        return f"{method.brand or phrases['method_types']['card'][lang]} •••• {method.last4}".strip()
    name = method.brand or phrases["method_types"].get(method.type, {}).get(lang, method.type)
    return f"{name} {method.masked_account}".strip()


def _date(value: datetime | str | None, lang: str) -> str | None:
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(when, format="long", locale=lang))


def first_name(player: Player | None) -> str:
    if player is None or not player.name.strip():
        return ""
    return player.name.split()[0]


def variables(
    *, transaction: Transaction | None, lang: str, finding: Finding | None = None, book: Catalogue | None = None
) -> dict[str, str]:
    """Every placeholder value available for this transaction and finding (absent ones are simply missing)."""
    lang = _lang(lang)
    book = book or catalogue()
    facts: dict[str, Any] = dict(finding.facts) if finding is not None else {}
    values: dict[str, str] = {}
    if transaction is not None:
        txn = transaction
        values.update(
            amount=Money(txn.amount_minor, txn.currency).format(lang),
            date=_date(txn.created_at, lang) or "",
            method=method_label(txn.method, lang, book),
            reference=txn.reference,
            kind_noun=_KIND_NOUNS[lang].get(txn.kind, _KIND_NOUNS[lang]["chargeback"]),
        )
        if txn.player_id is not None:
            values["first_name"] = first_name(txn.player)
    elif "reference" in facts:
        values["reference"] = mask_reference(str(facts["reference"]))
    reasons = book.phrases["reasons"]
    values["reason"] = reasons.get(str(facts.get("reason", "unknown")), reasons["unknown"])[lang]
    documents = book.phrases["documents"]
    if facts.get("documents"):
        values["documents"] = "; ".join(
            documents[d][lang] if d in documents else str(d).replace("_", " ") for d in facts["documents"]
        )
    for fact in ("payout_reference", "duplicate_reference"):
        if facts.get(fact):
            values[fact] = str(facts[fact])
    if facts.get("paid_at"):
        values["date"] = _date(facts["paid_at"], lang) or values.get("date", "")
    expected = facts.get("trace_after") or facts.get("expected_by") or facts.get("arrival_expected_by")
    if expected:
        values["expected_date"] = _date(expected, lang) or ""
    if transaction is not None:
        statuses = book.phrases["statuses"].get(transaction.kind, {})
        # A status sentence that needs a value this transaction lacks (a payout without a reference) falls back
        # to the kind's default sentence rather than leaving a hole.
        for key in (transaction.status, "default"):
            sentence = statuses.get(key)
            if sentence is not None and all(values.get(name) for name in placeholders(sentence[lang])):
                values["status_sentence"] = sentence[lang].format_map(values)
                break
    return values


def _fill(body: str, values: dict[str, str], *, where: str) -> str:
    missing = sorted(name for name in placeholders(body) if not values.get(name))
    if missing:
        raise RenderError(f"macro {where}: no value for {', '.join(missing)}")
    return body.format_map(values)


def _wrap(body: str, *, lang: str, name: str, book: Catalogue) -> str:
    greeting = book.phrases["greeting"]["named" if name else "anonymous"][lang].format(first_name=name)
    return f"{greeting}\n\n{body}\n\n{book.phrases['sign_off'][lang]}"


def choose_variant(finding: Finding, variants: dict[str, Macro]) -> Macro:
    if len(variants) == 1:
        return next(iter(variants.values()))
    if finding.code == Code.DUPLICATE_DEPOSIT:
        return variants["refunded" if finding.facts.get("already_refunded") else "refunding"]
    if finding.code == Code.PAID_NOT_RECEIVED:
        tracing = any(a.kind == ActionKind.ESCALATE for a in finding.actions)
        return variants["trace" if tracing else "wait"]
    raise RenderError(f"macro {finding.code}: no rule chooses among variants {', '.join(sorted(variants))}")


def render_macro(macro: Macro, values: dict[str, str], *, lang: str, book: Catalogue | None = None) -> str:
    book = book or catalogue()
    body = _fill(macro.texts[_lang(lang)], values, where=f"{macro.name} ({lang})")
    return _wrap(body, lang=lang, name=values.get("first_name", ""), book=book)


def render_finding(finding: Finding, *, transaction: Transaction | None, lang: str) -> str:
    """The suggested reply for ``finding`` about ``transaction`` (None for a reference that matched nothing)."""
    book = catalogue()
    variants = book.findings.get(finding.code.value)
    if not variants:
        raise RenderError(f"no macro for finding {finding.code}")
    macro = choose_variant(finding, variants)
    values = variables(transaction=transaction, lang=lang, finding=finding, book=book)
    return render_macro(macro, values, lang=lang, book=book)


def render_category(category: str, *, lang: str, player: Player | None = None) -> str:
    """The first reply for an inquiry category when no transaction has been diagnosed yet."""
    book = catalogue()
    macro = book.categories.get(category)
    if macro is None:
        raise RenderError(f"no macro for category {category!r}")
    return render_macro(macro, {"first_name": first_name(player)}, lang=lang, book=book)
