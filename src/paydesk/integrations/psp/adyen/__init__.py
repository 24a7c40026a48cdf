"""Adyen standard notifications: per-item HMAC verification and the mapping of event codes onto our machines.

A request is a batch of ``NotificationRequestItem``s. Each item carries its own signature in
``additionalData.hmacSignature``: base64 HMAC-SHA256, keyed with the hex HMAC key, over the colon-joined
pspReference, originalReference, merchantAccountCode, merchantReference, amount value, amount currency, eventCode
and success (a missing field is an empty string; no escaping, so a ``:`` inside a merchant reference is signed as
is). The whole batch is refused if any item fails, and nothing of it is stored.

An item's identity (our storage key) is pspReference + eventCode + success + originalReference. The meaning of an
item is keyed on (eventCode, success) in ``EVENTS``; a pair not in the table (REPORT_AVAILABLE, …) is stored and
marked processed with no ledger change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paydesk.integrations.ports import MalformedEvent, PspUpdate, RawPspEvent, SignatureError
from paydesk.integrations.psp._json import integer, iso_time, load_object, obj, text

SIGNATURE_FIELD = "additionalData.hmacSignature"


@dataclass(frozen=True, slots=True)
class _Meaning:
    kind: str
    status: str
    # payment: the item is about the payment itself (AUTHORISATION: pspReference is the payment; a modification
    # such as CAPTURE names the payment in originalReference); child: a refund/chargeback under the payment in
    # originalReference; payout: a withdrawal.
    role: str
    stage: str | None = None


EVENTS: Mapping[tuple[str, bool], _Meaning] = {
    # Authorised is not captured: with manual capture a CAPTURE follows; with auto-capture the sweeper's poll (or
    # the platform's credit) moves the deposit on.
    ("AUTHORISATION", True): _Meaning("deposit", "pending", "payment"),
    ("AUTHORISATION", False): _Meaning("deposit", "declined", "payment"),
    ("CAPTURE", True): _Meaning("deposit", "confirmed", "payment"),
    ("CAPTURE", False): _Meaning("deposit", "failed", "payment"),
    ("CAPTURE_FAILED", True): _Meaning("deposit", "failed", "payment"),
    ("CANCELLATION", True): _Meaning("deposit", "cancelled", "payment"),
    ("REFUND", True): _Meaning("refund", "succeeded", "child"),
    ("REFUND", False): _Meaning("refund", "failed", "child"),
    ("REFUND_FAILED", True): _Meaning("refund", "failed", "child"),
    ("REFUNDED_REVERSED", True): _Meaning("refund", "reversed", "child"),
    ("NOTIFICATION_OF_CHARGEBACK", True): _Meaning("chargeback", "needs_response", "child", "inquiry"),
    ("CHARGEBACK", True): _Meaning("chargeback", "needs_response", "child", "chargeback"),
    ("CHARGEBACK_REVERSED", True): _Meaning("chargeback", "won", "child"),
    ("SECOND_CHARGEBACK", True): _Meaning("chargeback", "needs_response", "child", "second_chargeback"),
    ("PAYOUT_THIRDPARTY", True): _Meaning("withdrawal", "paid", "payout"),
    ("PAYOUT_THIRDPARTY", False): _Meaning("withdrawal", "failed", "payout"),
    ("PAYOUT_DECLINE", True): _Meaning("withdrawal", "failed", "payout"),
    ("PAYOUT_EXPIRE", True): _Meaning("withdrawal", "failed", "payout"),
}

_SIGNED_FIELDS = ("pspReference", "originalReference", "merchantAccountCode", "merchantReference")


def check_key(hex_key: str) -> str | None:
    try:
        key = binascii.a2b_hex(hex_key.strip())
    except (binascii.Error, ValueError):
        return "PAYDESK_ADYEN_HMAC_KEY is not a hex string"
    return None if key else "PAYDESK_ADYEN_HMAC_KEY is empty"


def signing_string(item: Mapping[str, Any]) -> str:
    raw_amount = item.get("amount")
    amount: Mapping[str, Any] = raw_amount if isinstance(raw_amount, dict) else {}
    parts = [item.get(name) for name in _SIGNED_FIELDS]
    parts += [amount.get("value"), amount.get("currency"), item.get("eventCode"), item.get("success")]
    return ":".join("" if part is None else str(part) for part in parts)


def compute_signature(item: Mapping[str, Any], hex_key: str) -> str:
    digest = hmac.new(binascii.a2b_hex(hex_key.strip()), signing_string(item).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _success(item: Mapping[str, Any]) -> bool:
    value = item.get("success")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _items(body: bytes) -> list[dict[str, Any]]:
    data = load_object(body, "Adyen notification")
    entries = data.get("notificationItems")
    if not isinstance(entries, list) or not entries:
        raise MalformedEvent("Adyen notification has no notificationItems")
    items: list[dict[str, Any]] = []
    for number, entry in enumerate(entries, start=1):
        item = entry.get("NotificationRequestItem") if isinstance(entry, dict) else None
        if not isinstance(item, dict):
            raise MalformedEvent(f"Adyen notificationItems[{number}] has no NotificationRequestItem object")
        for name in ("pspReference", "eventCode"):
            text(item, name, required=True, where=f"Adyen item {number}")
        items.append(item)
    return items


def verify_and_split(body: bytes, headers: Mapping[str, str], secret: str, now: float) -> list[RawPspEvent]:
    items = _items(body)
    for number, item in enumerate(items, start=1):
        additional = item.get("additionalData")
        given = additional.get("hmacSignature") if isinstance(additional, dict) else None
        if not isinstance(given, str) or not given:
            raise SignatureError(f"Adyen item {number} has no {SIGNATURE_FIELD}")
        if not hmac.compare_digest(compute_signature(item, secret), given):
            raise SignatureError(f"Adyen item {number} HMAC does not match (wrong key or altered item)")
    events = []
    for item in items:
        success = "true" if _success(item) else "false"
        key = ":".join((str(item["pspReference"]), str(item["eventCode"]), success, text(item, "originalReference")))
        events.append(
            RawPspEvent(key=key, event_type=str(item["eventCode"]), body=json.dumps(item, ensure_ascii=False))
        )
    return events


def map_event(body: str) -> list[PspUpdate]:
    """One stored NotificationRequestItem → ledger updates."""
    item = load_object(body, "Adyen notification item")
    code = text(item, "eventCode", required=True, where="Adyen item")
    success = _success(item)
    meaning = EVENTS.get((code, success))
    if meaning is None:
        return []
    amount = obj(item, "amount", where="Adyen item")
    psp_reference = text(item, "pspReference", required=True, where="Adyen item")
    original = text(item, "originalReference", where="Adyen item") or None
    merchant_reference = text(item, "merchantReference", where="Adyen item") or None
    common: dict[str, Any] = {
        "kind": meaning.kind,
        "status": meaning.status,
        "stage": meaning.stage,
        "psp_status": f"{code}:{'true' if success else 'false'}",
        "occurred_at": iso_time(text(item, "eventDate", where="Adyen item"), where="Adyen eventDate"),
        "amount_minor": integer(amount, "value", where="Adyen amount"),
        "currency": text(amount, "currency", where="Adyen amount").upper() or None,
        "reason": text(item, "reason", where="Adyen item"),
        "details": {
            "event_code": code,
            "merchant_reference": merchant_reference,
            "payment_method": text(item, "paymentMethod", where="Adyen item"),
        },
    }
    if meaning.role == "payment":
        # A modification (CAPTURE, CANCELLATION…) has its own pspReference and names the payment in originalReference.
        return [PspUpdate(reference=merchant_reference, psp_reference=original or psp_reference, **common)]
    if meaning.role == "payout":
        return [PspUpdate(reference=merchant_reference, psp_reference=psp_reference, **common)]
    # Child events: a chargeback's merchantReference is the payment's; a refund's is the refund request's own.
    if meaning.kind == "chargeback":
        return [
            PspUpdate(
                psp_reference=psp_reference,
                parent_psp_reference=original,
                parent_reference=merchant_reference,
                **common,
            )
        ]
    return [
        PspUpdate(
            reference=merchant_reference,
            psp_reference=psp_reference,
            parent_psp_reference=original,
            **common,
        )
    ]
