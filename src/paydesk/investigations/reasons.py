"""Reason codes: what a PSP, the platform or an agent said about a decline or failure, in one vocabulary.

PSPs word the same thing differently (Stripe ``card_velocity_exceeded``, Adyen ``Withdrawal amount exceeded``, a
generic PSP ``limit_exceeded``). This module reads a timeline event (its payload, including a stored webhook body,
and its note) and returns one canonical reason code; the replies package turns that code into plain words in the
player's language. An unknown wording maps to ``unknown`` (and the raw text is kept for the agent), never to a
guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

UNKNOWN = "unknown"

# Raw wording (lower case) -> canonical code. Codes that are already canonical map to themselves implicitly.
_ALIASES: dict[str, str] = {
    "card_velocity_exceeded": "limit_exceeded",
    "withdrawal amount exceeded": "limit_exceeded",
    "withdrawal_count_limit_exceeded": "limit_exceeded",
    "not enough balance": "insufficient_funds",
    "refused": "generic_decline",
    "fraudulent": "suspected_fraud",
    "fraud": "suspected_fraud",
    "expired card": "expired_card",
    "cvc declined": "incorrect_cvc",
    "transaction not permitted": "transaction_not_allowed",
    "card_declined": "generic_decline",
    "declined": "generic_decline",
}

CANONICAL: frozenset[str] = frozenset(
    {
        # deposit declines
        "insufficient_funds",
        "do_not_honor",
        "limit_exceeded",
        "suspected_fraud",
        "expired_card",
        "incorrect_cvc",
        "transaction_not_allowed",
        "generic_decline",
        "account_blocked",
        # technical failures
        "acquirer_timeout",
        "issuer_unavailable",
        "3ds_server_unavailable",
        "psp_internal_error",
        # payout failures and bank returns
        "card_not_eligible_for_payout",
        "card_expired",
        "issuer_declined_payout",
        "invalid_account",
        "beneficiary_name_mismatch",
        "bank_rejected",
        "wallet_limit_reached",
        "wallet_closed",
        "invalid_address",
        "network_congestion_timeout",
        "recipient_bank_unavailable",
        "recipient_not_found",
        "account_closed",
        "account_frozen",
        # refund failures
        "original_charge_too_old",
    }
)

# Payload keys that carry a reason, most specific first (Stripe decline codes before generic messages).
_REASON_KEYS = (
    "decline_code",
    "failure_reason",
    "return_reason",
    "refusalReason",
    "reason",
    "error",
    "failure_code",
    "code",
)
_NOTE_RE = re.compile(r"^(?:rejected|declined|failed|returned)(?: by [a-z]+)?:\s*(?P<reason>[\w .-]+)$", re.IGNORECASE)


# Codes a PSP cannot tell apart in its wording (Adyen says "Refused" for both) and the player hears the same way.
_SAME_MEANING: dict[str, str] = {"do_not_honor": "generic_decline"}


def same_meaning(a: str, b: str) -> bool:
    return _SAME_MEANING.get(a, a) == _SAME_MEANING.get(b, b)


def canonical(raw: str) -> str:
    """The canonical code for a raw reason (``"card_declined: insufficient_funds"`` -> ``insufficient_funds``)."""
    text = raw.strip()
    if not text:
        return UNKNOWN
    candidates = [text, *(part.strip() for part in text.split(":"))]
    for candidate in candidates:
        low = candidate.lower()
        if low in CANONICAL:
            return low
        if low in _ALIASES:
            return _ALIASES[low]
    return UNKNOWN


def _walk(payload: Any) -> Iterator[str]:
    if isinstance(payload, dict):
        for key in _REASON_KEYS:
            value = payload.get(key)
            if isinstance(value, str) and value:
                yield value
        for value in payload.values():
            if isinstance(value, dict | list):
                yield from _walk(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from _walk(item)


def event_reason(payload: Any, note: str) -> tuple[str, str]:
    """(canonical code, raw text) for one timeline event; ``("unknown", "")`` when it says nothing."""
    raws = list(_walk(payload))
    match = _NOTE_RE.match(note.strip()) if note else None
    if note:
        raws.append(match.group("reason") if match else note)
    for raw in raws:
        code = canonical(raw)
        if code != UNKNOWN:
            return code, raw
    return UNKNOWN, raws[0] if raws else ""
