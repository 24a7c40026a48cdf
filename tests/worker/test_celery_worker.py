"""Production background path: a stored webhook is processed by a real `paydesk worker` through Redis.

The embedded default runs tasks in-process; this test switches the test process's Celery app to the Redis broker,
starts the worker as a subprocess against the same database, and waits for the ledger to move.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import stripe
from django.db import connection

from paydesk.config.celery import app as celery_app
from paydesk.payments.models import Psp, Transaction, WebhookEvent
from paydesk.payments.services import player_create, transaction_create
from paydesk.payments.webhooks import webhook_receive
from tests.conftest import need

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
SECRET = "pdg_worker_test"


def _redis_up() -> bool:
    parsed = urlparse(REDIS_URL)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    need(_redis_up(), f"needs Redis at {REDIS_URL}")
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": _database_url(),
        "PAYDESK_HOME": str(tmp_path),
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "paydesk.cli", "worker", "--concurrency", "1", "--no-beat"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    broker, eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = REDIS_URL
    celery_app.conf.task_always_eager = False
    # Eager calls earlier in the run opened a producer pool on the memory:// broker; drop it so sends go to Redis.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield process
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = broker, eager
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.django_db(transaction=True)
def test_worker_processes_a_stored_webhook_through_redis(
    worker: subprocess.Popen[str], settings: object, tmp_path: Path
) -> None:
    settings.PAYDESK_GENERIC_WEBHOOK_SECRET = SECRET  # type: ignore[attr-defined]
    settings.PAYDESK_WEBHOOK_PROCESSING = "task"  # type: ignore[attr-defined]
    psp = Psp.objects.create(code="wallet", name="Wallet", adapter="generic", methods=["e_wallet"])
    player = player_create(external_id="P-W1", name="Worker Test")
    transaction_create(
        reference="DEP-W1",
        kind="deposit",
        player=player,
        amount_minor=1000,
        currency="EUR",
        psp=psp,
        psp_reference="w-1",
    )
    body = json.dumps(
        {
            "id": "ev-w1",
            "type": "deposit",
            "status": "confirmed",
            "psp_reference": "w-1",
            "amount": "10.00",
            "currency": "EUR",
            "occurred_at": "2026-05-01T12:30:00Z",
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    webhook_receive(psp_code="wallet", body=body.encode(), headers={"Paydesk-Signature": header})

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and worker.poll() is None:
        if Transaction.objects.get(reference="DEP-W1").status == "confirmed":
            break
        time.sleep(0.5)
    log = (tmp_path / "worker.log").read_text()
    assert worker.poll() is None, f"worker exited early:\n{log[-3000:]}"
    assert Transaction.objects.get(reference="DEP-W1").status == "confirmed", log[-3000:]
    assert WebhookEvent.objects.get().status == "processed"
