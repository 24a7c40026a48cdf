"""The demo's simulated PSPs: steps sent as real signed webhooks, and status polls answered from the plan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from paydesk.core import clock
from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import Psp, WebhookEvent
from paydesk.payments.sweeper import sweep
from paydesk.simulate.live import PspStep
from paydesk.simulate.psp_status import SimulatedPspStatusClient
from paydesk.simulate.psp_webhooks import build_request
from tests.webhooks.conftest import T0, MakeTxn, Send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secrets")]


def step(reference: str, to_status: str, *, kind: str = "deposit", psp: str = "stripe", index: int = 1) -> PspStep:
    return PspStep(
        reference=reference,
        kind=kind,
        psp=psp,
        psp_reference=None,
        index=index,
        at=T0 + timedelta(minutes=index),
        to_status=to_status,
        source="psp_webhook",
        psp_status=f"SIM_{to_status.upper()}",
        note="simulated",
    )


@pytest.mark.parametrize(
    ("psp", "kind", "start", "to_status"),
    [
        ("stripe", "deposit", None, "confirmed"),
        ("stripe", "deposit", "pending", "declined"),
        ("stripe", "withdrawal", "processing", "paid"),
        ("adyen", "deposit", None, "pending"),
        ("adyen", "deposit", "pending", "confirmed"),
        ("adyen", "withdrawal", "processing", "failed"),
        ("qiwi-like", "deposit", None, "expired"),
    ],
)
def test_steps_arrive_as_signed_webhooks_and_apply(
    psp: str, kind: str, start: str | None, to_status: str, send: Send, make_txn: MakeTxn, psps: dict[str, Psp]
) -> None:
    txn = make_txn("SIM-1", kind=kind, psp=psp, psp_reference="ref-1", status=start, currency="EUR")
    request = build_request(step("SIM-1", to_status, kind=kind, psp=psp), txn)
    assert request is not None
    path, body, headers = request

    response = send(psp, body, headers)

    assert (path, response.status_code) == (f"/api/v1/webhooks/psp/{psp}", 200)
    txn.refresh_from_db()
    assert txn.status == to_status
    assert WebhookEvent.objects.get().status == WebhookEventStatus.PROCESSED
    again = send(psp, body, headers)
    assert again["Paydesk-Duplicates"] == "1"


def test_a_step_no_adapter_event_carries_is_left_to_the_service_path(make_txn: MakeTxn) -> None:
    txn = make_txn("SIM-2", psp="stripe", status="confirmed")
    assert build_request(step("SIM-2", "credited"), txn) is None


def test_the_sweeper_moves_a_stuck_simulated_deposit_from_its_plan(make_txn: MakeTxn, settings: Any) -> None:
    Psp.objects.filter(code="stripe").update(norms={"deposit": {"card": 60}})
    txn = make_txn("SIM-3", psp="stripe", psp_reference="pi_sim3", status="pending")
    plan = [
        {
            "i": 1,
            "at": (T0 + timedelta(minutes=3)).isoformat(),
            "to": "confirmed",
            "source": "psp_poll",
            "psp_status": "succeeded",
        },
        {"i": 2, "at": (T0 + timedelta(minutes=4)).isoformat(), "to": "credited", "source": "platform"},
        {"i": 3, "at": (T0 + timedelta(days=3)).isoformat(), "to": "refunded", "source": "psp_webhook"},
    ]
    txn.metadata = {"sim": {"plan": plan}}
    txn.save(update_fields=["metadata"])
    settings.PAYDESK_PSP_STATUS_CLIENT = "paydesk.simulate.psp_status.SimulatedPspStatusClient"

    with clock.frozen(T0 + timedelta(minutes=2)):
        early = sweep()
    with clock.frozen(T0 + timedelta(minutes=10)):
        result = sweep()

    assert (early.stuck, early.unchanged, early.moved) == (1, 1, 0)
    assert (result.stuck, result.moved) == (1, 1)
    txn.refresh_from_db()
    assert (txn.status, txn.psp_status) == ("confirmed", "succeeded")
    polled = txn.events.order_by("-id").first()
    assert polled is not None
    assert (polled.source, polled.to_status, polled.occurred_at) == ("psp_poll", "confirmed", T0 + timedelta(minutes=3))


def test_the_simulated_psp_has_no_news_for_a_payment_without_a_plan(make_txn: MakeTxn) -> None:
    from paydesk.integrations.ports import PspStatusQuery

    make_txn("SIM-4", psp="stripe", status="pending")
    query = PspStatusQuery("stripe", "stripe", "deposit", "SIM-4", None, "pending")
    assert SimulatedPspStatusClient().fetch_status(query) is None
