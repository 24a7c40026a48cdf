"""Lifecycle services: one per move, each in one transaction with its audit event.

``ticket_close`` needs a resolution code (given now or at resolve). ``tickets_autoclose`` closes resolved tickets the
player has left quiet for ``PAYDESK_TICKET_AUTOCLOSE_HOURS`` (default 72), at most a batch per run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import ValidationError
from paydesk.tickets.enums import Move, Status
from paydesk.tickets.models import ResolutionCode, Team, Ticket
from paydesk.tickets.services.base import label, lock_ticket, move, save, system_note

AUTOCLOSE_BATCH = 500


def resolution_code_get(code: str) -> ResolutionCode:
    found = ResolutionCode.objects.filter(code=code, is_active=True).first()
    if found is None:
        known = ", ".join(ResolutionCode.objects.filter(is_active=True).order_by("code").values_list("code", flat=True))
        raise ValidationError(f"unknown resolution code {code!r}; expected one of {known}")
    return found


def ticket_open(*, ticket_id: int, acting_user: Any | None, expected_version: int | None = None) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        move(ticket, Move.OPEN, acting_user=acting_user)
        return save(ticket)


def ticket_set_pending(*, ticket_id: int, acting_user: Any | None, expected_version: int | None = None) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        move(ticket, Move.SET_PENDING, acting_user=acting_user)
        return save(ticket)


def ticket_escalate(
    *,
    ticket_id: int,
    team: str,
    note: str = "",
    acting_user: Any | None,
    expected_version: int | None = None,
) -> Ticket:
    """Hand the ticket to ``team`` (a team code); the team's acknowledge/resolve clocks start now."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        target = Team.objects.filter(code=team, is_active=True).first()
        if target is None:
            raise ValidationError(f"cannot escalate ticket {label(ticket)}: no active team {team!r}")
        move(ticket, Move.ESCALATE, acting_user=acting_user, data={"team": target.code, "note": note})
        ticket.escalation_team = target
        ticket.escalated_at = clock.now()
        ticket.escalation_acknowledged_at = None
        system_note(ticket, f"Escalated to {target.name}" + (f": {note}" if note else ""))
        return save(ticket)


def ticket_escalation_acknowledge(
    *, ticket_id: int, acting_user: Any | None, expected_version: int | None = None
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        if ticket.status != Status.ESCALATED:
            raise ValidationError(f"ticket {label(ticket)} is not escalated (status {ticket.status})")
        if ticket.escalation_acknowledged_at is None:
            ticket.escalation_acknowledged_at = clock.now()
            audit_record(
                action="ticket.escalation_acknowledge",
                actor=acting_user,
                object_type="ticket",
                object_id=label(ticket),
                data={"team": ticket.escalation_team.code if ticket.escalation_team else None},
            )
        return save(ticket)


def ticket_resolve(
    *,
    ticket_id: int,
    resolution_code: str | None = None,
    acting_user: Any | None,
    expected_version: int | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        code = resolution_code_get(resolution_code) if resolution_code else None
        move(ticket, Move.RESOLVE, acting_user=acting_user, data={"resolution_code": resolution_code})
        if code is not None:
            ticket.resolution_code = code
        ticket.resolved_at = clock.now()
        return save(ticket)


def ticket_close(
    *,
    ticket_id: int,
    resolution_code: str | None = None,
    acting_user: Any | None,
    expected_version: int | None = None,
) -> Ticket:
    """Close a resolved ticket; it needs a resolution code, given now or when it was resolved."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        if resolution_code:
            code = resolution_code_get(resolution_code)
        elif ticket.resolution_code is not None:
            code = ticket.resolution_code
        else:
            raise ValidationError(f"closing ticket {label(ticket)} needs a resolution code")
        move(ticket, Move.CLOSE, acting_user=acting_user, data={"resolution_code": code.code})
        ticket.resolution_code = code
        ticket.closed_at = clock.now()
        return save(ticket)


def ticket_reopen(*, ticket_id: int, acting_user: Any | None, expected_version: int | None = None) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        move(ticket, Move.REOPEN, acting_user=acting_user)
        ticket.resolved_at = None
        return save(ticket)


def tickets_autoclose(*, quiet_hours: float | None = None) -> int:
    """Close resolved tickets with no player message since resolution for the quiet period; returns how many."""
    hours = quiet_hours if quiet_hours is not None else float(getattr(settings, "PAYDESK_TICKET_AUTOCLOSE_HOURS", 72))
    cutoff = clock.now() - timedelta(hours=hours)
    due = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
        .order_by("resolved_at", "id")
        .values_list("id", flat=True)[:AUTOCLOSE_BATCH]
    )
    fallback = getattr(settings, "PAYDESK_TICKET_AUTOCLOSE_CODE", "no_customer_response")
    closed = 0
    for ticket_id in due:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            # Re-check under the lock: the player may have written (reopening it) since the list was read.
            if ticket is None or ticket.status != Status.RESOLVED or ticket.resolved_at is None:
                continue
            if ticket.resolved_at > cutoff:
                continue
            code = ticket.resolution_code or resolution_code_get(fallback)
            move(ticket, Move.CLOSE, acting_user=None, data={"resolution_code": code.code, "auto": True})
            ticket.resolution_code = code
            ticket.closed_at = clock.now()
            save(ticket)
            closed += 1
    return closed
