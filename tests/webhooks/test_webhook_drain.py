"""The broker path for new webhook events: a Redis wake-up flag and a task that drains every waiting event."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import redis
import stripe

from paydesk.payments import drain as drain_mod
from paydesk.payments.drain import FLAG, drain, drain_until_idle, drain_wake
from paydesk.payments.models import WebhookEvent
from paydesk.payments.webhooks import webhook_event_process, webhook_receive
from tests.conftest import need
from tests.webhooks.conftest import STRIPE_SECRET, MakeTxn

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drain_mod, "_flag_seen_at", float("-inf"))


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        need(False, f"needs Redis at {REDIS_URL}")
    client.delete(FLAG)
    return REDIS_URL


def _stripe_event(event_id: str, intent: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": 1777636800,
            "data": {"object": {"id": intent, "object": "payment_intent", "amount": 2200, "currency": "usd"}},
        }
    )
    return body.encode(), {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, STRIPE_SECRET)}


def test_wake_queues_one_drain_while_the_flag_is_set(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drain_mod, "MEMO_SECONDS", 0.0)  # ask Redis every time
    queued: list[int] = []

    def queue() -> None:
        queued.append(1)

    assert drain_wake(redis_url, queue) is True
    assert drain_wake(redis_url, queue) is False
    assert drain_wake(redis_url, queue) is False
    assert queued == [1]
    assert 0 < redis.Redis.from_url(redis_url).ttl(FLAG) <= drain_mod.FLAG_TTL_SECONDS

    redis.Redis.from_url(redis_url).delete(FLAG)  # what a drain does when it goes idle

    assert drain_wake(redis_url, queue) is True
    assert queued == [1, 1]


def test_wake_skips_redis_while_this_process_saw_the_flag_recently(redis_url: str) -> None:
    queued: list[int] = []
    assert drain_wake(redis_url, lambda: queued.append(1)) is True
    redis.Redis.from_url(redis_url).delete(FLAG)

    assert drain_wake(redis_url, lambda: queued.append(1)) is False  # within MEMO_SECONDS: no Redis call
    assert queued == [1]
    assert redis.Redis.from_url(redis_url).exists(FLAG) == 0


@pytest.mark.django_db
def test_drain_until_idle_processes_waiting_events_then_releases_the_flag(
    redis_url: str, webhook_secrets: None, make_txn: MakeTxn
) -> None:
    make_txn("DEP-1", psp_reference="pi_1", status="pending")
    body, headers = _stripe_event("evt_1", "pi_1")
    webhook_receive(psp_code="stripe", body=body, headers=headers)
    redis.Redis.from_url(redis_url).set(FLAG, b"1")

    done = drain_until_idle(redis_url, lambda event_id: webhook_event_process(event_id=event_id), linger=0.0)

    assert done == 1
    assert WebhookEvent.objects.get().status == "processed"
    assert redis.Redis.from_url(redis_url).exists(FLAG) == 0


def test_wake_with_redis_down_queues_nothing_and_does_not_raise(caplog: Any) -> None:
    queued: list[int] = []

    assert drain_wake("redis://127.0.0.1:1/0", lambda: queued.append(1)) is False
    assert queued == []
    assert "webhook_events_retry" in caplog.text


@pytest.mark.django_db
def test_drain_processes_every_waiting_event_in_id_order(
    webhook_secrets: None, make_txn: MakeTxn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drain_mod, "BATCH", 2)  # several batches
    for i in range(5):
        make_txn(f"DEP-{i}", psp_reference=f"pi_{i}", status="pending")
    ids = []
    for i in range(5):
        body, headers = _stripe_event(f"evt_{i}", f"pi_{i}")
        ids.extend(webhook_receive(psp_code="stripe", body=body, headers=headers).event_ids)
    WebhookEvent.objects.filter(pk=ids[1]).update(status="processed")  # already done: not taken again
    seen: list[int] = []

    def process(event_id: int) -> None:
        seen.append(event_id)
        webhook_event_process(event_id=event_id)

    assert drain(process) == 4
    assert seen == [ids[0], *ids[2:]]
    assert sorted(WebhookEvent.objects.values_list("status", flat=True)) == ["processed"] * 5
    assert drain(process) == 0


@pytest.mark.django_db
def test_drain_ends_when_an_event_stays_received(webhook_secrets: None, make_txn: MakeTxn) -> None:
    make_txn("DEP-1", psp_reference="pi_1", status="pending")
    body, headers = _stripe_event("evt_1", "pi_1")
    (event_id,) = webhook_receive(psp_code="stripe", body=body, headers=headers).event_ids
    calls: list[int] = []

    assert drain(calls.append) == 1  # processing "failed" to change anything
    assert calls == [event_id]
    assert WebhookEvent.objects.get().status == "received"
