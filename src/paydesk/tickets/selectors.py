"""Ticket reads: one ticket with its conversation, queue listings, and merge suggestions (fixed query counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from paydesk.core.errors import NotFound, ValidationError
from paydesk.tickets.enums import ACTIVE_STATUSES, Category
from paydesk.tickets.models import Message, Notification, Ticket, TicketTransaction

MAX_LIST = 200


def _base() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("player", "assignee", "team", "escalation_team", "resolution_code")


def ticket_get(*, ticket_id: int) -> Ticket:
    ticket = (
        _base()
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author_user", "author_player")
                .prefetch_related("attachments")
                .order_by("created_at", "id"),
            ),
            Prefetch("transaction_links", queryset=TicketTransaction.objects.select_related("transaction")),
            "tags",
        )
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def ticket_list(
    *,
    status: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    region: str | None = None,
    language: str | None = None,
    player: str | None = None,
    limit: int = 50,
) -> list[Ticket]:
    """Tickets, most urgent deadline first (then oldest)."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationError(f"limit must be between 1 and {MAX_LIST}, got {limit}")
    qs = _base()
    qs = qs.filter(status=status) if status else qs.filter(status__in=ACTIVE_STATUSES)
    if team:
        qs = qs.filter(team__code=team)
    if assignee:
        qs = qs.filter(assignee__username=assignee)
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    if region:
        qs = qs.filter(region=region)
    if language:
        qs = qs.filter(language=language)
    if player:
        qs = qs.filter(player__external_id=player)
    links = Prefetch("transaction_links", queryset=TicketTransaction.objects.select_related("transaction"))
    return list(qs.prefetch_related("tags", links).order_by("resolution_due_at", "created_at", "id")[:limit])


@dataclass(frozen=True, slots=True)
class MergeSuggestion:
    ticket: Ticket
    reason: str


def duplicates_suggest(*, ticket_id: int, window_hours: int = 72) -> list[MergeSuggestion]:
    """Active tickets of the same player within the window about the same transaction or (specific) category."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    if ticket.player_id is None:
        return []
    window = timedelta(hours=window_hours)
    txn_ids = list(TicketTransaction.objects.filter(ticket=ticket).values_list("transaction_id", flat=True))
    same_category = Q(category=ticket.category) if ticket.category and ticket.category != Category.OTHER else Q(pk=None)
    candidates = (
        _base()
        .prefetch_related(
            "tags", Prefetch("transaction_links", queryset=TicketTransaction.objects.select_related("transaction"))
        )
        .filter(
            player_id=ticket.player_id,
            status__in=ACTIVE_STATUSES,
            created_at__gte=ticket.created_at - window,
            created_at__lte=ticket.created_at + window,
        )
        .exclude(pk=ticket.pk)
        .filter(Q(transaction_links__transaction_id__in=txn_ids) | same_category)
        .distinct()
        .order_by("created_at", "id")
    )
    shared = set(
        TicketTransaction.objects.filter(ticket__in=candidates, transaction_id__in=txn_ids).values_list(
            "ticket_id", flat=True
        )
    )
    return [
        MergeSuggestion(
            ticket=other, reason="same transaction" if other.pk in shared else f"same category {ticket.category}"
        )
        for other in candidates
    ]


def notifications_for(*, user: Any, unread_only: bool = True, limit: int = 50) -> list[Notification]:
    qs = Notification.objects.filter(user=user).select_related("ticket")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return list(qs.order_by("-created_at", "-id")[:limit])
