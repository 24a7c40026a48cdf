"""Periodic task: the live trickle of simulated payment traffic (``PERIODIC_JOBS`` runs it every few seconds).

A Celery task for production beat and a plain callable for the embedded scheduler; the work is in
``paydesk.simulate.live``.
"""

from __future__ import annotations

import random
from typing import Any

from celery import shared_task

from paydesk.simulate.live import live_tick


@shared_task(name="paydesk.simulate.tasks.simulate_live_tick", ignore_result=True)  # type: ignore[untyped-decorator]
def simulate_live_tick(seed: int | None = None) -> dict[str, Any]:
    """Deliver due PSP steps of simulated payments in flight and start a few new ones."""
    rng = random.Random(seed)
    return live_tick(rng=rng).as_dict()
