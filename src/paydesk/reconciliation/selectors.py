"""Reconciliation reads: runs, the exception inbox (open discrepancies) and work items, without N+1 queries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from paydesk.core.errors import NotFound, ValidationError
from paydesk.reconciliation.models import Discrepancy, DiscrepancyStatus, ReconciliationRun, WorkItem

MAX_LIMIT = 500


def run_get(*, run_id: int) -> ReconciliationRun:
    run = ReconciliationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"reconciliation run {run_id} not found")
    return run


def runs_recent(*, psp: str | None = None, limit: int = 50) -> list[ReconciliationRun]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    qs = ReconciliationRun.objects.annotate(
        open_discrepancies=Count("discrepancies", filter=Q(discrepancies__status=DiscrepancyStatus.OPEN))
    )
    if psp:
        qs = qs.filter(psp=psp)
    return list(qs.order_by("-created_at", "-id")[:limit])


def inbox(
    *,
    psp: str | None = None,
    type: str | None = None,
    assignee_id: int | None = None,
    status: str = DiscrepancyStatus.OPEN,
    limit: int = 100,
) -> QuerySet[Discrepancy]:
    """Discrepancies to work, oldest run first, with run, assignee and work item joined in."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    qs = Discrepancy.objects.select_related("run", "assignee", "work_item").filter(status=status)
    if psp:
        qs = qs.filter(psp=psp)
    if type:
        qs = qs.filter(type=type)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    return qs.order_by("run__created_at", "id")[:limit]


def work_items_open() -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(status=DiscrepancyStatus.OPEN)
        .annotate(open_count=Count("discrepancies", filter=Q(discrepancies__status=DiscrepancyStatus.OPEN)))
        .order_by("team", "psp", "type")
    )
