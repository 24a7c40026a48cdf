"""Stripe webhooks: signatures made with the official ``stripe`` library, real event payloads replayed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import stripe

from paydesk.integrations.ports import SignatureError
from paydesk.integrations.psp import signing
from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import Transaction, TransactionEvent, WebhookEvent
from tests.webhooks.conftest import STRIPE_SECRET, MakeTxn, Send, problem, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]


def signed(body: str, *, secret: str = STRIPE_SECRET, timestamp: int | None = None) -> dict[str, str]:
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)}


def payload(shared_data: Path, name: str) -> str:
    return (shared_data / "payloads" / name).read_text()


def event(event_id: str, event_type: str, obj: dict[str, Any], created: int = 1779783019) -> str:
    return json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "created": created, "data": {"object": obj}}
    )


def test_signature_vectors_match_our_scheme_and_stripes(shared_data: Path) -> None:
    vectors = json.loads(payload(shared_data, "stripe_webhook_signature_vectors.json"))
    for vector in vectors["valid_vectors"]:
        body = vectors["payload"].encode()
        assert signing.compute(body, vectors["secret"], vector["timestamp"]) == vector["expected_v1_signature_hex"]
        header = vector["stripe_signature_header"]
        assert stripe.WebhookSignature.verify_header(vectors["payload"], header, vectors["secret"], tolerance=None)
        signing.verify_header(body, header, vectors["secret"], now=vector["timestamp"], header_name="Stripe-Signature")
        with pytest.raises(SignatureError, match="outside the 300 s tolerance"):
            signing.verify_header(
                body, header, vectors["secret"], now=vector["timestamp"] + 301, header_name="Stripe-Signature"
            )


def test_stripe_library_accepts_what_we_sign_and_one_good_v1_among_several_is_enough() -> None:
    body = event("evt_1", "payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    now = int(time.time())
    ours = signing.sign_header(body.encode(), STRIPE_SECRET, now)
    assert stripe.Webhook.construct_event(body, ours, STRIPE_SECRET).id == "evt_1"
    signing.verify_header(body.encode(), ours + ",v1=deadbeef", STRIPE_SECRET, now=now, header_name="Stripe-Signature")


def test_dispute_created_replay_opens_a_chargeback_under_the_deposit(
    send: Send, make_txn: MakeTxn, shared_data: Path
) -> None:
    deposit = make_txn("DEP-1", psp_reference="pi_3TbG44JEe0yY0QKr0OnHpigY", status="credited")
    body = payload(shared_data, "stripe_event_charge_dispute_created.json")

    response = send("stripe", body, signed(body))

    assert response.status_code == 200
    assert json.loads(response.content) == {"received": True}
    stored = WebhookEvent.objects.get()
    assert (stored.event_key, stored.event_type, stored.status) == (
        "evt_1TbG48JEe0yY0QKrrgcor0DZ",
        "charge.dispute.created",
        WebhookEventStatus.PROCESSED,
    )
    assert stored.body == body
    chargeback = Transaction.objects.get(kind="chargeback")
    assert (chargeback.reference, chargeback.parent_id, chargeback.status, chargeback.dispute_stage) == (
        "CB-du_1TbG46JEe0yY0QKr8P0G3pa3",
        deposit.pk,
        "needs_response",
        "chargeback",
    )
    assert (chargeback.amount_minor, chargeback.currency, chargeback.psp_status) == (
        2200,
        "USD",
        "dispute.needs_response",
    )
    deposit.refresh_from_db()
    assert deposit.status == "charged_back"
    last = deposit.events.order_by("-id").first()
    assert last is not None
    assert (last.source, last.from_status, last.to_status, last.applied) == (
        "psp_webhook",
        "credited",
        "charged_back",
        True,
    )
    assert last.payload["event"]["id"] == "evt_1TbG48JEe0yY0QKrrgcor0DZ"
    assert stored.transaction_id == chargeback.pk


def test_charge_failed_replay_declines_the_pending_deposit(send: Send, make_txn: MakeTxn, shared_data: Path) -> None:
    deposit = make_txn("DEP-2", psp_reference="pi_3TbGfyJEe0yY0QKr0V9PBbP9", status="pending")
    body = payload(shared_data, "stripe_event_charge_failed.json")

    assert send("stripe", body, signed(body)).status_code == 200

    deposit.refresh_from_db()
    assert (deposit.status, deposit.psp_status) == ("declined", "charge.failed")
    last = deposit.events.order_by("-id").first()
    assert last is not None
    assert last.note == "card_declined: Your card was declined."


def test_payout_failed_replay_fails_the_withdrawal(send: Send, make_txn: MakeTxn, shared_data: Path) -> None:
    payout = make_txn("WD-1", kind="withdrawal", psp_reference="po_00000000000000", status="processing")
    body = payload(shared_data, "stripe_event_payout_failed.json")

    assert send("stripe", body, signed(body)).status_code == 200

    payout.refresh_from_db()
    assert (payout.status, payout.psp_status) == ("failed", "payout.failed")


def test_duplicate_delivery_answers_200_and_changes_nothing(send: Send, make_txn: MakeTxn, shared_data: Path) -> None:
    make_txn("DEP-3", psp_reference="pi_3TbGfyJEe0yY0QKr0V9PBbP9", status="pending")
    body = payload(shared_data, "stripe_event_charge_failed.json")
    first = send("stripe", body, signed(body))
    before = snapshot()

    second = send("stripe", body, signed(body))

    assert (first.status_code, first["Paydesk-Accepted"], first["Paydesk-Duplicates"]) == (200, "1", "0")
    assert (second.status_code, second["Paydesk-Accepted"], second["Paydesk-Duplicates"]) == (200, "0", "1")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("wrong_secret", "does not match the body"),
        ("missing_header", "missing Stripe-Signature header"),
        ("expired", "outside the 300 s tolerance"),
        ("tampered", "does not match the body"),
        ("no_timestamp", "no timestamp"),
    ],
)
def test_bad_signatures_get_401_and_store_nothing(
    case: str, detail: str, send: Send, make_txn: MakeTxn, shared_data: Path
) -> None:
    make_txn("DEP-4", psp_reference="pi_3TbGfyJEe0yY0QKr0V9PBbP9", status="pending")
    body = payload(shared_data, "stripe_event_charge_failed.json")
    headers = {
        "wrong_secret": signed(body, secret="whsec_someone_else"),
        "missing_header": {},
        "expired": signed(body, timestamp=int(time.time()) - 301),
        "tampered": signed(body),
        "no_timestamp": {"Stripe-Signature": "v1=" + "0" * 64},
    }[case]
    sent = body.replace('"amount": 2200', '"amount": 1') if case == "tampered" else body
    assert sent != body or case != "tampered"
    before = snapshot()

    response = send("stripe", sent, headers)

    assert response.status_code == 401
    assert detail in problem(response)["detail"]
    assert snapshot() == before


def test_malformed_json_with_a_valid_signature_is_400_and_stores_nothing(send: Send, make_txn: MakeTxn) -> None:
    make_txn("DEP-5", psp_reference="pi_x", status="pending")
    body = '{"id": "evt_broken", "type": "charge.failed", '
    before = snapshot()

    response = send("stripe", body, signed(body))

    assert response.status_code == 400
    assert problem(response)["detail"].startswith("Stripe event body is not valid JSON")
    assert snapshot() == before


def test_a_signed_body_that_is_not_utf8_is_400_and_stores_nothing(send: Send) -> None:
    body = event("evt_u16", "charge.failed", {"id": "ch_1", "object": "charge"}).encode("utf-16")
    timestamp = int(time.time())
    header = f"t={timestamp},v1={signing.compute(body, STRIPE_SECRET, timestamp)}"
    before = snapshot()

    response = send("stripe", body, {"Stripe-Signature": header})

    assert response.status_code == 400
    assert problem(response)["detail"].startswith("Stripe event body is not UTF-8: 'utf-8' codec can't decode")
    assert snapshot() == before


def test_body_over_the_limit_is_413_and_stores_nothing(send: Send, settings: Any) -> None:
    settings.PAYDESK_WEBHOOK_MAX_BYTES = 1024
    body = event("evt_big", "charge.updated", {"id": "ch_1", "object": "charge", "description": "x" * 2000})
    before = snapshot()

    response = send("stripe", body, signed(body))

    assert response.status_code == 413
    assert problem(response)["detail"] == f"webhook body is {len(body)} bytes; the limit is 1024 bytes"
    assert snapshot() == before


def test_unknown_psp_code_is_404_and_stores_nothing(send: Send) -> None:
    body = event("evt_u", "charge.failed", {"id": "ch_1", "object": "charge"})
    before = snapshot()

    response = send("paypal-classic", body, signed(body))

    assert response.status_code == 404
    assert problem(response)["detail"].startswith("unknown PSP code 'paypal-classic'")
    assert snapshot() == before


def test_adapter_without_a_secret_is_off_and_says_so(send: Send, settings: Any) -> None:
    settings.PAYDESK_STRIPE_WEBHOOK_SECRET = ""
    body = event("evt_off", "charge.failed", {"id": "ch_1", "object": "charge"})
    before = snapshot()

    response = send("stripe", body, signed(body))

    assert response.status_code == 503
    assert problem(response)["detail"] == (
        "the stripe webhook adapter is off: PAYDESK_STRIPE_WEBHOOK_SECRET is not set"
    )
    assert snapshot() == before


def test_out_of_order_event_never_moves_a_deposit_back(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("DEP-6", psp_reference="pi_ooo", status="pending")
    intent = {"id": "pi_ooo", "object": "payment_intent", "amount": 2200, "currency": "usd", "status": "x"}
    succeeded = event("evt_ok", "payment_intent.succeeded", intent, created=1779790000)
    processing = event("evt_late", "payment_intent.processing", intent, created=1779780000)

    send("stripe", succeeded, signed(succeeded))
    response = send("stripe", processing, signed(processing))

    assert response.status_code == 200
    deposit.refresh_from_db()
    assert deposit.status == "confirmed"
    late = WebhookEvent.objects.get(event_key="evt_late")
    assert late.status == WebhookEventStatus.REJECTED
    kept = deposit.events.get(applied=False)
    assert (kept.from_status, kept.to_status, kept.source) == ("confirmed", "pending", "psp_webhook")
    assert "not moving back to pending" in kept.note


def test_partial_then_full_refund_creates_children_and_moves_the_deposit(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("DEP-7", psp_reference="pi_ref", status="credited", amount_minor=5000)
    parts = [("re_1", 2000, "evt_r1"), ("re_2", 3000, "evt_r2")]
    for refund_id, amount, event_id in parts:
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": "usd",
            "payment_intent": "pi_ref",
            "status": "succeeded",
        }
        body = event(event_id, "charge.refund.updated", refund)
        assert send("stripe", body, signed(body)).status_code == 200
        deposit.refresh_from_db()
        assert deposit.status == ("partially_refunded" if refund_id == "re_1" else "refunded")

    refunds = Transaction.objects.filter(kind="refund", parent=deposit).order_by("reference")
    assert [(r.reference, r.amount_minor, r.status) for r in refunds] == [
        ("RF-re_1", 2000, "succeeded"),
        ("RF-re_2", 3000, "succeeded"),
    ]
    assert list(deposit.events.order_by("id").values_list("to_status", flat=True)) == [
        "initiated",
        "confirmed",
        "credited",
        "partially_refunded",
        "refunded",
    ]


def test_orphan_event_is_kept_and_applied_when_the_deposit_appears(
    send: Send, make_txn: MakeTxn, shared_data: Path, django_capture_on_commit_callbacks: Any
) -> None:
    body = payload(shared_data, "stripe_event_charge_failed.json")

    assert send("stripe", body, signed(body)).status_code == 200
    orphan = WebhookEvent.objects.get()
    assert (orphan.status, orphan.match_psp_reference) == (WebhookEventStatus.ORPHAN, "pi_3TbGfyJEe0yY0QKr0V9PBbP9")
    assert orphan.error == "no transaction with PSP reference pi_3TbGfyJEe0yY0QKr0V9PBbP9 yet; applied when it appears"

    with django_capture_on_commit_callbacks(execute=True):
        deposit = make_txn("DEP-8", psp_reference="pi_3TbGfyJEe0yY0QKr0V9PBbP9")

    deposit.refresh_from_db()
    orphan.refresh_from_db()
    assert deposit.status == "declined"
    assert (orphan.status, orphan.transaction_id, orphan.error) == (WebhookEventStatus.PROCESSED, deposit.pk, "")
    assert TransactionEvent.objects.filter(transaction=deposit, source="psp_webhook").count() == 1


def test_unmapped_event_type_is_stored_and_processed_without_ledger_change(send: Send) -> None:
    body = event("evt_cus", "customer.created", {"id": "cus_1", "object": "customer"})
    before = snapshot()

    assert send("stripe", body, signed(body)).status_code == 200

    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.error) == (
        WebhookEventStatus.PROCESSED,
        "customer.created: no ledger meaning, kept as received",
    )
    assert snapshot()["timeline"] == before["timeline"]


def test_the_adapter_name_works_without_a_psp_row(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("DEP-9", psp="stripe", psp_reference="pi_adapter", status="pending")
    intent = {"id": "pi_adapter", "object": "payment_intent", "amount": 2200, "currency": "usd"}
    body = event("evt_a", "payment_intent.succeeded", intent)
    deposit.psp.code = "stripe-eu"  # type: ignore[union-attr]
    deposit.psp.save()  # type: ignore[union-attr]

    assert send("stripe", body, signed(body)).status_code == 200

    deposit.refresh_from_db()
    assert deposit.status == "confirmed"


def test_no_database_connection_is_503_so_the_psp_retries(send: Send, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    from paydesk.api import webhooks as api_webhooks

    def down(**kwargs: Any) -> None:
        raise OperationalError("couldn't get a connection after 10.00 sec")

    monkeypatch.setattr(api_webhooks, "webhook_receive", down)
    body = event("evt_503", "charge.failed", {"id": "ch_1", "object": "charge"})

    response = send("stripe", body, signed(body))

    assert response.status_code == 503
    assert problem(response)["detail"] == "the desk cannot store webhooks right now (OperationalError); retry later"
