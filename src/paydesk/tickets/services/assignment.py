"""Assignment: who works a ticket. Queues are the unassigned active tickets of a team, region and language.

Rules protected:
- A ticket goes only to an agent with the skills it needs: the ticket's language, its region (an agent with no
  regions serves all), membership of the ticket's team, and free capacity; otherwise a clear error.
- Round-robin: among online agents of the team who qualify and have room, the one assigned longest ago gets the next
  ticket. Agent rows are locked while choosing, so two dispatchers cannot overfill one agent.
- An agent going offline hands every active ticket back to the queue.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from paydesk.core.roles import Role, roles_of
from paydesk.tickets.enums import ACTIVE_STATUSES, Status
from paydesk.tickets.models import AgentProfile, Team, Ticket
from paydesk.tickets.services.base import label, lock_ticket, save

DISPATCH_BATCH = 200
_ASSIGNERS = frozenset({Role.SENIOR, Role.LEAD, Role.ADMIN})


def _profile(user: Any) -> AgentProfile:
    profile = AgentProfile.objects.filter(user=user).prefetch_related("teams").first()
    if profile is None:
        raise ValidationError(f"{user.get_username()} has no agent profile")
    return profile


def _load(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def skill_problem(ticket: Ticket, profile: AgentProfile) -> str | None:
    """Why ``profile`` may not work ``ticket`` (None when it may)."""
    who = profile.user.get_username()
    if ticket.language and ticket.language not in (profile.languages or []):
        speaks = ", ".join(profile.languages or []) or "no languages"
        return f"agent {who} does not work in {ticket.language} (works in {speaks})"
    if ticket.region and profile.regions and ticket.region not in profile.regions:
        return f"agent {who} does not serve region {ticket.region} (serves {', '.join(profile.regions)})"
    if ticket.team_id is not None and ticket.team_id not in {team.pk for team in profile.teams.all()}:
        return f"agent {who} is not in team {ticket.team.code if ticket.team else ticket.team_id}"
    return None


def _check(ticket: Ticket, profile: AgentProfile) -> None:
    problem = skill_problem(ticket, profile)
    if problem:
        raise ValidationError(f"cannot assign ticket {label(ticket)}: {problem}")
    if not profile.is_online:
        raise Conflict(f"cannot assign ticket {label(ticket)}: agent {profile.user.get_username()} is offline")
    load = _load([profile.user_id]).get(profile.user_id, 0)
    if ticket.assignee_id != profile.user_id and load >= profile.capacity:
        raise Conflict(
            f"cannot assign ticket {label(ticket)}: agent {profile.user.get_username()} is at capacity "
            f"({load}/{profile.capacity})"
        )


def _assign(ticket: Ticket, profile: AgentProfile | None, *, acting_user: Any | None, how: str) -> Ticket:
    previous = ticket.assignee.get_username() if ticket.assignee_id and ticket.assignee else None
    ticket.assignee_id = profile.user_id if profile else None
    if profile is not None:
        AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=clock.now())
    audit_record(
        action=f"ticket.{how}",
        actor=acting_user,
        object_type="ticket",
        object_id=label(ticket),
        data={"from": previous, "to": profile.user.get_username() if profile else None},
    )
    return save(ticket)


def _active(ticket: Ticket) -> None:
    if ticket.status not in ACTIVE_STATUSES:
        raise ValidationError(f"ticket {label(ticket)} is {ticket.status}; only active tickets can be assigned")


def ticket_assign(*, ticket_id: int, agent: str, acting_user: Any, expected_version: int | None = None) -> Ticket:
    """Assign (or reassign) to the agent named ``agent``; assigning someone else needs senior, lead or admin."""
    user = get_user_model().objects.filter(username=agent, is_active=True).first()
    if user is None:
        raise NotFound(f"no active user named {agent!r}")
    if user.pk != getattr(acting_user, "pk", None) and not (
        getattr(acting_user, "is_superuser", False) or roles_of(acting_user) & _ASSIGNERS
    ):
        raise PermissionDenied("assigning tickets to others needs the senior, lead or admin role")
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        _active(ticket)
        profile = _profile(user)
        AgentProfile.objects.select_for_update().filter(pk=profile.pk).first()
        _check(ticket, profile)
        how = "reassign" if ticket.assignee_id and ticket.assignee_id != user.pk else "assign"
        return _assign(ticket, profile, acting_user=acting_user, how=how)


def ticket_take(*, ticket_id: int, acting_user: Any, expected_version: int | None = None) -> Ticket:
    """The acting agent takes the ticket from the queue (refused if someone else holds it)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        _active(ticket)
        if ticket.assignee_id is not None and ticket.assignee_id != acting_user.pk:
            raise Conflict(f"ticket {label(ticket)} is already assigned to {ticket.assignee}")
        profile = _profile(acting_user)
        AgentProfile.objects.select_for_update().filter(pk=profile.pk).first()
        _check(ticket, profile)
        return _assign(ticket, profile, acting_user=acting_user, how="take")


def ticket_unassign(*, ticket_id: int, acting_user: Any, expected_version: int | None = None) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id, expected_version=expected_version)
        if ticket.assignee_id is None:
            return ticket
        return _assign(ticket, None, acting_user=acting_user, how="unassign")


def autoassign_locked(ticket: Ticket, *, acting_user: Any | None) -> AgentProfile | None:
    """Round-robin the (locked, unassigned) ticket to a qualifying online agent with room; None if nobody fits."""
    if ticket.assignee_id is not None or ticket.status not in (Status.NEW, Status.OPEN):
        return None
    candidates = AgentProfile.objects.select_for_update().filter(is_online=True, user__is_active=True)
    if ticket.team_id is not None:
        candidates = candidates.filter(teams=ticket.team_id)
    ordered = list(
        candidates.select_related("user")
        .prefetch_related("teams")
        .order_by(F("last_assigned_at").asc(nulls_first=True), "id")
    )
    load = _load([p.user_id for p in ordered])
    for profile in ordered:
        if load.get(profile.user_id, 0) < profile.capacity and skill_problem(ticket, profile) is None:
            _assign(ticket, profile, acting_user=acting_user, how="autoassign")
            return profile
    return None


def ticket_autoassign(*, ticket_id: int, acting_user: Any | None) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        autoassign_locked(ticket, acting_user=acting_user)
        return ticket


def queue_dispatch(*, team: str | None = None, limit: int = DISPATCH_BATCH) -> int:
    """Hand out waiting queue tickets, oldest first; returns how many were assigned."""
    waiting = Ticket.objects.filter(assignee__isnull=True, status__in=(Status.NEW, Status.OPEN))
    if team:
        waiting = waiting.filter(team__code=team)
    assigned = 0
    for ticket_id in waiting.order_by("created_at", "id").values_list("id", flat=True)[:limit]:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is not None and autoassign_locked(ticket, acting_user=None) is not None:
                assigned += 1
    return assigned


def agent_set_online(*, user: Any, online: bool, acting_user: Any | None) -> int:
    """Mark an agent on- or offline; going offline returns their active tickets to the queue (returns how many)."""
    returned = 0
    with transaction.atomic():
        profile = AgentProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise ValidationError(f"{user.get_username()} has no agent profile")
        profile.is_online = online
        profile.save(update_fields=["is_online"])
        audit_record(
            action="agent.online" if online else "agent.offline",
            actor=acting_user,
            object_type="agent",
            object_id=user.get_username(),
        )
        if not online:
            held = Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES).order_by("id")
            for ticket_id in held.values_list("id", flat=True):
                ticket = lock_ticket(ticket_id)
                _assign(ticket, None, acting_user=acting_user, how="unassign")
                returned += 1
    return returned


def team_ensure(*, code: str, name: str, kind: str, region: str = "", lead: Any | None = None) -> Team:
    """Create a team if missing, or give an existing one ``lead`` (idempotent; used by the demo and tests)."""
    with transaction.atomic():
        team, created = Team.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "region": region, "lead": lead}
        )
        if not created and (lead is None or team.lead_id == lead.pk):
            return team
        if not created:
            team.lead = lead
            team.save(update_fields=["lead"])
        audit_record(
            action="team.create" if created else "team.lead",
            actor=None,
            actor_label="system",
            object_type="team",
            object_id=code,
            data={"lead": lead.get_username() if lead is not None else None},
        )
    return team


def queue_counts() -> list[dict[str, Any]]:
    """Waiting (unassigned active) tickets per team, region and language."""
    rows = (
        Ticket.objects.filter(assignee__isnull=True, status__in=ACTIVE_STATUSES)
        .values("team__code", "region", "language")
        .annotate(waiting=Count("id"), urgent=Count("id", filter=Q(priority="urgent")))
        .order_by("team__code", "region", "language")
    )
    return [dict(row) for row in rows]


def notification_mark_read(*, notification_id: int, acting_user: Any) -> bool:
    """Mark one of the acting user's notifications read; False if it was already read."""
    from paydesk.tickets.models import Notification

    with transaction.atomic():
        found = Notification.objects.select_for_update().filter(pk=notification_id, user=acting_user).first()
        if found is None:
            raise NotFound(f"notification {notification_id} not found")
        if found.read_at is not None:
            return False
        found.read_at = clock.now()
        found.save(update_fields=["read_at"])
    return True
