"""A real ``paydesk serve --workers 2`` on the test's PostgreSQL database takes signed webhooks over HTTP on the event
loop route, applies them, and answers a redelivery without storing it twice."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

from paydesk.payments.models import Transaction, WebhookEvent
from tests.servers import served
from tests.webhooks.conftest import STRIPE_SECRET, MakeTxn
from tests.webhooks.test_webhooks_stripe import event, signed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]


@pytest.fixture
def server(tmp_path: Path, make_txn: MakeTxn) -> Iterator[str]:
    """The server, started after the fixtures' rows are committed, stopped before the test's tables are flushed."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "PAYDESK_HOME": str(tmp_path),
        "DATABASE_URL": url,
        "PAYDESK_STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
    }
    for name in ("REDIS_URL", "PAYDESK_WEBHOOK_ON_LOOP", "PAYDESK_DEBUG"):
        env.pop(name, None)
    with served("--workers", "2", "--no-scheduler", env=env) as base:
        yield base


def test_served_webhooks_are_stored_once_and_applied(make_txn: MakeTxn, server: str) -> None:
    references = [f"DEP-S{i}" for i in range(6)]
    for i, reference in enumerate(references):
        make_txn(reference, psp_reference=f"pi_served_{i}", status="pending")
    bodies = [
        event(f"evt_served_{i}", "payment_intent.succeeded", {"id": f"pi_served_{i}", "object": "payment_intent"})
        for i in range(6)
    ]

    with httpx.Client(base_url=server, timeout=10) as client:
        # Several keep-alive connections, so both worker processes take some.
        answers = [client.post("/api/v1/webhooks/psp/stripe", content=body, headers=signed(body)) for body in bodies]
        again = client.post("/api/v1/webhooks/psp/stripe", content=bodies[0], headers=signed(bodies[0]))
        refused = client.post("/api/v1/webhooks/psp/stripe", content=bodies[1], headers={"Stripe-Signature": "t=1"})

    assert [(a.status_code, a.headers["paydesk-accepted"]) for a in answers] == [(200, "1")] * 6
    # Answered on the loop route: Django's LocaleMiddleware would have added Content-Language.
    assert [a.headers.get("content-language") for a in answers] == [None] * 6
    assert (again.status_code, again.headers["paydesk-duplicates"]) == (200, "1")
    assert (refused.status_code, refused.headers["content-type"]) == (401, "application/problem+json")
    assert sorted(WebhookEvent.objects.values_list("event_key", "status")) == [
        (f"evt_served_{i}", "processed") for i in range(6)
    ]
    assert set(Transaction.objects.filter(reference__in=references).values_list("status", flat=True)) == {"confirmed"}
