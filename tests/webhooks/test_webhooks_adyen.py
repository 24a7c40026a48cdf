"""Adyen notifications: HMAC with the official ``Adyen`` library's util, real notification payloads replayed."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from Adyen.util import generate_notification_sig, is_valid_hmac_notification

from paydesk.integrations.psp import adyen
from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import Transaction, WebhookEvent
from tests.webhooks.conftest import ADYEN_KEY, MakeTxn, Send, problem, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]

EARLY = datetime(2016, 1, 1, tzinfo=UTC)
SLASH_KEY = "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174"


def notification(shared_data: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_data / "payloads" / name).read_text())
    return data


def resign(batch: dict[str, Any], key: str = ADYEN_KEY) -> str:
    """Sign every item with the Adyen library (the fixtures' own signatures have no published key)."""
    signed = copy.deepcopy(batch)
    for entry in signed["notificationItems"]:
        item = entry["NotificationRequestItem"]
        unsigned = {k: v for k, v in item.items() if k != "additionalData"}
        item.setdefault("additionalData", {})["hmacSignature"] = generate_notification_sig(unsigned, key).decode()
    return json.dumps(signed)


def item_batch(**item: Any) -> dict[str, Any]:
    base = {
        "merchantAccountCode": "PaydeskCasino",
        "amount": {"currency": "EUR", "value": 1000},
        "eventDate": "2026-05-01T13:00:00+02:00",
        "success": "true",
    }
    return {"live": "false", "notificationItems": [{"NotificationRequestItem": {**base, **item}}]}


def test_hmac_vectors_match_the_adyen_library(shared_data: Path) -> None:
    vectors = notification(shared_data, "adyen_hmac_test_vectors.json")
    checked = 0
    for vector in vectors["notification_item_vectors"]:
        if "expected_hmac_signature" not in vector:
            continue
        if "notification_item_file" in vector:
            item = notification(shared_data, vector["notification_item_file"])
        else:
            item = vector["notification_item"]
        assert adyen.compute_signature(item, vector["hmac_key_hex"]) == vector["expected_hmac_signature"]
        unsigned = {k: v for k, v in item.items() if k != "additionalData"}
        assert generate_notification_sig(unsigned, vector["hmac_key_hex"]).decode() == vector["expected_hmac_signature"]
        if "signing_string" in vector:
            assert adyen.signing_string(item) == vector["signing_string"]
        checked += 1
    assert checked == 6


@pytest.mark.parametrize("name", ["backslash", "colon", "forwardslash", "mixed"])
def test_merchant_references_with_slashes_and_colons_verify_and_apply(
    name: str, send: Send, make_txn: MakeTxn, shared_data: Path, settings: Any
) -> None:
    settings.PAYDESK_ADYEN_HMAC_KEY = SLASH_KEY
    item = notification(shared_data, f"adyen_hmac_item_{name}.json")
    assert is_valid_hmac_notification(item, SLASH_KEY)
    deposit = make_txn(item["merchantReference"], psp="adyen", currency="EUR", amount_minor=1000, at=EARLY)
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]})

    response = send("adyen", body)

    assert (response.status_code, response.content) == (200, b"[accepted]")
    stored = WebhookEvent.objects.get()
    assert stored.event_key == f"{item['pspReference']}:AUTHORISATION:true:"
    deposit.refresh_from_db()
    assert (deposit.status, deposit.psp_status) == ("pending", "AUTHORISATION:true")


def test_authorisation_replay_moves_the_deposit_to_pending(send: Send, make_txn: MakeTxn, shared_data: Path) -> None:
    deposit = make_txn("8313842560770001", psp="adyen", currency="EUR", amount_minor=10100, at=EARLY)

    response = send("adyen", resign(notification(shared_data, "adyen_notification_authorisation.json")))

    assert response.status_code == 200
    deposit.refresh_from_db()
    assert (deposit.status, deposit.psp_status) == ("pending", "AUTHORISATION:true")
    assert WebhookEvent.objects.get().status == WebhookEventStatus.PROCESSED


def test_capture_failed_replay_fails_the_deposit(send: Send, make_txn: MakeTxn, shared_data: Path) -> None:
    deposit = make_txn("00000001", psp="adyen", psp_reference="ORIGINAL_PSP", status="pending", at=EARLY)

    assert send("adyen", resign(notification(shared_data, "adyen_notification_capture_failed.json"))).status_code == 200

    deposit.refresh_from_db()
    assert (deposit.status, deposit.psp_status) == ("failed", "CAPTURE:false")
    assert deposit.events.order_by("-id").first().note == "Insufficient balance on payment"  # type: ignore[union-attr]


def test_refund_replay_creates_a_refund_and_refunds_the_deposit(
    send: Send, make_txn: MakeTxn, shared_data: Path
) -> None:
    deposit = make_txn(
        "DEP-A1",
        psp="adyen",
        psp_reference="ORIGINAL_PSP",
        currency="EUR",
        amount_minor=1500,
        status="credited",
        at=EARLY,
    )

    assert send("adyen", resign(notification(shared_data, "adyen_notification_refund.json"))).status_code == 200

    refund = Transaction.objects.get(kind="refund")
    assert (refund.reference, refund.parent_id, refund.status, refund.amount_minor, refund.currency) == (
        "payment-2017-1-17-11-refund",
        deposit.pk,
        "succeeded",
        1500,
        "EUR",
    )
    deposit.refresh_from_db()
    assert deposit.status == "refunded"


def test_refund_failed_replay_fails_the_refund_and_leaves_the_deposit(
    send: Send, make_txn: MakeTxn, shared_data: Path
) -> None:
    deposit = make_txn(
        "DEP-A2",
        psp="adyen",
        psp_reference="ORIGINAL_PSP",
        currency="EUR",
        amount_minor=1500,
        status="credited",
        at=EARLY,
    )

    assert send("adyen", resign(notification(shared_data, "adyen_notification_refund_failed.json"))).status_code == 200

    refund = Transaction.objects.get(kind="refund")
    assert (refund.status, refund.psp_status) == ("failed", "REFUND:false")
    deposit.refresh_from_db()
    assert deposit.status == "credited"


def test_chargeback_replay_and_its_reversal(send: Send, make_txn: MakeTxn, shared_data: Path) -> None:
    deposit = make_txn(
        "XXXXXXXXXX",
        psp="adyen",
        psp_reference="9913333333333333",
        currency="EUR",
        amount_minor=1000,
        status="credited",
        at=EARLY,
    )
    batch = notification(shared_data, "adyen_notification_chargeback.json")

    assert send("adyen", resign(batch)).status_code == 200

    chargeback = Transaction.objects.get(kind="chargeback")
    assert (chargeback.reference, chargeback.status, chargeback.dispute_stage, chargeback.psp_reference) == (
        "CB-9915555555555555",
        "needs_response",
        "chargeback",
        "9915555555555555",
    )
    deposit.refresh_from_db()
    assert deposit.status == "charged_back"

    reversed_batch = copy.deepcopy(batch)
    item = reversed_batch["notificationItems"][0]["NotificationRequestItem"]
    item["eventCode"] = "CHARGEBACK_REVERSED"
    item["eventDate"] = "2018-04-23T13:55:31+01:00"
    assert send("adyen", resign(reversed_batch)).status_code == 200

    chargeback.refresh_from_db()
    deposit.refresh_from_db()
    assert (chargeback.status, deposit.status) == ("won", "charged_back")


def test_notification_of_chargeback_is_an_inquiry_that_leaves_the_deposit(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("DEP-A3", psp="adyen", psp_reference="PAY-1", currency="EUR", status="credited", at=EARLY)
    batch = item_batch(eventCode="NOTIFICATION_OF_CHARGEBACK", pspReference="NOC-1", originalReference="PAY-1")

    assert send("adyen", resign(batch)).status_code == 200

    inquiry = Transaction.objects.get(kind="chargeback")
    assert (inquiry.dispute_stage, inquiry.status) == ("inquiry", "needs_response")
    deposit.refresh_from_db()
    assert deposit.status == "credited"


@pytest.mark.parametrize(
    ("code", "success", "expected"),
    [
        ("PAYOUT_THIRDPARTY", "true", "paid"),
        ("PAYOUT_THIRDPARTY", "false", "failed"),
        ("PAYOUT_DECLINE", "true", "failed"),
        ("PAYOUT_EXPIRE", "true", "failed"),
    ],
)
def test_payout_events_settle_the_withdrawal(
    code: str, success: str, expected: str, send: Send, make_txn: MakeTxn
) -> None:
    payout = make_txn("WD-A1", kind="withdrawal", psp="adyen", currency="EUR", status="processing", at=EARLY)
    batch = item_batch(eventCode=code, success=success, pspReference="PO-1", merchantReference="WD-A1")

    assert send("adyen", resign(batch)).status_code == 200

    payout.refresh_from_db()
    assert (payout.status, payout.psp_reference) == (expected, None)


def test_the_fixtures_own_signatures_are_refused(send: Send, shared_data: Path) -> None:
    before = snapshot()
    body = (shared_data / "payloads" / "adyen_notification_refund.json").read_text()

    response = send("adyen", body)

    assert response.status_code == 401
    assert problem(response)["detail"] == "Adyen item 1 HMAC does not match (wrong key or altered item)"
    assert snapshot() == before


def test_one_bad_item_refuses_the_whole_batch(send: Send) -> None:
    good = json.loads(resign(item_batch(eventCode="AUTHORISATION", pspReference="A-1", merchantReference="R-1")))
    bad = json.loads(resign(item_batch(eventCode="AUTHORISATION", pspReference="A-2", merchantReference="R-2")))
    bad["notificationItems"][0]["NotificationRequestItem"]["amount"]["value"] = 1
    good["notificationItems"] += bad["notificationItems"]
    before = snapshot()

    response = send("adyen", json.dumps(good))

    assert response.status_code == 401
    assert problem(response)["detail"].startswith("Adyen item 2 HMAC does not match")
    assert snapshot() == before


def test_missing_hmac_signature_is_401(send: Send) -> None:
    before = snapshot()

    response = send("adyen", json.dumps(item_batch(eventCode="AUTHORISATION", pspReference="A-1")))

    assert response.status_code == 401
    assert problem(response)["detail"] == "Adyen item 1 has no additionalData.hmacSignature"
    assert snapshot() == before


def test_wrong_key_is_401(send: Send) -> None:
    before = snapshot()
    body = resign(item_batch(eventCode="AUTHORISATION", pspReference="A-1"), key=SLASH_KEY)

    assert send("adyen", body).status_code == 401
    assert snapshot() == before


def test_malformed_batch_is_400(send: Send) -> None:
    before = snapshot()

    response = send("adyen", '{"live": "false", "notificationItems": [')
    empty = send("adyen", '{"live": "false", "notificationItems": []}')

    assert (response.status_code, empty.status_code) == (400, 400)
    assert problem(empty)["detail"] == "Adyen notification has no notificationItems"
    assert snapshot() == before


def test_misconfigured_key_is_reported(send: Send, settings: Any) -> None:
    settings.PAYDESK_ADYEN_HMAC_KEY = "BadKey"

    response = send("adyen", resign(item_batch(eventCode="AUTHORISATION", pspReference="A-1")))

    assert response.status_code == 503
    assert problem(response)["detail"] == (
        "the adyen webhook adapter is misconfigured: PAYDESK_ADYEN_HMAC_KEY is not a hex string"
    )
    assert WebhookEvent.objects.count() == 0


def test_duplicate_item_is_accepted_and_changes_nothing(send: Send, make_txn: MakeTxn) -> None:
    make_txn("R-1", psp="adyen", currency="EUR", at=EARLY)
    body = resign(item_batch(eventCode="AUTHORISATION", pspReference="A-1", merchantReference="R-1"))
    send("adyen", body)
    before = snapshot()

    again = send("adyen", body)

    assert (again.status_code, again.content, again["Paydesk-Duplicates"]) == (200, b"[accepted]", "1")
    assert snapshot() == before


def test_batch_with_a_repeated_item_stores_it_once_and_counts_the_repeat(send: Send, make_txn: MakeTxn) -> None:
    make_txn("R-7", psp="adyen", currency="EUR", at=EARLY)
    first = item_batch(eventCode="AUTHORISATION", pspReference="A-7", merchantReference="R-7")
    other = item_batch(eventCode="CAPTURE", pspReference="C-7", originalReference="A-7")
    items = first["notificationItems"] + other["notificationItems"] + first["notificationItems"]
    body = resign({"live": "false", "notificationItems": items})

    response = send("adyen", body, headers={"User-Agent": "Adyen HTTP Notification"})

    assert (response.status_code, response["Paydesk-Accepted"], response["Paydesk-Duplicates"]) == (200, "2", "1")
    stored = list(WebhookEvent.objects.order_by("id").values_list("event_key", "event_type", "headers"))
    assert [(key, kind) for key, kind, _ in stored] == [
        ("A-7:AUTHORISATION:true:", "AUTHORISATION"),
        ("C-7:CAPTURE:true:A-7", "CAPTURE"),
    ]
    assert all(headers["User-Agent"] == "Adyen HTTP Notification" for _, _, headers in stored)


def test_a_batch_larger_than_one_insert_is_stored_in_several(send: Send, monkeypatch: pytest.MonkeyPatch) -> None:
    from paydesk.payments import webhooks

    monkeypatch.setattr(webhooks, "INSERT_BATCH", 2)
    items = [
        item_batch(eventCode="AUTHORISATION", pspReference=f"A-{n}", merchantReference=f"R-{n}")["notificationItems"][0]
        for n in (1, 2, 3, 1, 4)
    ]

    response = send("adyen", resign({"live": "false", "notificationItems": items}))

    assert (response["Paydesk-Accepted"], response["Paydesk-Duplicates"]) == ("4", "1")
    assert list(WebhookEvent.objects.order_by("id").values_list("event_key", flat=True)) == [
        f"A-{n}:AUTHORISATION:true:" for n in (1, 2, 3, 4)
    ]


def test_an_item_whose_reference_decodes_to_a_nul_is_400_and_stores_nothing(send: Send) -> None:
    batch = item_batch(eventCode="AUTHORISATION", pspReference="A-1", merchantReference="R-1")
    second = item_batch(eventCode="AUTHORISATION", pspReference="A\u0000B", merchantReference="R-2")
    batch["notificationItems"] += second["notificationItems"]
    before = snapshot()

    response = send("adyen", resign(batch))

    assert response.status_code == 400
    assert problem(response)["detail"] == "event id or type 'A\\x00B:AUTHORISATION:true:' contains a NUL character"
    assert snapshot() == before


def test_late_authorisation_after_capture_never_moves_back(send: Send, make_txn: MakeTxn) -> None:
    deposit = make_txn("R-2", psp="adyen", psp_reference="A-2", currency="EUR", at=EARLY)
    capture = item_batch(
        eventCode="CAPTURE", pspReference="C-2", originalReference="A-2", eventDate="2026-05-01T13:05:00+02:00"
    )
    auth = item_batch(eventCode="AUTHORISATION", pspReference="A-2", merchantReference="R-2")

    send("adyen", resign(capture))
    send("adyen", resign(auth))

    deposit.refresh_from_db()
    assert deposit.status == "confirmed"
    assert list(deposit.events.order_by("id").values_list("to_status", "applied")) == [
        ("initiated", True),
        ("confirmed", True),
        ("pending", False),
    ]
    assert WebhookEvent.objects.get(event_type="AUTHORISATION").status == WebhookEventStatus.REJECTED
