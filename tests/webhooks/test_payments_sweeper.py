"""The stuck-transaction sweeper, with a fake PspStatusClient standing in for the PSP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from paydesk.core import clock
from paydesk.core.scheduler import PERIODIC_JOBS
from paydesk.integrations.fakes import FakePspStatusClient
from paydesk.integrations.ports import PspStatusClient, PspStatusQuery, PspStatusReply
from paydesk.payments.models import Psp, Transaction
from paydesk.payments.sweeper import sweep
from tests.webhooks.conftest import T0, MakeTxn

pytestmark = pytest.mark.django_db


@pytest.fixture
def norms(psps: dict[str, Psp]) -> None:
    Psp.objects.filter(code="stripe").update(norms={"deposit": {"card": 600}, "payout": {"card": 86400}})


def test_fake_satisfies_the_port() -> None:
    assert isinstance(FakePspStatusClient(), PspStatusClient)


def test_a_stuck_deposit_is_polled_and_lands_a_psp_poll_event(make_txn: MakeTxn, norms: None) -> None:
    deposit = make_txn("DEP-S1", psp_reference="pi_stuck", status="pending")
    fresh = make_txn("DEP-S2", psp_reference="pi_fresh", status="pending", at=T0 + timedelta(minutes=55))
    client = FakePspStatusClient(
        replies={"DEP-S1": PspStatusReply(psp_status="succeeded", status="confirmed", payload={"id": "pi_stuck"})}
    )

    with clock.frozen(T0 + timedelta(hours=1)):
        result = sweep(client=client)

    assert [q.reference for q in client.calls] == ["DEP-S1"]
    assert client.calls[0] == PspStatusQuery(
        psp_code="stripe",
        adapter="stripe",
        kind="deposit",
        reference="DEP-S1",
        psp_reference="pi_stuck",
        current_status="pending",
    )
    assert (result.stuck, result.moved, result.errors) == (1, 1, 0)
    deposit.refresh_from_db()
    assert (deposit.status, deposit.psp_status, deposit.last_polled_at) == (
        "confirmed",
        "succeeded",
        T0 + timedelta(hours=1),
    )
    event = deposit.events.order_by("-id").first()
    assert event is not None
    assert (event.source, event.from_status, event.to_status, event.idempotency_key) == (
        "psp_poll",
        "pending",
        "confirmed",
        "poll:DEP-S1:confirmed",
    )
    assert event.payload == {"poll": {"psp": "stripe", "psp_status": "succeeded", "answer": {"id": "pi_stuck"}}}
    fresh.refresh_from_db()
    assert (fresh.status, fresh.last_polled_at) == ("pending", None)


def test_a_transaction_is_asked_about_at_most_once_per_norm(make_txn: MakeTxn, norms: None) -> None:
    make_txn("DEP-S3", psp_reference="pi_slow", status="pending")
    client = FakePspStatusClient()

    with clock.frozen(T0 + timedelta(hours=1)):
        first = sweep(client=client)
    with clock.frozen(T0 + timedelta(hours=1, minutes=5)):
        second = sweep(client=client)
    with clock.frozen(T0 + timedelta(hours=1, minutes=11)):
        third = sweep(client=client)

    assert [(r.stuck, r.unchanged) for r in (first, second, third)] == [(1, 1), (0, 0), (1, 1)]
    assert Transaction.objects.get(reference="DEP-S3").status == "pending"


def test_an_illegal_answer_is_kept_not_applied_and_a_failing_psp_does_not_stop_the_sweep(
    make_txn: MakeTxn, norms: None
) -> None:
    make_txn("WD-S1", kind="withdrawal", psp_reference="po_1", status="processing")
    make_txn("DEP-S4", psp_reference="pi_down", status="pending")
    client = FakePspStatusClient(
        replies={"WD-S1": PspStatusReply(psp_status="requested", status="requested")}, failing={"DEP-S4"}
    )

    with clock.frozen(T0 + timedelta(days=2)):
        result = sweep(client=client)

    assert (result.stuck, result.rejected, result.errors) == (2, 1, 1)
    payout = Transaction.objects.get(reference="WD-S1")
    kept = payout.events.get(applied=False)
    assert (payout.status, kept.source, kept.to_status) == ("processing", "psp_poll", "requested")
    assert "illegal transition processing -> requested" in kept.note


def test_without_a_client_the_sweep_says_why(settings: Any) -> None:
    settings.PAYDESK_PSP_STATUS_CLIENT = ""
    assert sweep().skipped_reason == "no PSP status client configured (PAYDESK_PSP_STATUS_CLIENT)"


def test_the_sweeper_and_the_retry_are_periodic_jobs() -> None:
    names = {job.task_name: job.every_seconds for job in PERIODIC_JOBS}
    assert names["paydesk.payments.tasks.sweep_stuck_transactions"] == 60.0
    assert names["paydesk.payments.tasks.webhook_events_retry"] == 60.0
    for job in PERIODIC_JOBS:
        if job.task_name.startswith("paydesk.payments."):
            assert callable(job.resolve())
