"""Duplicates and incidents.

Merge moves the source ticket's messages, transaction links and tags onto the target, marks the source ``merged``
and leaves an audit event on both; both rows are locked in id order so two merges cannot deadlock. An incident is a
parent of many tickets: one reply on it becomes a public message on every linked active ticket (so every player gets
it through their channel), and resolving it resolves them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import NotFound, ValidationError
from paydesk.tickets.enums import ACTIVE_STATUSES, IncidentStatus, MessageKind, Move, Status
from paydesk.tickets.models import Incident, Message, Ticket, TicketTransaction
from paydesk.tickets.services.base import check_version, label, lock_ticket, move, save
from paydesk.tickets.services.intake import message_add
from paydesk.tickets.services.transitions import resolution_code_get


def ticket_merge(
    *, ticket_id: int, into_id: int, acting_user: Any | None, expected_version: int | None = None
) -> Ticket:
    """Merge ticket ``ticket_id`` into ``into_id``; returns the target."""
    if ticket_id == into_id:
        raise ValidationError("a ticket cannot be merged into itself")
    with transaction.atomic():
        locked = {t: lock_ticket(t) for t in sorted((ticket_id, into_id))}
        source, target = locked[ticket_id], locked[into_id]
        check_version(source, expected_version)
        if target.status not in ACTIVE_STATUSES and target.status != Status.RESOLVED:
            raise ValidationError(f"cannot merge into ticket {label(target)}: it is {target.status}")
        if source.player_id != target.player_id:
            raise ValidationError(f"tickets {label(source)} and {label(target)} belong to different players")
        move(source, Move.MERGE, acting_user=acting_user, data={"into": label(target)})
        moved_messages = Message.objects.filter(ticket=source).update(ticket=target)
        target_refs = set(TicketTransaction.objects.filter(ticket=target).values_list("transaction_id", flat=True))
        target_has_primary = TicketTransaction.objects.filter(ticket=target, is_primary=True).exists()
        moved_links = []
        for link in TicketTransaction.objects.filter(ticket=source).select_related("transaction"):
            if link.transaction_id in target_refs:
                link.delete()
                continue
            link.ticket = target
            link.is_primary = link.is_primary and not target_has_primary
            link.save(update_fields=["ticket", "is_primary"])
            moved_links.append(link.transaction.reference)
        target.tags.add(*source.tags.all())
        source.merged_into = target
        if target.status == Status.RESOLVED:
            move(target, Move.REOPEN, acting_user=acting_user, data={"reason": f"merged {label(source)}"})
            target.resolved_at = None
        if source.awaiting_reply_since and (
            target.awaiting_reply_since is None or source.awaiting_reply_since < target.awaiting_reply_since
        ):
            target.awaiting_reply_since = source.awaiting_reply_since
        Message.objects.create(
            ticket=target,
            kind=MessageKind.SYSTEM,
            body=f"Merged {label(source)} into this ticket",
            channel="internal",
            created_at=clock.now(),
        )
        audit_record(
            action="ticket.merged_in",
            actor=acting_user,
            object_type="ticket",
            object_id=label(target),
            data={"source": label(source), "messages": moved_messages, "transactions": moved_links},
        )
        save(source)
        return save(target)


def incident_create(*, title: str, description: str = "", acting_user: Any | None) -> Incident:
    if not title.strip():
        raise ValidationError("incident title is empty")
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title.strip()[:200],
            description=description,
            created_by=acting_user if getattr(acting_user, "pk", None) else None,
            created_at=clock.now(),
        )
        audit_record(
            action="incident.create",
            actor=acting_user,
            object_type="incident",
            object_id=incident.pk,
            data={"title": incident.title},
        )
    return incident


def _open_incident(incident_id: int) -> Incident:
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.status != IncidentStatus.OPEN:
        raise ValidationError(f"incident {incident_id} is already resolved")
    return incident


def incident_link(*, incident_id: int, ticket_ids: Sequence[int], acting_user: Any | None) -> int:
    with transaction.atomic():
        incident = _open_incident(incident_id)
        linked = 0
        for ticket_id in sorted(set(ticket_ids)):
            ticket = lock_ticket(ticket_id)
            if ticket.status not in ACTIVE_STATUSES:
                raise ValidationError(
                    f"ticket {label(ticket)} is {ticket.status}; only active tickets join an incident"
                )
            ticket.incident = incident
            save(ticket)
            linked += 1
        audit_record(
            action="incident.link",
            actor=acting_user,
            object_type="incident",
            object_id=incident.pk,
            data={"tickets": sorted(set(ticket_ids))},
        )
    return linked


def incident_reply(*, incident_id: int, body: str, acting_user: Any) -> int:
    """Post ``body`` as a public reply on every active ticket of the incident; returns how many got it."""
    with transaction.atomic():
        incident = _open_incident(incident_id)
        ids = list(incident.tickets.filter(status__in=ACTIVE_STATUSES).order_by("id").values_list("id", flat=True))
        for ticket_id in ids:
            message_add(ticket_id=ticket_id, body=body, kind=MessageKind.PUBLIC, acting_user=acting_user)
        audit_record(
            action="incident.reply",
            actor=acting_user,
            object_type="incident",
            object_id=incident.pk,
            data={"tickets": ids},
        )
    return len(ids)


def incident_resolve(*, incident_id: int, resolution_code: str, body: str = "", acting_user: Any) -> int:
    """Resolve the incident and every linked active ticket (walking new/escalated tickets through ``open``)."""
    code = resolution_code_get(resolution_code)
    with transaction.atomic():
        incident = _open_incident(incident_id)
        ids = list(incident.tickets.filter(status__in=ACTIVE_STATUSES).order_by("id").values_list("id", flat=True))
        for ticket_id in ids:
            if body:
                message_add(ticket_id=ticket_id, body=body, kind=MessageKind.PUBLIC, acting_user=acting_user)
            ticket = lock_ticket(ticket_id)
            if ticket.status in (Status.NEW, Status.ESCALATED):
                move(ticket, Move.OPEN, acting_user=acting_user, data={"incident": incident.pk})
            move(
                ticket,
                Move.RESOLVE,
                acting_user=acting_user,
                data={"incident": incident.pk, "resolution_code": code.code},
            )
            ticket.resolution_code = code
            ticket.resolved_at = clock.now()
            save(ticket)
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = clock.now()
        incident.resolution_code = code
        incident.save(update_fields=["status", "resolved_at", "resolution_code"])
        audit_record(
            action="incident.resolve",
            actor=acting_user,
            object_type="incident",
            object_id=incident.pk,
            data={"tickets": ids, "resolution_code": code.code},
        )
    return len(ids)
