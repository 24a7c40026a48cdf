"""Reconciliation reads: runs, the exception inbox (open discrepancies) and work items, without N+1 queries."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from paydesk.core.errors import NotFound, ValidationError
from paydesk.core.roles import CAPABILITIES, Capability
from paydesk.reconciliation.models import (
    Discrepancy,
    DiscrepancyComment,
    DiscrepancyStatus,
    ReconciliationRun,
    WorkItem,
)

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
    return inbox_filtered(psp=psp, type=type, assignee_id=assignee_id, status=status)[:limit]


def inbox_filtered(
    *,
    psp: str | None = None,
    type: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    status: str | None = DiscrepancyStatus.OPEN,
) -> QuerySet[Discrepancy]:
    """The inbox query, unsliced (the console paginates it); ``status=None`` means every status."""
    qs = Discrepancy.objects.select_related("run", "assignee", "work_item")
    if status:
        qs = qs.filter(status=status)
    if psp:
        qs = qs.filter(psp=psp)
    if type:
        qs = qs.filter(type=type)
    if unassigned:
        qs = qs.filter(assignee=None)
    elif assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    return qs.order_by("run__created_at", "id")


def inbox_psps() -> list[str]:
    """PSPs that have discrepancies, for the inbox filter."""
    return list(Discrepancy.objects.order_by("psp").values_list("psp", flat=True).distinct())


def reconciliation_workers() -> list[Any]:
    """Active users who may work discrepancies (assignees to offer), by username; superusers included."""
    roles = [role.value for role in CAPABILITIES[Capability.WORK_RECONCILIATION]]
    return list(
        get_user_model()
        .objects.filter(Q(groups__name__in=roles) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("username")
    )


def discrepancy_get(*, discrepancy_id: int) -> Discrepancy:
    """One discrepancy with its run, people, work item and comments (with authors) loaded."""
    found = (
        Discrepancy.objects.select_related("run", "assignee", "work_item", "resolved_by")
        .prefetch_related(
            Prefetch(
                "comments", queryset=DiscrepancyComment.objects.select_related("author").order_by("created_at", "id")
            )
        )
        .filter(pk=discrepancy_id)
        .first()
    )
    if found is None:
        raise NotFound(f"discrepancy {discrepancy_id} not found")
    return found


def work_items_open() -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(status=DiscrepancyStatus.OPEN)
        .annotate(open_count=Count("discrepancies", filter=Q(discrepancies__status=DiscrepancyStatus.OPEN)))
        .order_by("team", "psp", "type")
    )
