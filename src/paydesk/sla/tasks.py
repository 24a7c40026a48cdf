"""SLA background work: the periodic scan and the recompute after a policy change (Celery; eager when embedded)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from paydesk.sla.recompute import sla_recompute
from paydesk.sla.scan import sla_scan as run_scan


@shared_task(name="paydesk.sla.tasks.sla_scan")  # type: ignore[untyped-decorator]
def sla_scan() -> dict[str, Any]:
    return run_scan().as_dict()


@shared_task(name="paydesk.sla.tasks.sla_recompute_open_tickets")  # type: ignore[untyped-decorator]
def sla_recompute_open_tickets(policy_id: int | None = None) -> int:
    """Recompute the clocks of open tickets on ``policy_id`` (or of all open tickets when None)."""
    return sla_recompute(policy_id=policy_id)
