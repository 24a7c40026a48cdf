"""Helpers every ticket service shares: lock a ticket (with an optional version check), move it through the
lifecycle table, keep its SLA pauses and clocks current, and save it with a new version.

Two agents acting on one ticket: each service locks the row (``select_for_update``; SQLite serialises writers with
IMMEDIATE transactions), so no update is lost. A caller that read the ticket earlier passes ``expected_version``; a
ticket changed in between is refused with ``TicketConflict`` naming both versions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import Conflict, NotFound
from paydesk.sla.engine import pauses_from_json, pauses_to_json
from paydesk.sla.services import sla_clocks_apply
from paydesk.tickets.enums import MessageKind
from paydesk.tickets.lifecycle import PAUSED_STATUSES, target_status
from paydesk.tickets.models import Message, Ticket


class TicketConflict(Conflict):
    code = "ticket-conflict"


def label(ticket: Ticket) -> str:
    return ticket.number or f"#{ticket.pk}"


def lock_ticket(ticket_id: int, *, expected_version: int | None = None) -> Ticket:
    """Lock the ticket row for this transaction; refuse a stale ``expected_version``."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    check_version(ticket, expected_version)
    return ticket


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise TicketConflict(
            f"ticket {label(ticket)} was changed by someone else (now version {ticket.version}, you had "
            f"{expected_version}); reload it and try again"
        )


def set_paused(ticket: Ticket, *, paused: bool, at: datetime) -> None:
    pauses = list(pauses_from_json(ticket.sla_pauses))
    is_paused = bool(pauses) and pauses[-1][1] is None
    if paused and not is_paused:
        pauses.append((at, None))
    elif not paused and is_paused:
        pauses[-1] = (pauses[-1][0], at)
    ticket.sla_pauses = pauses_to_json(pauses)


def move(ticket: Ticket, move_name: str, *, acting_user: Any | None, data: dict[str, Any] | None = None) -> str:
    """Apply one lifecycle move to a locked ticket (no save); returns the previous status. Audited."""
    now = clock.now()
    from_status = ticket.status
    to_status = target_status(ticket=label(ticket), from_status=from_status, move=move_name)
    ticket.status = to_status
    set_paused(ticket, paused=to_status in PAUSED_STATUSES, at=now)
    audit_record(
        action=f"ticket.{move_name}",
        actor=acting_user,
        object_type="ticket",
        object_id=label(ticket),
        data={"from": from_status, "to": to_status, **(data or {})},
    )
    return from_status


def save(ticket: Ticket) -> Ticket:
    """Recompute the SLA clocks, bump the version and write the row (inside the caller's transaction)."""
    ticket.updated_at = clock.now()
    ticket.version += 1
    sla_clocks_apply(ticket)
    ticket.save()
    return ticket


def system_note(ticket: Ticket, body: str) -> Message:
    return Message.objects.create(
        ticket=ticket, kind=MessageKind.SYSTEM, body=body, channel="internal", created_at=clock.now()
    )
