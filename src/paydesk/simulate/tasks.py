"""Periodic task: the live trickle of simulated payment traffic (``PERIODIC_JOBS`` runs it every few seconds).

A Celery task for production beat and a plain callable for the embedded scheduler; the work is in
``paydesk.simulate.live``.
"""

from __future__ import annotations

import random
from typing import Any

from celery import shared_task

from paydesk.simulate.inquiries import live_inquiry
from paydesk.simulate.live import deliver_via_service, live_tick
from paydesk.simulate.psp_webhooks import webhook_deliverer


@shared_task(name="paydesk.simulate.tasks.simulate_live_tick", ignore_result=True)  # type: ignore[untyped-decorator]
def simulate_live_tick(seed: int | None = None) -> dict[str, Any]:
    """Deliver due PSP steps of simulated payments in flight, start a few new ones, and now and then a player chat."""
    rng = random.Random(seed)
    # In the demo the PSPs' steps arrive as signed HTTP webhooks to the running server.
    result = live_tick(rng=rng, deliver=webhook_deliverer() or deliver_via_service).as_dict()
    inquiry = live_inquiry(rng=rng)
    return {**result, "inquiries": [inquiry] if inquiry else []}
