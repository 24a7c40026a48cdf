"""Live demo traffic as real webhooks: the simulated PSPs sign their steps and POST them to the running server.

A deliverer for ``live_tick``: a PSP step becomes the event its PSP would send — a Stripe event with a
``Stripe-Signature``, an Adyen notification batch with an item HMAC, or a generic event with ``Paydesk-Signature`` —
and goes through ``POST /api/v1/webhooks/psp/{psp}`` like any real delivery (verify, store, process). Event ids are
the steps' own keys, so a step sent twice is a duplicate the desk ignores. A step a PSP reveals only when asked
(source ``psp_poll``) is not sent: the stuck-transaction sweeper finds it through ``SimulatedPspStatusClient``.
Steps no webhook carries (platform credits, agent actions, refunds and disputes) keep the service path, and so does
any step the server does not accept (it is logged), so the demo carries on whatever happens to the HTTP side.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from typing import Any

import httpx
from django.conf import settings

from paydesk.core.money import format_minor
from paydesk.integrations.psp import adyen, signing
from paydesk.payments.enums import EventSource, Kind
from paydesk.payments.models import Transaction
from paydesk.simulate.live import Deliver, PspStep, deliver_via_service

logger = logging.getLogger(__name__)

URL_ENV = "PAYDESK_DEMO_WEBHOOK_URL"
STATUS_CLIENT = "paydesk.simulate.psp_status.SimulatedPspStatusClient"

_STRIPE_DEPOSIT = {
    "pending": "payment_intent.processing",
    "confirmed": "payment_intent.succeeded",
    "declined": "payment_intent.payment_failed",
    "failed": "payment_intent.payment_failed",
    "cancelled": "payment_intent.canceled",
    "expired": "charge.expired",
}
_STRIPE_PAYOUT = {"processing": "payout.created", "paid": "payout.paid", "failed": "payout.failed"}
_ADYEN = {
    ("deposit", "pending"): ("AUTHORISATION", "true"),
    ("deposit", "declined"): ("AUTHORISATION", "false"),
    ("deposit", "confirmed"): ("CAPTURE", "true"),
    ("deposit", "failed"): ("CAPTURE_FAILED", "true"),
    ("deposit", "cancelled"): ("CANCELLATION", "true"),
    ("withdrawal", "paid"): ("PAYOUT_THIRDPARTY", "true"),
    ("withdrawal", "failed"): ("PAYOUT_THIRDPARTY", "false"),
}


def enable_demo_webhooks(*, host: str, port: int) -> None:
    """Point the live traffic at this server and give every adapter a secret (a fresh one unless configured).

    Called by the demo before it serves; the values go to the environment too, so worker processes agree.
    """
    generated = {
        "PAYDESK_STRIPE_WEBHOOK_SECRET": "whsec_demo_" + secrets.token_hex(16),
        "PAYDESK_ADYEN_HMAC_KEY": secrets.token_hex(32).upper(),
        "PAYDESK_GENERIC_WEBHOOK_SECRET": "pdg_demo_" + secrets.token_hex(16),
        "PAYDESK_PSP_STATUS_CLIENT": STATUS_CLIENT,
    }
    for name, value in generated.items():
        current = str(getattr(settings, name, "") or "")
        chosen = current or value
        setattr(settings, name, chosen)
        os.environ[name] = chosen
    os.environ[URL_ENV] = f"http://{'127.0.0.1' if host in {'0.0.0.0', '::'} else host}:{port}"  # noqa: S104


_deliverers: dict[str, WebhookDeliverer] = {}


def webhook_deliverer() -> Deliver | None:
    """The deliverer for this process: webhooks when the demo enabled them, else None (use the service path)."""
    base = os.environ.get(URL_ENV, "")
    if not base:
        return None
    if base not in _deliverers:
        _deliverers[base] = WebhookDeliverer(base)
    return _deliverers[base]


class WebhookDeliverer:
    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=10.0)

    def __call__(self, step: PspStep) -> bool:
        if step.source == EventSource.PSP_POLL:
            return True
        if step.source != EventSource.PSP_WEBHOOK or step.kind not in {Kind.DEPOSIT, Kind.WITHDRAWAL} or not step.psp:
            return deliver_via_service(step)
        txn = Transaction.objects.select_related("psp").filter(reference=step.reference).first()
        request = build_request(step, txn) if txn is not None else None
        if request is None:
            return deliver_via_service(step)
        path, body, headers = request
        try:
            response = self.client.post(self.base_url + path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("demo webhook %s for %s not delivered (%s); applying it directly", path, step.reference, exc)
            return deliver_via_service(step)
        if response.status_code != 200:
            logger.warning(
                "demo webhook %s for %s answered %s: %s; applying it directly",
                path,
                step.reference,
                response.status_code,
                response.text[:200],
            )
            return deliver_via_service(step)
        return True


def build_request(step: PspStep, txn: Transaction) -> tuple[str, bytes, dict[str, str]] | None:
    """The signed HTTP request the step's PSP would send, or None when its adapter has no event for the step."""
    if txn.psp is None:
        return None
    adapter = txn.psp.adapter
    if adapter == "stripe":
        event = _stripe(step, txn)
        secret, header = str(settings.PAYDESK_STRIPE_WEBHOOK_SECRET or ""), "Stripe-Signature"
    elif adapter == "adyen":
        event = _adyen(step, txn)
        secret, header = str(settings.PAYDESK_ADYEN_HMAC_KEY or ""), ""
    else:
        event = _generic(step, txn)
        secret, header = str(settings.PAYDESK_GENERIC_WEBHOOK_SECRET or ""), "Paydesk-Signature"
    if event is None or not secret:
        return None
    if adapter == "adyen":
        item = event["notificationItems"][0]["NotificationRequestItem"]
        item["additionalData"] = {"hmacSignature": adyen.compute_signature(item, secret)}
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    if header:
        headers[header] = signing.sign_header(body, secret, int(time.time()))
    return f"/api/v1/webhooks/psp/{txn.psp.code}", body, headers


def _stripe(step: PspStep, txn: Transaction) -> dict[str, Any] | None:
    table = _STRIPE_DEPOSIT if step.kind == Kind.DEPOSIT else _STRIPE_PAYOUT
    event_type = table.get(step.to_status)
    if event_type is None:
        return None
    prefix = "pi" if step.kind == Kind.DEPOSIT else "po"
    obj: dict[str, Any] = {
        "id": txn.psp_reference or f"{prefix}_{txn.reference}",
        "object": "payment_intent" if step.kind == Kind.DEPOSIT else "payout",
        "amount": txn.amount_minor,
        "currency": txn.currency.lower(),
        "metadata": {"paydesk_reference": txn.reference},
    }
    if event_type == "payment_intent.payment_failed":
        declined = step.to_status == "declined"
        obj["last_payment_error"] = {
            "type": "card_error" if declined else "api_error",
            "code": "card_declined" if declined else "processing_error",
            "message": step.note or step.psp_status,
        }
    if event_type == "charge.expired":
        obj = {**obj, "id": f"ch_{txn.reference}", "object": "charge", "payment_intent": obj["id"]}
    if step.kind == Kind.WITHDRAWAL and step.to_status == "failed":
        obj["failure_code"] = step.psp_status or "could_not_process"
        obj["failure_message"] = step.note
    return {
        "id": step.idempotency_key,
        "object": "event",
        "type": event_type,
        "created": int(step.at.timestamp()),
        "livemode": False,
        "data": {"object": obj},
    }


def _adyen(step: PspStep, txn: Transaction) -> dict[str, Any] | None:
    code = _ADYEN.get((step.kind, step.to_status))
    if code is None:
        return None
    event_code, success = code
    modification = event_code not in {"AUTHORISATION", "PAYOUT_THIRDPARTY"}
    item = {
        "pspReference": step.idempotency_key,
        "originalReference": (txn.psp_reference or "") if modification else "",
        "merchantAccountCode": "PaydeskDemo",
        "merchantReference": txn.reference,
        "amount": {"value": txn.amount_minor, "currency": txn.currency},
        "eventCode": event_code,
        "eventDate": step.at.isoformat(),
        "success": success,
        "reason": step.note,
    }
    return {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}


def _generic(step: PspStep, txn: Transaction) -> dict[str, Any]:
    return {
        "id": step.idempotency_key,
        "type": step.kind,
        "reference": txn.reference,
        "psp_reference": txn.psp_reference,
        "status": step.to_status,
        "amount": format_minor(txn.amount_minor, txn.currency),
        "currency": txn.currency,
        "occurred_at": step.at.isoformat(),
        "reason": step.note[:1000],
        "psp_status": step.psp_status[:64],
    }
