"""SLA writes: apply clocks to a ticket, change a policy (recompute in the background), seed sensible defaults.

``sla_clocks_apply`` is called by every ticket service before it saves, inside the ticket's transaction, so the
stored deadlines never disagree with the ticket's status. Changing a policy writes the policy and its audit event,
then queues ``sla_recompute_open_tickets`` on commit: a worker never recomputes against a change that rolled back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import NotFound, ValidationError
from paydesk.sla.calendar import CalendarSpec
from paydesk.sla.engine import ClockInputs, choose_policy, compute_clocks, pauses_from_json
from paydesk.sla.models import BusinessCalendar, SlaPolicy
from paydesk.sla.selectors import active_policy_rules, team_rules

if TYPE_CHECKING:
    from paydesk.tickets.models import Ticket

# The fields of a policy that the services (and so the admin form, in this order) may set.
POLICY_FIELDS = (
    "name",
    "position",
    "is_active",
    "priorities",
    "min_vip_level",
    "channels",
    "categories",
    "regions",
    "calendar",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warn_at_percent",
    "breach_bump_priority",
    "breach_escalate_to",
)
_EDITABLE_FIELDS = frozenset(POLICY_FIELDS)
# Fields whose change can move tickets between policies (all open tickets are recomputed) rather than only
# change the targets of the tickets already on the policy.
_SELECTION_FIELDS = frozenset(
    {"position", "is_active", "priorities", "min_vip_level", "channels", "categories", "regions"}
)


def clock_inputs(ticket: Ticket) -> ClockInputs:
    return ClockInputs(
        status=ticket.status,
        priority=ticket.priority,
        channel=ticket.channel,
        category=ticket.category,
        region=ticket.region,
        vip_level=ticket.player.vip_level if ticket.player is not None else 0,
        created_at=ticket.created_at,
        first_responded_at=ticket.first_responded_at,
        awaiting_reply_since=ticket.awaiting_reply_since,
        escalated_at=ticket.escalated_at,
        escalation_acknowledged_at=ticket.escalation_acknowledged_at,
        pauses=pauses_from_json(ticket.sla_pauses),
    )


def sla_clocks_apply(ticket: Ticket) -> None:
    """Choose the ticket's policy and set every deadline/alert column on the instance (the caller saves)."""
    inputs = clock_inputs(ticket)
    policy = choose_policy(active_policy_rules(), inputs)
    team = team_rules({ticket.escalation_team_id}).get(ticket.escalation_team_id) if ticket.escalation_team_id else None
    ticket.sla_policy_id = policy.id if policy else None
    for field, value in compute_clocks(inputs, policy, team).items():
        setattr(ticket, field, value)


def _validate_policy(values: dict[str, Any]) -> None:
    from paydesk.tickets.enums import Category, Channel, Priority

    for field, allowed in (
        ("priorities", Priority.values),
        ("channels", Channel.values),
        ("categories", Category.values),
    ):
        unknown = sorted(set(values.get(field) or ()) - set(allowed))
        if unknown:
            raise ValidationError(f"SLA policy {field}: unknown value(s) {', '.join(unknown)}")
    for field in ("first_response_minutes", "next_response_minutes", "resolution_minutes"):
        if field in values and (not isinstance(values[field], int) or values[field] < 1):
            raise ValidationError(f"SLA policy {field} must be a positive number of minutes, got {values[field]!r}")
    percent = values.get("warn_at_percent", 80)
    if not isinstance(percent, int) or not 1 <= percent <= 99:
        raise ValidationError(f"SLA policy warn_at_percent must be 1-99, got {percent!r}")


def sla_policy_create(*, acting_user: Any | None, **values: Any) -> SlaPolicy:
    unknown = set(values) - _EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"unknown SLA policy field(s): {', '.join(sorted(unknown))}")
    _validate_policy(values)
    with transaction.atomic():
        policy = SlaPolicy.objects.create(updated_at=clock.now(), **values)
        audit_record(
            action="sla_policy.create",
            actor=acting_user,
            object_type="sla_policy",
            object_id=policy.pk,
            data={"name": policy.name},
        )
        transaction.on_commit(lambda: _queue_recompute(None))
    return policy


def sla_policy_update(*, policy_id: int, acting_user: Any | None, **changes: Any) -> SlaPolicy:
    """Change a policy; open tickets' deadlines are recomputed in a background task after commit."""
    unknown = set(changes) - _EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"unknown SLA policy field(s): {', '.join(sorted(unknown))}")
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFound(f"SLA policy {policy_id} not found")
        current = {field: getattr(policy, field) for field in _EDITABLE_FIELDS}
        _validate_policy({**current, **changes})
        changed = sorted(field for field, value in changes.items() if current[field] != value)
        for field in changed:
            setattr(policy, field, changes[field])
        policy.updated_at = clock.now()
        policy.save()
        audit_record(
            action="sla_policy.update",
            actor=acting_user,
            object_type="sla_policy",
            object_id=policy.pk,
            data={"changed": changed},
        )
        scope = None if _SELECTION_FIELDS & set(changed) else policy.pk
        if changed:
            transaction.on_commit(lambda: _queue_recompute(scope))
    return policy


def sla_calendar_save(
    *,
    name: str,
    timezone: str,
    hours: dict[str, Any],
    always_open: bool = False,
    calendar_id: int | None = None,
    acting_user: Any | None,
) -> BusinessCalendar:
    """Create (or, by id or name, replace) a calendar's hours, validated; open tickets are recomputed after commit."""
    CalendarSpec.from_data(timezone=timezone, hours=hours, always_open=always_open)
    values = {"name": name, "timezone": timezone, "hours": hours, "always_open": always_open}
    with transaction.atomic():
        if calendar_id is not None:
            updated = BusinessCalendar.objects.filter(pk=calendar_id).update(**values)
            if not updated:
                raise NotFound(f"calendar {calendar_id} not found")
            calendar, created = BusinessCalendar.objects.get(pk=calendar_id), False
        else:
            calendar, created = BusinessCalendar.objects.update_or_create(name=name, defaults=values)
        audit_record(
            action="sla_calendar.create" if created else "sla_calendar.update",
            actor=acting_user,
            object_type="sla_calendar",
            object_id=calendar.pk,
            data={"name": name, "timezone": timezone},
        )
        if not created:
            transaction.on_commit(lambda: _queue_recompute(None))
    return calendar


def _queue_recompute(policy_id: int | None) -> None:
    from paydesk.sla.tasks import sla_recompute_open_tickets

    sla_recompute_open_tickets.delay(policy_id)


def sla_defaults_ensure(*, acting_user: Any | None = None) -> SlaPolicy:
    """Idempotently create a 24/7 calendar, an office-hours calendar and a catch-all policy (used by the demo)."""
    with transaction.atomic():
        always, _ = BusinessCalendar.objects.get_or_create(
            name="24/7", defaults={"timezone": "UTC", "always_open": True, "hours": {}}
        )
        BusinessCalendar.objects.get_or_create(
            name="Office hours (Europe/Berlin)",
            defaults={
                "timezone": "Europe/Berlin",
                "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            },
        )
        policy, created = SlaPolicy.objects.get_or_create(
            name="Default",
            defaults={
                "position": 1000,
                "calendar": always,
                "first_response_minutes": 60,
                "next_response_minutes": 240,
                "resolution_minutes": 24 * 60,
                "updated_at": clock.now(),
            },
        )
        if created:
            audit_record(
                action="sla_policy.create",
                actor=acting_user,
                object_type="sla_policy",
                object_id=policy.pk,
                data={"name": policy.name},
            )
    return policy
