"""Report queries: SLA compliance, volumes, backlog by age, escalations, root causes, agent productivity.

Every report is set-based and aggregated in the database with a fixed number of queries, whatever the number of
tickets (tests assert the counts). The console dashboard, the CLI exports and the download endpoints all read these
functions, so a figure is the same wherever it is shown.

Definitions (a report is only as good as its definitions, so they are stated once, here):

- A period is a half-open UTC interval ``[start, end)``; ``period_from_dates`` turns inclusive dates into one.
- SLA compliance counts the clocks that *started* in the period on tickets governed by an SLA policy (merged tickets
  excluded): first response and resolution start when the ticket is registered; a next-response clock starts at the
  first player message after an agent's public reply (the messages one reply answers form one cycle). A clock is
  *measured* once it stopped (answered, resolved) or breached; *met* means measured and no breach recorded for it by
  the SLA scan (``SlaEvent``), which is the desk's record of breaches. Durations are wall-clock seconds from the clock
  start to the reply or resolution (business-hours targets are what the breach records judge).
- Percentiles are continuous (linear interpolation, as PostgreSQL's ``percentile_cont``). On PostgreSQL they are
  computed by ``percentile_cont`` in the aggregate query; SQLite has no such aggregate, so there one more query reads
  the durations of every group (ordered) and ``percentile_cont`` below computes them exactly the same way in Python.
  Both give the same numbers (rounded to the millisecond); the tests run on both databases.
- PSP and method of a ticket come from its primary linked transaction; a ticket without one reports ``(none)``.
- Backlog is the tickets still being worked now (new, open, pending customer, escalated) that were registered in the
  period, bucketed by their age at the time of the query.
- Escalations are grouped by the team the ticket was last handed to (the ticket row keeps its latest hand-over);
  time to resolve runs from the hand-over to the ticket's resolution.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, FilteredRelation, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from paydesk.core import clock
from paydesk.core.errors import ValidationError
from paydesk.sla.models import EventKind, Metric, SlaEvent
from paydesk.tickets.enums import ACTIVE_STATUSES, MessageKind, Status
from paydesk.tickets.models import Message, Team, Ticket

NONE_KEY = "(none)"
ColumnKind = Literal["text", "int", "percent", "seconds"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    kind: ColumnKind = "text"


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        last_day = (self.end - timedelta(microseconds=1)).date()
        return f"{self.start.date().isoformat()} to {last_day.isoformat()}"


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    period: Period
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def values(self) -> list[list[Any]]:
        return [[row.get(column.key) for column in self.columns] for row in self.rows]


def period_from_dates(date_from: date, date_to: date) -> Period:
    """The UTC period covering both dates entirely; refuses an inverted range."""
    if date_to < date_from:
        raise ValidationError(f"report period ends ({date_to}) before it starts ({date_from})")
    tz = clock.now().tzinfo
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    return Period(start=start, end=end)


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """Continuous percentile of sorted ``values`` exactly as PostgreSQL's ``percentile_cont`` computes it."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    first = float(values[low])
    if low == high:
        return first
    return first + (float(values[high]) - first) * (position - low)


def _round_seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 2) if whole else None


# --- SQL building blocks shared by the percentile reports ------------------------------------------------------


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _seconds(later: str, earlier: str) -> str:
    """SQL for ``later - earlier`` in seconds (exact to the microsecond on both databases)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    # Django registers django_timestamp_diff on every SQLite connection: the difference in whole microseconds.
    return f"(django_timestamp_diff({later}, {earlier}) / 1000000.0)"


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


@dataclass(frozen=True, slots=True)
class _Percentile:
    alias: str
    expr: str
    fraction: float


def _grouped(
    *,
    ctes: str,
    params: Sequence[Any],
    keys: Sequence[str],
    aggregates: Sequence[tuple[str, str]],
    percentiles: Sequence[_Percentile],
    postgres_grouping: tuple[Sequence[str], str] | None = None,
) -> list[dict[str, Any]]:
    """Aggregate the CTE relation ``src`` by ``keys``: one query on PostgreSQL, two on SQLite (see module doc).

    ``postgres_grouping`` replaces, on PostgreSQL only, the key expressions (aliased to ``keys``) and the GROUP BY
    clause, e.g. for GROUPING SETS.
    """
    key_sql = ", ".join(keys)
    postgres = connection.vendor == "postgresql"
    key_select, group_by = (key_sql, key_sql)
    if postgres and postgres_grouping is not None:
        key_select, group_by = ", ".join(postgres_grouping[0]), postgres_grouping[1]
    select = [key_select, *(f"{sql} AS {alias}" for alias, sql in aggregates)]
    if postgres:
        select += [f"percentile_cont({p.fraction}) WITHIN GROUP (ORDER BY {p.expr}) AS {p.alias}" for p in percentiles]
    sql = f"{ctes} SELECT {', '.join(select)} FROM src GROUP BY {group_by} ORDER BY {key_sql}"  # noqa: S608 - names and values from code; user input is bound
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        names = [col[0] for col in cursor.description]
        rows = [dict(zip(names, record, strict=True)) for record in cursor.fetchall()]
        if postgres or not percentiles:
            return rows
        exprs = list(dict.fromkeys(p.expr for p in percentiles))
        cursor.execute(f"{ctes} SELECT {key_sql}, {', '.join(exprs)} FROM src", list(params))  # noqa: S608 - names and values from code; user input is bound
        samples: dict[tuple[Any, ...], list[list[float]]] = defaultdict(lambda: [[] for _ in exprs])
        for record in cursor.fetchall():
            lists = samples[tuple(record[: len(keys)])]
            for index, value in enumerate(record[len(keys) :]):
                if value is not None:
                    lists[index].append(float(value))
    for row in rows:
        lists = samples.get(tuple(row[name] for name in names[: len(keys)]), [[] for _ in exprs])
        ordered = [sorted(values) for values in lists]
        for p in percentiles:
            row[p.alias] = percentile_cont(ordered[exprs.index(p.expr)], p.fraction)
    return rows


# --- SLA compliance --------------------------------------------------------------------------------------------

SLA_DIMENSIONS = ("all", "team", "agent", "channel", "category", "priority")
SLA_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION)


def _sla_ctes() -> str:
    """The SLA clocks of the period as ``src(dimension, dim_key, metric, seconds, met)``; placeholders: see below."""
    ticket, message, event = _table(Ticket), _table(Message), _table(SlaEvent)
    team, user = _table(Team), _table(get_user_model())
    public, breach = MessageKind.PUBLIC.value, EventKind.BREACH.value

    def breached(alias: str, metric: str, ticket_col: str, start_col: str) -> str:
        # sla_event_once makes (ticket, metric, kind, started_at) unique: the join never multiplies rows.
        return (
            f"LEFT JOIN breaches {alias} ON {alias}.ticket_id = {ticket_col} AND {alias}.metric = '{metric}' "
            f"AND {alias}.started_at = {start_col}"
        )

    # Each dimension unpivots into (dimension, key) so one GROUP BY serves them all.
    unpivot = " UNION ALL ".join(
        f"SELECT '{dim}' AS dimension, {expr} AS dim_key, metric, seconds, met FROM measured"  # noqa: S608
        for dim, expr in (
            ("all", "'all'"),
            ("team", "team_key"),
            ("agent", "agent_key"),
            ("channel", "channel"),
            ("category", "category_key"),
            ("priority", "priority"),
        )
    )
    dims = "b.channel, b.priority, b.category_key, b.team_key, b.agent_key"
    # A clock starting in the period means the ticket was registered in it or the player wrote in it (a next-response
    # cycle starts at a player message), so tickets with neither are never read.
    # Placeholders in order: end, start, start (base), end (messages), then start/end for each of the three clocks.
    return f"""
WITH base AS (
    SELECT t.id, t.created_at, t.first_responded_at, t.resolved_at, t.channel, t.priority,
           CASE WHEN t.category = '' THEN '{NONE_KEY}' ELSE t.category END AS category_key,
           COALESCE(tm.code, '{NONE_KEY}') AS team_key, COALESCE(u.username, '{NONE_KEY}') AS agent_key
    FROM {ticket} t
    LEFT JOIN {team} tm ON tm.id = t.team_id
    LEFT JOIN {user} u ON u.id = t.assignee_id
    WHERE t.sla_policy_id IS NOT NULL AND t.status <> '{Status.MERGED.value}' AND t.created_at < %s
      AND (t.created_at >= %s OR t.last_player_message_at >= %s)
),
breaches AS (
    SELECT ticket_id, metric, started_at FROM {event} WHERE kind = '{breach}'
),
conversation AS (
    SELECT m.ticket_id, m.created_at, b.first_responded_at,
           CASE WHEN m.author_player_id IS NULL THEN 0 ELSE 1 END AS from_player,
           MIN(CASE WHEN m.author_player_id IS NULL THEN m.created_at END) OVER (
               PARTITION BY m.ticket_id ORDER BY m.created_at, m.id
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
           ) AS answered_at
    FROM {message} m JOIN base b ON b.id = m.ticket_id
    WHERE m.kind = '{public}' AND b.first_responded_at IS NOT NULL
      AND m.created_at >= b.first_responded_at AND m.created_at < %s
),
cycles AS (
    SELECT ticket_id, MIN(created_at) AS started_at, answered_at
    FROM conversation
    WHERE from_player = 1 AND created_at > first_responded_at
    GROUP BY ticket_id, answered_at
),
clocks AS (
    SELECT {dims}, '{Metric.FIRST_RESPONSE.value}' AS metric,
           CASE WHEN b.first_responded_at IS NOT NULL THEN {_seconds("b.first_responded_at", "b.created_at")} END
               AS seconds,
           CASE WHEN e.ticket_id IS NULL THEN 0 ELSE 1 END AS breached
    FROM base b {breached("e", Metric.FIRST_RESPONSE, "b.id", "b.created_at")}
    WHERE b.created_at >= %s AND b.created_at < %s
    UNION ALL
    SELECT {dims}, '{Metric.RESOLUTION.value}',
           CASE WHEN b.resolved_at IS NOT NULL THEN {_seconds("b.resolved_at", "b.created_at")} END,
           CASE WHEN e.ticket_id IS NULL THEN 0 ELSE 1 END
    FROM base b {breached("e", Metric.RESOLUTION, "b.id", "b.created_at")}
    WHERE b.created_at >= %s AND b.created_at < %s
    UNION ALL
    SELECT {dims}, '{Metric.NEXT_RESPONSE.value}',
           CASE WHEN c.answered_at IS NOT NULL THEN {_seconds("c.answered_at", "c.started_at")} END,
           CASE WHEN e.ticket_id IS NULL THEN 0 ELSE 1 END
    FROM cycles c JOIN base b ON b.id = c.ticket_id {breached("e", Metric.NEXT_RESPONSE, "b.id", "c.started_at")}
    WHERE c.started_at >= %s AND c.started_at < %s
),
measured AS (
    SELECT metric, channel, priority, category_key, team_key, agent_key, seconds, 1 - breached AS met
    FROM clocks
    WHERE seconds IS NOT NULL OR breached = 1
),
src AS ({"SELECT * FROM measured" if connection.vendor == "postgresql" else unpivot})
"""  # noqa: S608 - names and values from code; user input is bound


# PostgreSQL groups the measured clocks once per dimension with GROUPING SETS instead of sorting the unpivoted
# relation (six times as many rows); the dimension is read back from GROUPING(). Keys are never NULL in ``measured``.
_SLA_DIMENSION_COLUMNS = (
    ("team", "team_key"),
    ("agent", "agent_key"),
    ("channel", "channel"),
    ("category", "category_key"),
    ("priority", "priority"),
)
_SLA_GROUPING_SETS: tuple[Sequence[str], str] = (
    [
        "CASE "
        + " ".join(f"WHEN GROUPING({column}) = 0 THEN '{dim}'" for dim, column in _SLA_DIMENSION_COLUMNS)
        + " ELSE 'all' END AS dimension",
        "COALESCE(" + ", ".join(column for _, column in _SLA_DIMENSION_COLUMNS) + ", 'all') AS dim_key",
        "metric",
    ],
    "GROUPING SETS ((metric), " + ", ".join(f"({column}, metric)" for _, column in _SLA_DIMENSION_COLUMNS) + ")",
)

SLA_COLUMNS = (
    Column("dimension", "Dimension"),
    Column("key", "Group"),
    Column("metric", "Metric"),
    Column("measured", "Measured", "int"),
    Column("met", "Met", "int"),
    Column("breached", "Breached", "int"),
    Column("met_pct", "Met %", "percent"),
    Column("p50_seconds", "p50 (s)", "seconds"),
    Column("p90_seconds", "p90 (s)", "seconds"),
)


def sla_compliance(*, period: Period) -> Report:
    """Met % and p50/p90 durations of first response, next response and resolution, overall and by every dimension.

    Queries: 1 on PostgreSQL, 2 on SQLite.
    """
    rows = _grouped(
        ctes=_sla_ctes(),
        params=[
            _dt(period.end),
            _dt(period.start),
            _dt(period.start),
            _dt(period.end),
            *[_dt(period.start), _dt(period.end)] * 3,
        ],
        keys=["dimension", "dim_key", "metric"],
        aggregates=[("measured", "COUNT(*)"), ("met", "SUM(met)")],
        percentiles=[_Percentile("p50", "seconds", 0.5), _Percentile("p90", "seconds", 0.9)],
        postgres_grouping=_SLA_GROUPING_SETS,
    )
    dim_order = {name: index for index, name in enumerate(SLA_DIMENSIONS)}
    metric_order = {metric.value: index for index, metric in enumerate(SLA_METRICS)}
    rows.sort(key=lambda r: (dim_order[r["dimension"]], str(r["dim_key"]), metric_order[r["metric"]]))
    result = []
    for row in rows:
        measured, met = int(row["measured"]), int(row["met"])
        result.append(
            {
                "dimension": row["dimension"],
                "key": row["dim_key"],
                "metric": row["metric"],
                "measured": measured,
                "met": met,
                "breached": measured - met,
                "met_pct": _percent(met, measured),
                "p50_seconds": _round_seconds(row["p50"]),
                "p90_seconds": _round_seconds(row["p90"]),
            }
        )
    return Report("sla", "SLA compliance", period, SLA_COLUMNS, result)


# --- Volumes ---------------------------------------------------------------------------------------------------


def _with_primary(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Join the ticket's primary transaction link (LEFT JOIN; at most one row, by ticket_one_primary_transaction)."""
    return qs.annotate(
        primary_link=FilteredRelation("transaction_links", condition=Q(transaction_links__is_primary=True))
    )


PSP_PATH = "primary_link__transaction__psp__code"
METHOD_PATH = "primary_link__transaction__method__type"


def _in_period(period: Period) -> QuerySet[Ticket]:
    return Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end).exclude(status=Status.MERGED)


VOLUME_COLUMNS = (
    Column("dimension", "Dimension"),
    Column("key", "Group"),
    Column("tickets", "Tickets", "int"),
    Column("share_pct", "Share %", "percent"),
)


def volumes(*, period: Period) -> Report:
    """Tickets registered in the period by channel, category, PSP and payment method (merged ones excluded).

    Queries: 4 (one GROUP BY per dimension).
    """
    base = _in_period(period)
    groupings: list[tuple[str, Any]] = [
        ("channel", base.annotate(k=Coalesce("channel", Value(NONE_KEY)))),
        ("category", base.annotate(k=Coalesce("category", Value(NONE_KEY)))),
        ("psp", _with_primary(base).annotate(k=Coalesce(PSP_PATH, Value(NONE_KEY)))),
        ("method", _with_primary(base).annotate(k=Coalesce(METHOD_PATH, Value(NONE_KEY)))),
    ]
    rows: list[dict[str, Any]] = []
    for dimension, qs in groupings:
        counts = [(k or NONE_KEY, n) for k, n in qs.values("k").annotate(n=Count("id")).values_list("k", "n")]
        total = sum(n for _, n in counts)
        for key, n in sorted(counts, key=lambda item: (-item[1], item[0])):
            rows.append({"dimension": dimension, "key": key, "tickets": n, "share_pct": _percent(n, total)})
    return Report("volumes", "Ticket volumes", period, VOLUME_COLUMNS, rows)


# --- Backlog by age --------------------------------------------------------------------------------------------

AGE_BUCKETS: tuple[tuple[str, str, timedelta | None], ...] = (
    ("under_1h", "< 1 h", timedelta(hours=1)),
    ("h1_4", "1-4 h", timedelta(hours=4)),
    ("h4_24", "4-24 h", timedelta(hours=24)),
    ("d1_3", "1-3 d", timedelta(days=3)),
    ("d3_7", "3-7 d", timedelta(days=7)),
    ("over_7d", "> 7 d", None),
)

BACKLOG_COLUMNS = (
    Column("team", "Team"),
    Column("total", "Open tickets", "int"),
    *(Column(key, header, "int") for key, header, _ in AGE_BUCKETS),
)


def backlog(*, period: Period) -> Report:
    """Tickets still being worked, registered in the period, by team and age bucket (age as of now). Queries: 1."""
    now = clock.now()
    aggregates: dict[str, Any] = {"total": Count("id")}
    younger_than: datetime | None = None
    for key, _, limit in AGE_BUCKETS:
        condition = Q() if younger_than is None else Q(created_at__lte=younger_than)
        if limit is not None:
            condition &= Q(created_at__gt=now - limit)
            younger_than = now - limit
        aggregates[key] = Count("id", filter=condition)
    qs = (
        Ticket.objects.filter(status__in=ACTIVE_STATUSES, created_at__gte=period.start, created_at__lt=period.end)
        .annotate(team_key=Coalesce("team__code", Value(NONE_KEY)))
        .values("team_key")
        .annotate(**aggregates)
        .order_by("team_key")
    )
    rows = [{"team": row["team_key"], **{k: v for k, v in row.items() if k != "team_key"}} for row in qs]
    return Report("backlog", "Backlog by age", period, BACKLOG_COLUMNS, rows)


# --- Escalations -----------------------------------------------------------------------------------------------

ESCALATION_COLUMNS = (
    Column("team", "Team"),
    Column("escalated", "Escalated", "int"),
    Column("acknowledged", "Acknowledged", "int"),
    Column("still_escalated", "Still escalated", "int"),
    Column("resolved", "Resolved", "int"),
    Column("ack_breaches", "Acknowledge breaches", "int"),
    Column("resolve_breaches", "Resolve breaches", "int"),
    Column("p50_ack_seconds", "p50 to acknowledge (s)", "seconds"),
    Column("p50_resolve_seconds", "p50 to resolve (s)", "seconds"),
    Column("p90_resolve_seconds", "p90 to resolve (s)", "seconds"),
)


def escalations(*, period: Period) -> Report:
    """Hand-overs in the period per team, with time to acknowledge and to resolve. Queries: 1 PG, 2 SQLite."""
    ticket, team, event = _table(Ticket), _table(Team), _table(SlaEvent)
    breach = EventKind.BREACH.value

    def breached(metric: str) -> str:
        return (
            f"CASE WHEN EXISTS (SELECT 1 FROM {event} e WHERE e.ticket_id = t.id AND e.metric = '{metric}' "  # noqa: S608
            f"AND e.kind = '{breach}' AND e.started_at = t.escalated_at) THEN 1 ELSE 0 END"
        )

    resolved = "t.resolved_at IS NOT NULL AND t.resolved_at >= t.escalated_at"
    ctes = f"""
WITH src AS (
    SELECT tm.code AS team_key,
           CASE WHEN t.escalation_acknowledged_at IS NOT NULL THEN 1 ELSE 0 END AS acknowledged,
           CASE WHEN t.status = '{Status.ESCALATED.value}' THEN 1 ELSE 0 END AS still_escalated,
           CASE WHEN {resolved} THEN 1 ELSE 0 END AS resolved,
           {breached(Metric.ESCALATION_ACK)} AS ack_breach,
           {breached(Metric.ESCALATION_RESOLVE)} AS resolve_breach,
           {_seconds("t.escalation_acknowledged_at", "t.escalated_at")} AS ack_seconds,
           CASE WHEN {resolved} THEN {_seconds("t.resolved_at", "t.escalated_at")} END AS resolve_seconds
    FROM {ticket} t JOIN {team} tm ON tm.id = t.escalation_team_id
    WHERE t.escalated_at >= %s AND t.escalated_at < %s AND t.status <> '{Status.MERGED.value}'
)
"""  # noqa: S608 - names and values from code; user input is bound
    rows = _grouped(
        ctes=ctes,
        params=[_dt(period.start), _dt(period.end)],
        keys=["team_key"],
        aggregates=[
            ("escalated", "COUNT(*)"),
            ("acknowledged", "SUM(acknowledged)"),
            ("still_escalated", "SUM(still_escalated)"),
            ("resolved", "SUM(resolved)"),
            ("ack_breaches", "SUM(ack_breach)"),
            ("resolve_breaches", "SUM(resolve_breach)"),
        ],
        percentiles=[
            _Percentile("p50_ack", "ack_seconds", 0.5),
            _Percentile("p50_resolve", "resolve_seconds", 0.5),
            _Percentile("p90_resolve", "resolve_seconds", 0.9),
        ],
    )
    result = [
        {
            "team": row["team_key"],
            **{key: int(row[key]) for key in ESCALATION_INT_KEYS},
            "p50_ack_seconds": _round_seconds(row["p50_ack"]),
            "p50_resolve_seconds": _round_seconds(row["p50_resolve"]),
            "p90_resolve_seconds": _round_seconds(row["p90_resolve"]),
        }
        for row in rows
    ]
    return Report("escalations", "Escalations per team", period, ESCALATION_COLUMNS, result)


ESCALATION_INT_KEYS = ("escalated", "acknowledged", "still_escalated", "resolved", "ack_breaches", "resolve_breaches")


# --- Root causes -----------------------------------------------------------------------------------------------

ROOT_CAUSE_COLUMNS = (
    Column("resolution_code", "Resolution code"),
    Column("psp", "PSP"),
    Column("method", "Method"),
    Column("tickets", "Tickets", "int"),
    Column("share_pct", "Share %", "percent"),
)


def root_causes(*, period: Period) -> Report:
    """Tickets resolved in the period by resolution code × PSP × method of the primary transaction. Queries: 1."""
    resolved = Ticket.objects.filter(
        resolved_at__gte=period.start, resolved_at__lt=period.end, status__in=[Status.RESOLVED, Status.CLOSED]
    )
    qs = (
        _with_primary(resolved)
        .annotate(
            code=Coalesce("resolution_code__code", Value(NONE_KEY)),
            psp=Coalesce(PSP_PATH, Value(NONE_KEY)),
            method=Coalesce(METHOD_PATH, Value(NONE_KEY)),
        )
        .values("code", "psp", "method")
        .annotate(n=Count("id"))
        .values_list("code", "psp", "method", "n")
    )
    counts = [(code, psp or NONE_KEY, method or NONE_KEY, n) for code, psp, method, n in qs]
    total = sum(item[3] for item in counts)
    rows = [
        {"resolution_code": code, "psp": psp, "method": method, "tickets": n, "share_pct": _percent(n, total)}
        for code, psp, method, n in sorted(counts, key=lambda item: (-item[3], item[0], item[1], item[2]))
    ]
    return Report("root_causes", "Root causes", period, ROOT_CAUSE_COLUMNS, rows)


# --- Agent productivity ----------------------------------------------------------------------------------------

AGENT_COLUMNS = (
    Column("agent", "Agent"),
    Column("tickets_handled", "Tickets handled", "int"),
    Column("replies", "Public replies", "int"),
    Column("first_responses", "First responses", "int"),
    Column("tickets_resolved", "Tickets resolved", "int"),
    Column("median_first_response_seconds", "Median first response (s)", "seconds"),
)


def agent_productivity(*, period: Period) -> Report:
    """Per agent: tickets replied to, public replies, first responses given (and their median), tickets resolved
    while assigned to them — all within the period. Queries: 1 PG, 2 SQLite."""
    ticket, message, user = _table(Ticket), _table(Message), _table(get_user_model())
    public = MessageKind.PUBLIC.value
    ctes = f"""
WITH events AS (
    SELECT m.author_user_id AS user_id, 'reply' AS kind, m.ticket_id, NULL AS seconds
    FROM {message} m
    WHERE m.kind = '{public}' AND m.author_user_id IS NOT NULL AND m.created_at >= %s AND m.created_at < %s
    UNION ALL
    SELECT m.author_user_id, 'first', m.ticket_id, {_seconds("t.first_responded_at", "t.created_at")}
    FROM {message} m JOIN {ticket} t ON t.id = m.ticket_id AND m.created_at = t.first_responded_at
    WHERE m.kind = '{public}' AND m.author_user_id IS NOT NULL
      AND t.first_responded_at >= %s AND t.first_responded_at < %s
    UNION ALL
    SELECT t.assignee_id, 'resolved', t.id, NULL
    FROM {ticket} t
    WHERE t.assignee_id IS NOT NULL AND t.resolved_at >= %s AND t.resolved_at < %s
      AND t.status IN ('{Status.RESOLVED.value}', '{Status.CLOSED.value}')
),
src AS (SELECT u.username, e.kind, e.ticket_id, e.seconds FROM events e JOIN {user} u ON u.id = e.user_id)
"""  # noqa: S608 - names and values from code; user input is bound
    bounds = [_dt(period.start), _dt(period.end)]
    rows = _grouped(
        ctes=ctes,
        params=bounds * 3,
        keys=["username"],
        aggregates=[
            ("tickets_handled", "COUNT(DISTINCT CASE WHEN kind = 'reply' THEN ticket_id END)"),
            ("replies", "SUM(CASE WHEN kind = 'reply' THEN 1 ELSE 0 END)"),
            ("first_responses", "SUM(CASE WHEN kind = 'first' THEN 1 ELSE 0 END)"),
            ("tickets_resolved", "SUM(CASE WHEN kind = 'resolved' THEN 1 ELSE 0 END)"),
        ],
        percentiles=[_Percentile("median_first", "seconds", 0.5)],
    )
    result = [
        {
            "agent": row["username"],
            "tickets_handled": int(row["tickets_handled"]),
            "replies": int(row["replies"]),
            "first_responses": int(row["first_responses"]),
            "tickets_resolved": int(row["tickets_resolved"]),
            "median_first_response_seconds": _round_seconds(row["median_first"]),
        }
        for row in rows
    ]
    return Report("agents", "Agent productivity", period, AGENT_COLUMNS, result)


REPORTS: dict[str, Callable[..., Report]] = {
    "sla": sla_compliance,
    "volumes": volumes,
    "backlog": backlog,
    "escalations": escalations,
    "root_causes": root_causes,
    "agents": agent_productivity,
}


def report_build(*, name: str, period: Period) -> Report:
    """The named report over the period; an unknown name is refused with the list of known ones."""
    builder = REPORTS.get(name)
    if builder is None:
        raise ValidationError(f"unknown report {name!r}; expected one of {', '.join(REPORTS)}")
    return builder(period=period)
