"""Payments reads: a transaction with its timeline, and search by player or PSP reference.

Each selector issues a fixed number of queries whatever the size of the result (no N+1): related rows are joined
or prefetched.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from paydesk.core.errors import NotFound, ValidationError
from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import Transaction, TransactionEvent, WebhookEvent

MAX_SEARCH_LIMIT = 200


def _base() -> QuerySet[Transaction]:
    return Transaction.objects.select_related("player", "method", "psp", "parent")


def transaction_get(*, reference: str) -> Transaction:
    txn = (
        _base()
        .prefetch_related(Prefetch("events", queryset=TransactionEvent.objects.order_by("occurred_at", "id")))
        .filter(reference=reference)
        .first()
    )
    if txn is None:
        raise NotFound(f"transaction {reference} not found")
    return txn


def transaction_search(
    *,
    player: str | None = None,
    psp_reference: str | None = None,
    psp: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[Transaction]:
    """Newest first. ``player`` is the player's external id; at least one of player/psp_reference is required."""
    if not player and not psp_reference:
        raise ValidationError("search needs a player or a psp_reference")
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_SEARCH_LIMIT}, got {limit}")
    qs = _base()
    if player:
        qs = qs.filter(player__external_id=player)
    if psp_reference:
        qs = qs.filter(psp_reference=psp_reference)
    if psp:
        qs = qs.filter(psp__code=psp)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-created_at", "-id")[:limit])


def webhook_events_list(*, status: str | None = None, psp: str | None = None, limit: int = 50) -> list[WebhookEvent]:
    """Stored PSP webhook events, newest first (orphans, rejections and failures are what an agent looks for)."""
    if status is not None and status not in WebhookEventStatus.values:
        raise ValidationError(
            f"unknown webhook event status {status!r}; expected one of {', '.join(WebhookEventStatus.values)}"
        )
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_SEARCH_LIMIT}, got {limit}")
    qs = WebhookEvent.objects.select_related("transaction")
    if status:
        qs = qs.filter(status=status)
    if psp:
        qs = qs.filter(psp_code=psp)
    return list(qs.order_by("-received_at", "-id")[:limit])
