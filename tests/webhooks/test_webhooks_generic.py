"""The generic adapter: our own event schema, Stripe-style ``Paydesk-Signature``, documented in OpenAPI."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from django.test import Client

from paydesk.integrations.psp import signing
from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import Transaction, WebhookEvent
from paydesk.payments.webhooks import webhook_event_process
from tests.webhooks.conftest import GENERIC_SECRET, MakeTxn, Send, problem, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]


def generic(**fields: Any) -> str:
    base = {"id": "ev-1", "type": "deposit", "status": "confirmed", "occurred_at": "2026-05-01T12:30:00Z"}
    return json.dumps({**base, **fields})


def signed(body: str, *, secret: str = GENERIC_SECRET, timestamp: int | None = None) -> dict[str, str]:
    # Same scheme as Stripe's: the stripe library's signer produces a valid Paydesk-Signature.
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return {"Paydesk-Signature": header}


def test_signed_event_confirms_the_deposit(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("SBP-1", psp="qiwi-like", psp_reference="w-77", currency="RUB", amount_minor=150000)
    body = generic(psp_reference="w-77", amount="1500.00", currency="RUB", psp_status="PAID")

    response = send("qiwi-like", body, signed(body))

    assert (response.status_code, json.loads(response.content)) == (200, {"received": True})
    deposit.refresh_from_db()
    assert (deposit.status, deposit.psp_status) == ("confirmed", "PAID")
    assert WebhookEvent.objects.get().event_type == "deposit.confirmed"


def test_our_signer_matches_stripes() -> None:
    body = generic()
    assert signing.sign_header(body.encode(), GENERIC_SECRET, 1700000000) == (
        stripe.WebhookSignature.generate_signature_header(body, GENERIC_SECRET, timestamp=1700000000)
    )


def test_refund_with_a_parent_reference_creates_the_child(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("SBP-2", psp="qiwi-like", currency="RUB", amount_minor=150000, status="credited")
    body = generic(
        id="ev-r",
        type="refund",
        status="succeeded",
        psp_reference="rf-9",
        parent_reference="SBP-2",
        amount="500.00",
        currency="RUB",
    )

    assert send("qiwi-like", body, signed(body)).status_code == 200

    refund = Transaction.objects.get(kind="refund")
    assert (refund.reference, refund.amount_minor, refund.status) == ("RF-rf-9", 50000, "succeeded")
    deposit.refresh_from_db()
    assert deposit.status == "partially_refunded"


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"reference": "X", "status": "paid"}, "status 'paid' is not a deposit status"),
        ({"reference": None}, "give reference and/or psp_reference"),
        ({"reference": "X", "amount": "10.005", "currency": "EUR"}, "more decimal places than EUR allows"),
        ({"reference": "X", "amount": "10.00"}, "amount and currency go together"),
        ({"reference": "X", "type": "bonus"}, "type: Input should be"),
    ],
)
def test_invalid_events_are_400_and_store_nothing(fields: dict[str, Any], detail: str, send: Send) -> None:
    body = generic(**fields)
    before = snapshot()

    response = send("generic", body, signed(body))

    assert response.status_code == 400
    assert detail in problem(response)["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing Paydesk-Signature header"),
        ({"secret": "other"}, "does not match the body"),
        ({"timestamp": -301}, "outside the 300 s tolerance"),
    ],
)
def test_bad_signatures_are_401(headers: dict[str, Any], detail: str, send: Send) -> None:
    body = generic(reference="X")
    if not headers:
        sent: dict[str, str] = {}
    else:
        stamp = int(time.time()) + headers.get("timestamp", 0)
        sent = signed(body, secret=headers.get("secret", GENERIC_SECRET), timestamp=stamp)
    before = snapshot()

    response = send("generic", body, sent)

    assert response.status_code == 401
    assert detail in problem(response)["detail"]
    assert snapshot() == before


def test_openapi_documents_the_generic_schema_and_no_token_auth(client: Client) -> None:
    spec = json.loads(client.get("/api/v1/openapi.json").content)
    operation = spec["paths"]["/api/v1/webhooks/psp/{psp}"]["post"]
    schemas = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert set(schemas[1]["properties"]) == {
        "id",
        "type",
        "reference",
        "psp_reference",
        "parent_reference",
        "parent_psp_reference",
        "status",
        "stage",
        "amount",
        "currency",
        "occurred_at",
        "reason",
        "psp_status",
    }
    assert "Paydesk-Signature" in operation["requestBody"]["description"]
    assert "security" not in operation
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "413", "503"}


def test_processing_twice_applies_nothing_twice(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("SBP-3", psp="qiwi-like", psp_reference="w-78")
    body = generic(id="ev-3", psp_reference="w-78")
    send("qiwi-like", body, signed(body))
    stored = WebhookEvent.objects.get()
    before = snapshot()

    again = webhook_event_process(event_id=stored.pk)

    assert (again.status, again.attempts) == (WebhookEventStatus.PROCESSED, 1)
    assert snapshot() == before
    deposit.refresh_from_db()
    assert deposit.status == "confirmed"


def test_a_crash_while_processing_keeps_the_event_and_the_retry_applies_it(
    send: Send, make_txn: MakeTxn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paydesk.payments import webhooks
    from paydesk.payments.tasks import webhook_events_retry

    make_txn("SBP-4", psp="qiwi-like", psp_reference="w-79")
    body = generic(id="ev-4", psp_reference="w-79")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    with monkeypatch.context() as patched:
        patched.setattr(webhooks, "_apply", crash)
        response = send("qiwi-like", body, signed(body))

    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.error) == (WebhookEventStatus.FAILED, "RuntimeError: database went away")
    assert Transaction.objects.get(reference="SBP-4").status == "initiated"

    assert webhook_events_retry() == 1

    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.error) == (WebhookEventStatus.PROCESSED, 1, "")
    assert Transaction.objects.get(reference="SBP-4").status == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_background_mode_answers_first_and_a_worker_thread_applies(
    client: Client, make_txn: MakeTxn, settings: Any
) -> None:
    settings.PAYDESK_WEBHOOK_PROCESSING = "background"
    deposit = make_txn("SBP-5", psp="qiwi-like", psp_reference="w-80")
    body = generic(id="ev-5", psp_reference="w-80")

    response = client.post(
        "/api/v1/webhooks/psp/qiwi-like", data=body, content_type="application/json", headers=signed(body)
    )

    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    for _ in range(200):  # the worker thread commits on its own connection; wait for it, never for a fixed time
        stored.refresh_from_db()
        if stored.status != WebhookEventStatus.RECEIVED:
            break
        time.sleep(0.05)
    assert stored.status == WebhookEventStatus.PROCESSED
    deposit.refresh_from_db()
    assert deposit.status == "confirmed"


def test_orphans_are_listed_for_the_desk_and_the_listing_needs_a_token(send: Send, client: Client) -> None:
    from django.contrib.auth.models import Group, User

    from paydesk.core.roles import ensure_role_groups
    from paydesk.core.tokens import api_token_issue

    body = generic(id="ev-o", reference="NOT-YET")
    send("generic", body, signed(body))
    ensure_role_groups()
    agent = User.objects.create_user(username="agent-1")
    agent.groups.add(Group.objects.get(name="agent"))
    token = api_token_issue(user=agent, name="t")

    listed = client.get("/api/v1/webhooks/events?status=orphan", headers={"Authorization": f"Bearer {token}"})
    anonymous = client.get("/api/v1/webhooks/events")
    bad = client.get("/api/v1/webhooks/events?status=lost", headers={"Authorization": f"Bearer {token}"})

    assert listed.status_code == 200
    assert [(e["event_key"], e["status"], e["waiting_for_reference"]) for e in json.loads(listed.content)] == [
        ("ev-o", "orphan", "NOT-YET")
    ]
    assert (anonymous.status_code, bad.status_code) == (401, 422)


def test_a_deactivated_psp_stops_accepting_at_once(send: Send, psps: dict[str, Any]) -> None:
    body = generic(psp_reference="w-1")
    assert send("qiwi-like", body, signed(body)).status_code == 200
    psps["qiwi-like"].is_active = False
    psps["qiwi-like"].save()  # clears the adapter cache of this process

    again = generic(id="ev-2", psp_reference="w-1")
    response = send("qiwi-like", again, signed(again))

    assert response.status_code == 404
    assert list(WebhookEvent.objects.values_list("event_key", "psp__code")) == [("ev-1", "qiwi-like")]


def test_another_process_change_is_seen_within_the_cache_ttl(
    send: Send, psps: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from paydesk.payments import webhooks

    body = generic(psp_reference="w-1")
    assert send("qiwi-like", body, signed(body)).status_code == 200
    # A change made by another process: no signal reaches this one.
    type(psps["qiwi-like"]).objects.filter(code="qiwi-like").update(is_active=False)
    cached = generic(id="ev-2", psp_reference="w-1")
    within_ttl = send("qiwi-like", cached, signed(cached))
    monkeypatch.setattr(webhooks, "ADAPTER_CACHE_SECONDS", 0.0)
    expired = generic(id="ev-3", psp_reference="w-1")
    after_ttl = send("qiwi-like", expired, signed(expired))

    assert (within_ttl.status_code, after_ttl.status_code) == (200, 404)
    # The event taken within the TTL is kept, without a PSP: the insert looks the active PSP up itself.
    assert list(WebhookEvent.objects.order_by("id").values_list("event_key", "psp__code")) == [
        ("ev-1", "qiwi-like"),
        ("ev-2", None),
    ]
