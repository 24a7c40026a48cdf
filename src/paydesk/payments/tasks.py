"""Payments background tasks: webhook processing (per event, or draining all waiting events), its retries, and the
stuck-transaction sweep.

Each task is idempotent (processing keys every ledger move by the event; a processed event is skipped), so a task
delivered twice or retried after a crash changes nothing twice. A crash while processing leaves the event stored and
marked ``failed``; ``webhook_events_retry`` picks it up again, as it does events whose task was lost.
"""

from __future__ import annotations

import logging

from celery import shared_task

from paydesk.payments.drain import drain_until_idle
from paydesk.payments.sweeper import sweep
from paydesk.payments.webhooks import (
    webhook_event_mark_failed,
    webhook_event_process,
    webhook_events_due_for_retry,
)

logger = logging.getLogger(__name__)


@shared_task(name="paydesk.payments.tasks.webhook_event_process_task")  # type: ignore[untyped-decorator]
def webhook_event_process_task(event_id: int) -> str:
    try:
        return str(webhook_event_process(event_id=event_id).status)
    except Exception as exc:  # the event must stay visible as failed, whatever broke
        logger.exception("processing webhook event %s failed", event_id)
        webhook_event_mark_failed(event_id=event_id, error=f"{type(exc).__name__}: {exc}")
        return "failed"


@shared_task(name="paydesk.payments.tasks.webhook_events_drain")  # type: ignore[untyped-decorator]
def webhook_events_drain() -> int:
    """Process every stored event still waiting (see ``paydesk.payments.drain``)."""
    from paydesk.config.celery import app

    return drain_until_idle(str(app.conf.broker_url), webhook_event_process_task)


@shared_task(name="paydesk.payments.tasks.webhook_events_retry")  # type: ignore[untyped-decorator]
def webhook_events_retry() -> int:
    ids = webhook_events_due_for_retry()
    for event_id in ids:
        webhook_event_process_task(event_id)
    return len(ids)


@shared_task(name="paydesk.payments.tasks.sweep_stuck_transactions")  # type: ignore[untyped-decorator]
def sweep_stuck_transactions() -> dict[str, int | str]:
    return sweep().as_dict()
