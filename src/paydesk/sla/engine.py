"""SLA clocks: which policy governs a ticket, and where each of its deadlines and warnings falls.

Everything here is pure over frozen snapshots (``PolicyRule``, ``TeamRule``, ``ClockInputs``), so the same code
computes deadlines inside a ticket service, in the bulk recompute task, and in tests. Rules protected:

- The first active policy (by position) whose every non-empty condition matches governs the ticket; none = no SLA.
- First response and resolution run from registration; next response runs from the oldest unanswered player message
  after the first response; escalation acknowledge/resolve run from the hand-over, against the team's own targets.
- While the ticket waits for the customer (or sits resolved) every clock is paused: no deadline is stored, and the
  paused stretch is excluded when the clocks resume (pauses are kept on the row, so a recompute is exact).
- A warning falls at ``warn_at_percent`` of the target in business time; ``<m>_alert_at`` starts at the warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paydesk.sla.calendar import CalendarSpec, clock_for
from paydesk.tickets.enums import ACTIVE_STATUSES, Status
from paydesk.tickets.models import SLA_METRICS

Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class PolicyRule:
    id: int
    name: str
    priorities: frozenset[str]
    min_vip_level: int | None
    channels: frozenset[str]
    categories: frozenset[str]
    regions: frozenset[str]
    calendar: CalendarSpec
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    warn_at_percent: int = 80

    def matches(self, *, priority: str, vip_level: int, channel: str, category: str, region: str) -> bool:
        return (
            (not self.priorities or priority in self.priorities)
            and (self.min_vip_level is None or vip_level >= self.min_vip_level)
            and (not self.channels or channel in self.channels)
            and (not self.categories or category in self.categories)
            and (not self.regions or region in self.regions)
        )


@dataclass(frozen=True, slots=True)
class TeamRule:
    team_id: int
    calendar: CalendarSpec
    acknowledge_minutes: int
    resolve_minutes: int
    warn_at_percent: int = 80


@dataclass(frozen=True, slots=True)
class ClockInputs:
    status: str
    priority: str
    channel: str
    category: str
    region: str
    vip_level: int
    created_at: datetime
    first_responded_at: datetime | None = None
    awaiting_reply_since: datetime | None = None
    escalated_at: datetime | None = None
    escalation_acknowledged_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()


# Column names written by ``compute_clocks`` (all nullable datetimes on the ticket row).
CLOCK_FIELDS: tuple[str, ...] = tuple(f"{m}_{suffix}" for m in SLA_METRICS for suffix in ("due_at", "alert_at"))
# Which ticket column each metric's clock starts from (also the SLA event's ``started_at``).
CLOCK_START_FIELD: dict[str, str] = {
    "first_response": "created_at",
    "next_response": "awaiting_reply_since",
    "resolution": "created_at",
    "escalation_ack": "escalated_at",
    "escalation_resolve": "escalated_at",
}


def choose_policy(rules: Iterable[PolicyRule], inputs: ClockInputs) -> PolicyRule | None:
    """The first matching rule; ``rules`` must already be in position order."""
    for rule in rules:
        if rule.matches(
            priority=inputs.priority,
            vip_level=inputs.vip_level,
            channel=inputs.channel,
            category=inputs.category,
            region=inputs.region,
        ):
            return rule
    return None


def _closed_pauses(pauses: Sequence[Pause]) -> list[tuple[datetime, datetime]]:
    return [(start, end) for start, end in pauses if end is not None]


def compute_clocks(inputs: ClockInputs, policy: PolicyRule | None, team: TeamRule | None) -> dict[str, datetime | None]:
    """Deadline and first alert instant of every metric (None = clock not running)."""
    values: dict[str, datetime | None] = dict.fromkeys(CLOCK_FIELDS)
    if inputs.status not in ACTIVE_STATUSES:
        return values
    if inputs.pauses and inputs.pauses[-1][1] is None:
        return values  # paused now: no deadline exists until the clocks resume
    pauses = _closed_pauses(inputs.pauses)

    def put(metric: str, spec: CalendarSpec, start: datetime, minutes: int, percent: int) -> None:
        clock = clock_for(spec)
        target = minutes * 60
        values[f"{metric}_due_at"] = clock.add(start, target, pauses)
        values[f"{metric}_alert_at"] = clock.add(start, target * percent // 100, pauses)

    if policy is not None:
        if inputs.first_responded_at is None:
            put(
                "first_response",
                policy.calendar,
                inputs.created_at,
                policy.first_response_minutes,
                policy.warn_at_percent,
            )
        elif inputs.awaiting_reply_since is not None:
            put(
                "next_response",
                policy.calendar,
                inputs.awaiting_reply_since,
                policy.next_response_minutes,
                policy.warn_at_percent,
            )
        put("resolution", policy.calendar, inputs.created_at, policy.resolution_minutes, policy.warn_at_percent)
    if team is not None and inputs.status == Status.ESCALATED and inputs.escalated_at is not None:
        if inputs.escalation_acknowledged_at is None:
            put("escalation_ack", team.calendar, inputs.escalated_at, team.acknowledge_minutes, team.warn_at_percent)
        put("escalation_resolve", team.calendar, inputs.escalated_at, team.resolve_minutes, team.warn_at_percent)
    return values


def pauses_from_json(raw: Any) -> tuple[Pause, ...]:
    """The ticket's stored pauses ``[[iso, iso|null], ...]`` as datetimes."""
    result: list[Pause] = []
    for item in raw or ():
        start = datetime.fromisoformat(item[0])
        end = datetime.fromisoformat(item[1]) if item[1] else None
        result.append((start, end))
    return tuple(result)


def pauses_to_json(pauses: Sequence[Pause]) -> list[list[str | None]]:
    return [[start.isoformat(), end.isoformat() if end else None] for start, end in pauses]
