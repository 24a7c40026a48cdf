"""Stripe webhooks: ``Stripe-Signature`` verification and the mapping of Stripe events onto our state machines.

Stripe sends one event per request, identified by its ``evt_…`` id (our storage key). Which transaction an event is
about: the PaymentIntent id (our deposits' PSP reference; a charge names its intent), or the ``paydesk_reference``/
``reference`` we put in the object's metadata. Refunds (``re_…``) and disputes (``du_…``) are children of the
deposit their intent or charge belongs to. Payouts are our withdrawals.

Which status an event means is a table per object family below; an event type we do not map (``customer.*``,
``charge.updated``…) is stored and marked processed with no ledger change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paydesk.integrations.ports import MalformedEvent, PspUpdate, RawPspEvent
from paydesk.integrations.psp import signing
from paydesk.integrations.psp._json import integer, load_object, obj, text, unix_time

SIGNATURE_HEADER = "Stripe-Signature"

_REFERENCE_KEYS = ("paydesk_reference", "reference")
# Decline codes that mean "the issuer or Stripe's risk engine said no" (declined), as opposed to a processing error
# (failed): the difference tells the agent whether the player should try another card or simply retry.
_DECLINE_CODES = frozenset(
    {"card_declined", "insufficient_funds", "expired_card", "incorrect_cvc", "lost_card", "stolen_card", "fraudulent"}
)
_DECLINE_OUTCOMES = frozenset({"issuer_declined", "blocked"})

_PAYMENT_INTENT: Mapping[str, str | None] = {
    "created": None,
    "processing": "pending",
    "requires_action": "pending",
    "partially_funded": "pending",
    "amount_capturable_updated": "pending",
    "succeeded": "confirmed",
    "canceled": "cancelled",
}
_REFUND: Mapping[str, str] = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "cancelled",
}
# Dispute status → (stage, status). Stripe's "warning_*" statuses are inquiries (retrieval requests) that may
# never become a chargeback; a closed warning ended in the merchant's favour.
_DISPUTE: Mapping[str, tuple[str | None, str]] = {
    "warning_needs_response": ("inquiry", "needs_response"),
    "warning_under_review": ("inquiry", "under_review"),
    "warning_closed": ("inquiry", "won"),
    "needs_response": ("chargeback", "needs_response"),
    "under_review": ("chargeback", "under_review"),
    "won": (None, "won"),
    "prevented": (None, "won"),
    "lost": (None, "lost"),
}
_PAYOUT_BY_EVENT: Mapping[str, str | None] = {
    "created": "processing",
    "paid": "paid",
    "failed": "failed",
    # A payout Stripe cancels never left: for the player that is a failed cash-out with the funds back.
    "canceled": "failed",
    "reconciliation_completed": None,
}
_PAYOUT_BY_STATUS: Mapping[str, str] = {
    "pending": "processing",
    "in_transit": "processing",
    "paid": "paid",
    "failed": "failed",
    "canceled": "failed",
}


def verify_and_split(body: bytes, headers: Mapping[str, str], secret: str, now: float) -> list[RawPspEvent]:
    signing.verify_header(body, headers.get(SIGNATURE_HEADER), secret, now=now, header_name=SIGNATURE_HEADER)
    event = load_object(body, "Stripe event")
    event_id = text(event, "id", required=True)
    event_type = text(event, "type", required=True)
    if event.get("object") != "event":
        raise MalformedEvent(f"Stripe payload object is {event.get('object')!r}, expected 'event' (a v1 snapshot)")
    obj(obj(event, "data"), "object", where="event.data")
    return [RawPspEvent(key=event_id, event_type=event_type, body=body.decode())]


def _reference(data: dict[str, Any]) -> str | None:
    metadata = obj(data, "metadata", where="object")
    for key in _REFERENCE_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _currency(data: dict[str, Any]) -> str | None:
    return text(data, "currency", where="object").upper() or None


def _payment_intent(suffix: str, data: dict[str, Any], base: dict[str, Any]) -> list[PspUpdate]:
    status: str | None
    reason = ""
    if suffix == "payment_failed":
        error = obj(data, "last_payment_error", where="payment_intent")
        code = text(error, "code", where="last_payment_error")
        declined = text(error, "type", where="last_payment_error") == "card_error" or code in _DECLINE_CODES
        status = "declined" if declined else "failed"
        reason = ": ".join(
            part
            for part in (
                text(error, "decline_code", where="last_payment_error") or code,
                text(error, "message", where="last_payment_error"),
            )
            if part
        )
    elif suffix in _PAYMENT_INTENT:
        status = _PAYMENT_INTENT[suffix]
        reason = text(data, "cancellation_reason", where="payment_intent") if suffix == "canceled" else ""
    else:
        return []
    return [
        PspUpdate(
            kind="deposit",
            status=status,
            reference=_reference(data),
            psp_reference=text(data, "id", required=True, where="payment_intent"),
            amount_minor=integer(data, "amount", where="payment_intent"),
            currency=_currency(data),
            reason=reason,
            **base,
        )
    ]


def _charge(suffix: str, data: dict[str, Any], base: dict[str, Any]) -> list[PspUpdate]:
    charge_id = text(data, "id", required=True, where="charge")
    intent = text(data, "payment_intent", where="charge") or charge_id
    common: dict[str, Any] = {
        "kind": "deposit",
        "reference": _reference(data),
        "psp_reference": intent,
        "amount_minor": integer(data, "amount", where="charge"),
        "currency": _currency(data),
        **base,
    }
    if suffix == "refunded":
        refunds = obj(data, "refunds", where="charge").get("data")
        if isinstance(refunds, list) and refunds:
            return [_refund_update(item, base, parent_psp_reference=intent) for item in refunds]
        # Newer API versions don't embed the refunds: say what the totals mean for the deposit.
        amount = integer(data, "amount", where="charge") or 0
        refunded = integer(data, "amount_refunded", where="charge") or 0
        status = "refunded" if amount and refunded >= amount else "partially_refunded"
        return [PspUpdate(status=status, **common)]
    if suffix == "failed":
        code = text(data, "failure_code", where="charge")
        outcome = obj(data, "outcome", where="charge")
        declined = code in _DECLINE_CODES or text(outcome, "type", where="charge.outcome") in _DECLINE_OUTCOMES
        reason = ": ".join(part for part in (code, text(data, "failure_message", where="charge")) if part)
        return [PspUpdate(status="declined" if declined else "failed", reason=reason, **common)]
    table: Mapping[str, str] = {"pending": "pending", "captured": "confirmed", "expired": "expired"}
    if suffix == "succeeded":
        return [PspUpdate(status="confirmed" if data.get("captured", True) else "pending", **common)]
    if suffix in table:
        return [PspUpdate(status=table[suffix], **common)]
    return []


def _refund_update(data: Any, base: dict[str, Any], *, parent_psp_reference: str | None = None) -> PspUpdate:
    if not isinstance(data, dict):
        raise MalformedEvent("a Stripe refund must be an object")
    raw_status = text(data, "status", where="refund")
    if raw_status not in _REFUND:
        raise MalformedEvent(f"unknown Stripe refund status {raw_status!r}")
    parent = text(data, "payment_intent", where="refund") or text(data, "charge", where="refund")
    return PspUpdate(
        kind="refund",
        status=_REFUND[raw_status],
        reference=_reference(data),
        psp_reference=text(data, "id", required=True, where="refund"),
        parent_psp_reference=parent or parent_psp_reference,
        amount_minor=integer(data, "amount", where="refund"),
        currency=_currency(data),
        reason=text(data, "failure_reason", where="refund") or text(data, "reason", where="refund"),
        **{**base, "psp_status": f"refund.{raw_status}"},
    )


def _dispute(data: dict[str, Any], base: dict[str, Any]) -> list[PspUpdate]:
    raw_status = text(data, "status", required=True, where="dispute")
    if raw_status not in _DISPUTE:
        raise MalformedEvent(f"unknown Stripe dispute status {raw_status!r}")
    stage, status = _DISPUTE[raw_status]
    parent = text(data, "payment_intent", where="dispute") or text(data, "charge", where="dispute")
    return [
        PspUpdate(
            kind="chargeback",
            status=status,
            stage=stage,
            reference=_reference(data),
            psp_reference=text(data, "id", required=True, where="dispute"),
            parent_psp_reference=parent or None,
            amount_minor=integer(data, "amount", where="dispute"),
            currency=_currency(data),
            reason=text(data, "reason", where="dispute"),
            **{**base, "psp_status": f"dispute.{raw_status}"},
        )
    ]


def _payout(suffix: str, data: dict[str, Any], base: dict[str, Any]) -> list[PspUpdate]:
    if suffix == "updated":
        status: str | None = _PAYOUT_BY_STATUS.get(text(data, "status", where="payout"))
    elif suffix in _PAYOUT_BY_EVENT:
        status = _PAYOUT_BY_EVENT[suffix]
    else:
        return []
    reason = ": ".join(
        part
        for part in (text(data, "failure_code", where="payout"), text(data, "failure_message", where="payout"))
        if part
    )
    return [
        PspUpdate(
            kind="withdrawal",
            status=status,
            reference=_reference(data),
            psp_reference=text(data, "id", required=True, where="payout"),
            amount_minor=integer(data, "amount", where="payout"),
            currency=_currency(data),
            reason=reason or (f"payout {suffix}" if suffix in {"failed", "canceled"} else ""),
            **base,
        )
    ]


def map_event(body: str) -> list[PspUpdate]:
    """Stored Stripe event text → ledger updates (empty: the event type carries no ledger meaning)."""
    event = load_object(body, "Stripe event")
    event_type = text(event, "type", required=True)
    data = obj(obj(event, "data"), "object", where="event.data")
    base: dict[str, Any] = {
        "occurred_at": unix_time(event.get("created"), where="event.created"),
        "psp_status": event_type,
        "details": {"event_type": event_type, "object": data.get("object"), "livemode": event.get("livemode")},
    }
    family, _, suffix = event_type.rpartition(".")
    if family == "payment_intent":
        return _payment_intent(suffix, data, base)
    if family == "charge.dispute":
        return _dispute(data, base)
    if family in {"charge.refund", "refund"}:
        return [_refund_update(data, base)]
    if family == "charge":
        return _charge(suffix, data, base)
    if family == "payout":
        return _payout(suffix, data, base)
    return []
