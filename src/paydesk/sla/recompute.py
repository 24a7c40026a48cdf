"""Recompute stored SLA clocks of open tickets in batches (after a policy or calendar change).

Each batch reads only the columns the clocks depend on, computes deadlines in Python through the cached calendar
indexes, and writes them back in one statement (PostgreSQL: ``UPDATE … FROM unnest(arrays)``). A row is written
only if its ``version`` is still the one read: a ticket a service changed meanwhile already carries clocks computed
by that service, and a stale snapshot must not overwrite them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from paydesk.sla.engine import CLOCK_FIELDS, ClockInputs, choose_policy, compute_clocks, pauses_from_json
from paydesk.sla.selectors import active_policy_rules, team_rules
from paydesk.tickets.enums import ACTIVE_STATUSES
from paydesk.tickets.models import Ticket

BATCH = 5000
_READ = (
    "id",
    "version",
    "status",
    "priority",
    "channel",
    "category",
    "region",
    "player__vip_level",
    "created_at",
    "first_responded_at",
    "awaiting_reply_since",
    "escalated_at",
    "escalation_acknowledged_at",
    "sla_pauses",
    "escalation_team_id",
)

Row = tuple[Any, ...]


def sla_recompute(*, policy_id: int | None = None, ticket_ids: Sequence[int] | None = None, batch: int = BATCH) -> int:
    """Recompute clocks of active tickets (all, those on ``policy_id``, or ``ticket_ids``); returns rows written."""
    rules = active_policy_rules()
    teams = team_rules()
    qs = Ticket.objects.filter(status__in=ACTIVE_STATUSES)
    if policy_id is not None:
        qs = qs.filter(sla_policy_id=policy_id)
    if ticket_ids is not None:
        qs = qs.filter(id__in=list(ticket_ids))
    written, last = 0, 0
    while True:
        rows = list(qs.filter(id__gt=last).order_by("id").values_list(*_READ)[:batch])
        if not rows:
            return written
        updates: list[Row] = []
        for row in rows:
            (
                tid,
                version,
                status,
                priority,
                channel,
                category,
                region,
                vip,
                created,
                first,
                awaiting,
                escalated,
                acknowledged,
                pauses,
                escalation_team,
            ) = row
            inputs = ClockInputs(
                status=status,
                priority=priority,
                channel=channel,
                category=category,
                region=region,
                vip_level=vip or 0,
                created_at=created,
                first_responded_at=first,
                awaiting_reply_since=awaiting,
                escalated_at=escalated,
                escalation_acknowledged_at=acknowledged,
                pauses=pauses_from_json(pauses),
            )
            policy = choose_policy(rules, inputs)
            team = teams.get(escalation_team) if escalation_team is not None else None
            clocks = compute_clocks(inputs, policy, team)
            updates.append((tid, version, policy.id if policy else None, *(clocks[f] for f in CLOCK_FIELDS)))
        written += _write(updates)
        last = rows[-1][0]


def _write(updates: list[Row]) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _write_postgres(updates)
        written = 0
        for tid, version, policy, *clocks in updates:
            values: dict[str, datetime | int | None] = dict(zip(CLOCK_FIELDS, clocks, strict=True))
            values["sla_policy_id"] = policy
            written += Ticket.objects.filter(id=tid, version=version).update(**values)
        return written


def _write_postgres(updates: list[Row]) -> int:
    table = Ticket._meta.db_table
    columns = list(zip(*updates, strict=True))
    assignments = ", ".join(["sla_policy_id = v.policy", *(f"{f} = v.{f}" for f in CLOCK_FIELDS)])
    casts = ", ".join(["%s::bigint[]", "%s::bigint[]", "%s::bigint[]", *["%s::timestamptz[]"] * len(CLOCK_FIELDS)])
    names = ", ".join(["id", "version", "policy", *CLOCK_FIELDS])
    sql = (
        f"UPDATE {table} AS t SET {assignments} FROM unnest({casts}) AS v({names}) "  # noqa: S608 - identifiers are ours
        "WHERE t.id = v.id AND t.version = v.version"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(col) for col in columns])
        return int(cursor.rowcount)
