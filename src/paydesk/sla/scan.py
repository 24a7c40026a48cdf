"""The SLA scan: find every warning and breach due now with set-based queries on the stored alert instants.

For each metric one indexed query reads the tickets whose ``<m>_alert_at`` has passed (a partial index holds only
running clocks, so the cost follows what is due, not how many tickets are open); the rows are locked with SKIP
LOCKED so concurrent scanners split the work. Events are inserted in bulk (the unique constraint makes a repeat a
no-op), alert instants move on in bulk (warning → deadline → NULL), and only events that are new notify anyone.

On a breach the policy may raise the priority one step (set-based, audited per ticket) or escalate the ticket to a
team (through ``ticket_escalate``, after the scan commits).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from django.db import transaction
from django.db.models import F

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import PaydeskError
from paydesk.core.iterables import chunked
from paydesk.sla.engine import CLOCK_START_FIELD
from paydesk.sla.models import EventKind, SlaEvent, SlaPolicy
from paydesk.tickets.enums import PRIORITY_ORDER, Status
from paydesk.tickets.models import SLA_METRICS, Notification, Team, Ticket

logger = logging.getLogger(__name__)

CHUNK = 5000  # stays under SQLite's bound-parameter limit


@dataclass
class ScanResult:
    warnings: int = 0
    breaches: int = 0
    notified: int = 0
    bumped: int = 0
    escalated: int = 0
    breached_ticket_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "warnings": self.warnings,
            "breaches": self.breaches,
            "notified": self.notified,
            "bumped": self.bumped,
            "escalated": self.escalated,
        }


@dataclass(frozen=True, slots=True)
class _Due:
    ticket_id: int
    metric: str
    kind: str
    started_at: datetime
    due_at: datetime
    policy_id: int | None
    team_id: int | None
    escalation_team_id: int | None
    assignee_id: int | None
    number: str


def _due_rows(metric: str, now: datetime) -> list[_Due]:
    alert, due, start = f"{metric}_alert_at", f"{metric}_due_at", CLOCK_START_FIELD[metric]
    rows = (
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(**{f"{alert}__lte": now})
        .values_list("id", due, start, "sla_policy_id", "team_id", "escalation_team_id", "assignee_id", "number")
    )
    result = []
    for ticket_id, due_at, started_at, policy_id, team_id, esc_team_id, assignee_id, number in rows:
        if due_at is None or started_at is None:
            continue
        kind = EventKind.BREACH if due_at <= now else EventKind.WARNING
        result.append(
            _Due(
                ticket_id, metric, kind, started_at, due_at, policy_id, team_id, esc_team_id, assignee_id, number or ""
            )
        )
    return result


def _record(metric: str, due: list[_Due], now: datetime) -> list[_Due]:
    """Insert the events not yet recorded, move the alert instants on; returns the new events."""
    existing: set[tuple[int, str, datetime]] = set()
    for part in chunked([d.ticket_id for d in due], CHUNK):
        existing.update(
            SlaEvent.objects.filter(ticket_id__in=part, metric=metric).values_list("ticket_id", "kind", "started_at")
        )
    new = [d for d in due if (d.ticket_id, d.kind, d.started_at) not in existing]
    SlaEvent.objects.bulk_create(
        [
            SlaEvent(
                ticket_id=d.ticket_id,
                metric=metric,
                kind=d.kind,
                started_at=d.started_at,
                due_at=d.due_at,
                occurred_at=now,
                policy_id=d.policy_id,
            )
            for d in new
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    alert, due_field = f"{metric}_alert_at", f"{metric}_due_at"
    for part in chunked([d.ticket_id for d in due if d.kind == EventKind.BREACH], CHUNK):
        Ticket.objects.filter(id__in=part).update(**{alert: None})
    for part in chunked([d.ticket_id for d in due if d.kind == EventKind.WARNING], CHUNK):
        Ticket.objects.filter(id__in=part).update(**{alert: F(due_field)})
    return new


def _notify(new: list[_Due], now: datetime) -> int:
    leads = dict(Team.objects.filter(lead__isnull=False).values_list("id", "lead_id"))
    notes = []
    for d in new:
        team_id = d.escalation_team_id if d.metric.startswith("escalation") else d.team_id
        lead = leads.get(team_id) if team_id is not None else None
        # A warning goes to whoever holds the ticket (the lead when nobody does); a breach always to the lead.
        recipient = lead if d.kind == EventKind.BREACH else (d.assignee_id or lead)
        if recipient is None:
            continue
        verb = "breached" if d.kind == EventKind.BREACH else "is close to"
        notes.append(
            Notification(
                user_id=recipient,
                ticket_id=d.ticket_id,
                kind=f"sla_{d.kind}",
                text=(
                    f"Ticket {d.number} {verb} its {d.metric.replace('_', ' ')} target "
                    f"(due {d.due_at:%Y-%m-%d %H:%M} UTC)"
                ),
                created_at=now,
            )
        )
    Notification.objects.bulk_create(notes, batch_size=2000)
    return len(notes)


def _bump_priorities(breaches: list[_Due], policies: dict[int, SlaPolicy]) -> list[int]:
    ids = sorted(
        {d.ticket_id for d in breaches if d.policy_id in policies and policies[d.policy_id].breach_bump_priority}
    )
    if not ids:
        return []
    before = dict(Ticket.objects.filter(id__in=ids).values_list("id", "priority"))
    # Highest first, so a ticket raised from low to normal is not raised again in the same scan.
    for lower, higher in reversed(list(pairwise(PRIORITY_ORDER))):
        for part in chunked(ids, CHUNK):
            Ticket.objects.filter(id__in=part, priority=lower).update(priority=higher, version=F("version") + 1)
    after = dict(Ticket.objects.filter(id__in=ids).values_list("id", "priority"))
    bumped = [tid for tid in ids if before.get(tid) != after.get(tid)]
    numbers = dict(Ticket.objects.filter(id__in=bumped).values_list("id", "number"))
    for tid in bumped:
        audit_record(
            action="ticket.priority_bump",
            actor=None,
            actor_label="sla",
            object_type="ticket",
            object_id=numbers.get(tid) or tid,
            data={"from": before[tid], "to": after[tid], "reason": "sla breach"},
        )
    return bumped


def sla_scan(*, now: datetime | None = None) -> ScanResult:
    """Record every warning and breach due at ``now``; notify, bump and escalate as the policies say."""
    from paydesk.sla.recompute import sla_recompute

    at = now or clock.now()
    result = ScanResult()
    to_escalate: list[tuple[int, str]] = []
    with transaction.atomic():
        new_events: list[_Due] = []
        for metric in SLA_METRICS:
            due = _due_rows(metric, at)
            if due:
                new_events.extend(_record(metric, due, at))
        if not new_events:
            return result
        breaches = [d for d in new_events if d.kind == EventKind.BREACH]
        result.warnings = len(new_events) - len(breaches)
        result.breaches = len(breaches)
        result.breached_ticket_ids = sorted({d.ticket_id for d in breaches})
        result.notified = _notify(new_events, at)
        policy_ids = {d.policy_id for d in breaches if d.policy_id is not None}
        policies = {p.pk: p for p in SlaPolicy.objects.filter(pk__in=policy_ids).select_related("breach_escalate_to")}
        bumped = _bump_priorities(breaches, policies)
        result.bumped = len(bumped)
        if bumped:
            sla_recompute(ticket_ids=bumped)
        for d in breaches:
            policy = policies.get(d.policy_id) if d.policy_id is not None else None
            if policy is not None and policy.breach_escalate_to is not None and not d.metric.startswith("escalation"):
                to_escalate.append((d.ticket_id, policy.breach_escalate_to.code))
        audit_record(
            action="sla.scan",
            actor=None,
            actor_label="sla",
            object_type="sla_scan",
            object_id=at.isoformat(),
            data=result.as_dict(),
        )
    result.escalated = _escalate(to_escalate)
    return result


def _escalate(pending: list[tuple[int, str]]) -> int:
    from paydesk.tickets.services import ticket_escalate

    done = 0
    for ticket_id, team in dict(pending).items():
        status = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first()
        if status not in (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER):
            continue
        try:
            ticket_escalate(ticket_id=ticket_id, team=team, note="SLA breached", acting_user=None)
            done += 1
        except PaydeskError as exc:
            logger.warning("SLA escalation of ticket %s to %s refused: %s", ticket_id, team, exc.message)
    return done
