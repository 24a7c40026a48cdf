"""Set-based status moves of known references in platform ingest: the guarantees of ``transaction_transition``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User

from paydesk.core.audit import audit_verify
from paydesk.core.models import AuditEvent
from paydesk.payments.ingest import transactions_ingest
from paydesk.payments.models import Psp, Transaction, TransactionEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stripe_psp(db: None) -> Psp:
    return Psp.objects.create(code="stripe", name="Stripe", adapter="stripe")


def row(reference: str, status: str, updated_at: str = "2026-05-01T12:01:00Z", **fields: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "kind": "deposit",
        "status": status,
        "player_id": "P-1",
        "amount": "150.00",
        "currency": "EUR",
        "psp": "stripe",
        "psp_reference": f"pi_{reference}",
        "created_at": "2026-05-01T12:00:00Z",
        "updated_at": updated_at,
        **fields,
    }


def timeline(reference: str) -> list[tuple[str, str, bool, str, str]]:
    return list(
        TransactionEvent.objects.filter(transaction__reference=reference)
        .order_by("id")
        .values_list("from_status", "to_status", "applied", "idempotency_key", "note")
    )


def test_a_move_writes_its_event_sets_the_status_and_is_listed_in_the_batch_audit_event() -> None:
    user = User.objects.create_user(username="platform-bot")
    transactions_ingest(rows=[row("D-1", "pending"), row("D-2", "pending")])

    result = transactions_ingest(
        rows=[row("D-1", "credited", "2026-05-01T12:05:00Z"), row("D-2", "pending")], acting_user=user
    )

    assert (result.updated, result.unchanged, result.errors) == (1, 1, [])
    d1 = Transaction.objects.get(reference="D-1")
    assert (d1.status, d1.status_changed_at) == ("credited", datetime(2026, 5, 1, 12, 5, tzinfo=UTC))
    assert timeline("D-1")[1] == (
        "pending",
        "credited",
        True,
        "platform:D-1:credited:2026-05-01T12:05:00+00:00",
        "platform ledger import",
    )
    assert TransactionEvent.objects.get(idempotency_key__startswith="platform:D-1").actor_id == user.pk
    audit = AuditEvent.objects.filter(action="transaction.ingest").order_by("seq").last()
    assert audit is not None
    assert (audit.actor_id, audit.data["updated"], audit.data["moves"]) == (
        user.pk,
        1,
        [["D-1", "pending", "credited"]],
    )
    assert audit_verify().ok


def test_a_stale_sideways_move_is_refused_and_kept_on_the_timeline() -> None:
    transactions_ingest(rows=[row("D-1", "pending")])
    transactions_ingest(rows=[row("D-1", "held", "2026-05-01T12:10:00Z")])

    result = transactions_ingest(rows=[row("D-1", "confirmed", "2026-05-01T12:05:00Z")])

    assert (result.updated, [(e.row, e.field) for e in result.errors]) == (0, [(1, "status")])
    assert "illegal transition held -> confirmed" in result.errors[0].message
    assert Transaction.objects.get(reference="D-1").status == "held"
    assert timeline("D-1")[-1][:3] == ("held", "confirmed", False)


def test_a_refused_row_imported_again_is_reported_again_and_recorded_once() -> None:
    transactions_ingest(rows=[row("D-1", "credited")])
    first = transactions_ingest(rows=[row("D-1", "pending", "2026-05-01T12:09:00Z")])
    events = TransactionEvent.objects.count()
    audits = AuditEvent.objects.count()

    again = transactions_ingest(rows=[row("D-1", "pending", "2026-05-01T12:09:00Z")])

    assert [e.as_dict() for e in again.errors] == [e.as_dict() for e in first.errors]
    assert again.errors[0].message == (
        "transaction D-1 (deposit): illegal transition credited -> pending (not allowed from this status)"
    )
    assert (again.updated, TransactionEvent.objects.count(), AuditEvent.objects.count()) == (0, events, audits)
    assert Transaction.objects.get(reference="D-1").status == "credited"


def test_an_applied_key_is_never_applied_twice() -> None:
    transactions_ingest(rows=[row("D-1", "pending")])
    transactions_ingest(rows=[row("D-1", "confirmed", "2026-05-01T12:02:00Z")])
    transactions_ingest(rows=[row("D-1", "credited", "2026-05-01T12:03:00Z")])
    # A credited deposit refunded, then the old "confirmed" row replayed: its key is already on the timeline.
    transactions_ingest(rows=[row("D-1", "refunded", "2026-05-01T12:04:00Z")])
    events = TransactionEvent.objects.count()

    result = transactions_ingest(rows=[row("D-1", "confirmed", "2026-05-01T12:02:00Z")])

    assert (result.updated, result.unchanged, result.errors) == (0, 1, [])
    assert (Transaction.objects.get(reference="D-1").status, TransactionEvent.objects.count()) == ("refunded", events)
