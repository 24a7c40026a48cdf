"""SLA benchmark on PostgreSQL: 1,000,000 open tickets; the scan and a 100,000-ticket recompute.

Usage (a database of its own; it is created if missing and its tickets are replaced):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_bench_sla .venv/bin/python bench/sla/bench_sla.py

The tickets are inserted with one ``INSERT … SELECT … generate_series`` in the state a continuously running scan
leaves them (alerts already passed were processed). Measured:

- scan: ``sla_scan`` at now + 1 minute (one tick's worth due) and at now + 15 minutes (a catch-up);
- recompute: the 100,000 tickets of the office-hours policy after its resolution target changes;

each beside a straightforward per-ticket Python loop over a 10,000-ticket sample, scaled up, run in a transaction
that is rolled back. Prints a JSON report on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

TOTAL = int(os.environ.get("BENCH_TICKETS", "1000000"))
SAMPLE = 10_000
NOW = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)  # a Wednesday noon


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("bench/sla needs DATABASE_URL=postgres://…/<a database of its own>")
    _ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")
    os.environ.setdefault("PAYDESK_HOME", os.path.join(tempfile.gettempdir(), "paydesk-bench-sla"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _policies() -> tuple[Any, Any]:
    from paydesk.sla.models import BusinessCalendar, Holiday, SlaPolicy

    always, _ = BusinessCalendar.objects.get_or_create(name="bench 24/7", defaults={"always_open": True})
    office, _ = BusinessCalendar.objects.get_or_create(
        name="bench office Berlin",
        defaults={
            "timezone": "Europe/Berlin",
            "hours": {d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    )
    Holiday.objects.get_or_create(calendar=office, date=date(2024, 5, 9), defaults={"name": "Ascension"})
    Holiday.objects.get_or_create(calendar=office, date=date(2024, 5, 20), defaults={"name": "Whit Monday"})
    office_policy, _ = SlaPolicy.objects.update_or_create(
        name="bench office",
        defaults={
            "position": 10,
            "channels": ["telegram"],
            "calendar": office,
            "first_response_minutes": 120,
            "next_response_minutes": 240,
            "resolution_minutes": 2880,
            "updated_at": NOW,
        },
    )
    default_policy, _ = SlaPolicy.objects.update_or_create(
        name="bench default",
        defaults={
            "position": 100,
            "calendar": always,
            "first_response_minutes": 60,
            "next_response_minutes": 240,
            "resolution_minutes": 1440,
            "updated_at": NOW,
        },
    )
    return default_policy, office_policy


def _insert(default_id: int, office_id: int) -> float:
    """One INSERT … SELECT over generate_series; 24/7 deadlines computed in SQL, as a running scan leaves them."""
    from django.db import connection

    sql = """
    WITH g AS (
        SELECT i,
               %(now)s::timestamptz - (i %% 4320) * interval '1 minute' - (i %% 60) * interval '1 second' AS created,
               (i %% 10) < 7 AS responded,
               (i %% 10) < 2 AS awaiting,
               i %% 10 = 9 AS office
        FROM generate_series(1, %(total)s) AS i
    ), d AS (
        SELECT *,
               CASE WHEN NOT responded THEN created + interval '60 min' END AS fr_due,
               CASE WHEN NOT responded THEN created + interval '48 min' END AS fr_warn,
               CASE WHEN awaiting THEN LEAST(created + interval '30 min', %(now)s::timestamptz) END AS waiting_since,
               created + interval '1440 min' AS res_due,
               created + interval '1152 min' AS res_warn
        FROM g
    ), e AS (
        SELECT *, waiting_since + interval '240 min' AS nr_due, waiting_since + interval '192 min' AS nr_warn FROM d
    )
    INSERT INTO tickets_ticket (
        number, subject, status, priority, channel, category, language, region, version,
        created_at, updated_at, first_responded_at, awaiting_reply_since, sla_policy_id, sla_pauses,
        first_response_due_at, first_response_alert_at, next_response_due_at, next_response_alert_at,
        resolution_due_at, resolution_alert_at
    )
    SELECT 'B-' || i, 'bench ticket ' || i, 'open', 'normal', CASE WHEN office THEN 'telegram' ELSE 'webchat' END,
           '', 'en', '', 1, created, created,
           CASE WHEN responded THEN created + interval '10 min' END, waiting_since,
           CASE WHEN office THEN %(office)s ELSE %(default)s END, '[]'::jsonb,
           fr_due, CASE WHEN fr_warn > %(now)s THEN fr_warn WHEN fr_due > %(now)s THEN fr_due END,
           nr_due, CASE WHEN nr_warn > %(now)s THEN nr_warn WHEN nr_due > %(now)s THEN nr_due END,
           res_due, CASE WHEN res_warn > %(now)s THEN res_warn WHEN res_due > %(now)s THEN res_due END
    FROM e
    """
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets_ticket, sla_slaevent, tickets_notification CASCADE")
        cursor.execute(sql, {"now": NOW, "total": TOTAL, "office": office_id, "default": default_id})
        cursor.execute("ANALYZE tickets_ticket")
    return time.perf_counter() - started


class _Rollback(Exception):
    pass


def _rolled_back(fn: Any) -> tuple[float, int]:
    """Time ``fn`` inside a transaction that is then rolled back (so the baseline leaves no trace)."""
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            count = fn()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, count


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_ticket")
        cursor.execute("VACUUM ANALYZE sla_slaevent")


def _naive_scan(at: datetime) -> int:
    """The straightforward loop: every open ticket in Python, each clock compared, events checked one by one."""
    from paydesk.sla.models import SlaEvent
    from paydesk.tickets.models import SLA_METRICS, Ticket

    tickets = list(Ticket.objects.filter(status="open").select_related("sla_policy").order_by("id")[:SAMPLE])
    for ticket in tickets:
        policy = ticket.sla_policy
        if policy is None:
            continue
        targets = {
            "first_response": policy.first_response_minutes,
            "next_response": policy.next_response_minutes,
            "resolution": policy.resolution_minutes,
        }
        for metric in SLA_METRICS:
            due = getattr(ticket, f"{metric}_due_at")
            if due is None or metric not in targets:
                continue
            warn = due - timedelta(minutes=targets[metric] * (100 - policy.warn_at_percent) / 100)
            kind = "breach" if at >= due else "warning" if at >= warn else None
            if kind is None:
                continue
            start = ticket.awaiting_reply_since if metric == "next_response" else ticket.created_at
            if not SlaEvent.objects.filter(ticket=ticket, metric=metric, kind=kind, started_at=start).exists():
                SlaEvent.objects.create(
                    ticket=ticket, metric=metric, kind=kind, started_at=start, due_at=due, occurred_at=at
                )
    return len(tickets)


def _naive_recompute(policy_id: int) -> int:
    from paydesk.sla.engine import CLOCK_FIELDS
    from paydesk.sla.services import sla_clocks_apply
    from paydesk.tickets.models import Ticket

    tickets = list(Ticket.objects.filter(sla_policy_id=policy_id, status="open").order_by("id")[:SAMPLE])
    for ticket in tickets:
        sla_clocks_apply(ticket)
        ticket.save(update_fields=["sla_policy", *CLOCK_FIELDS])
    return len(tickets)


def main() -> None:
    _setup()
    from paydesk.core import clock
    from paydesk.sla.models import SlaPolicy
    from paydesk.sla.recompute import sla_recompute
    from paydesk.sla.scan import sla_scan
    from paydesk.tickets.models import Ticket

    default_policy, office_policy = _policies()
    insert_s = _insert(default_policy.pk, office_policy.pk)
    open_tickets = Ticket.objects.filter(status="open").count()
    report: dict[str, Any] = {"tickets_open": open_tickets, "insert_seconds": round(insert_s, 2)}

    scans = []
    for minutes in (1, 15):
        at = NOW + timedelta(minutes=minutes)
        naive, sampled = _rolled_back(lambda at=at: _naive_scan(at))
        _vacuum()  # the rolled-back baseline leaves dead rows; don't bill them to the scan
        started = time.perf_counter()
        result = sla_scan(now=at)
        scan_s = time.perf_counter() - started
        naive_scaled = naive * open_tickets / sampled
        scans.append(
            {
                "at": f"now+{minutes}min",
                **result.as_dict(),
                "seconds": round(scan_s, 3),
                "goal_seconds": 2,
                "naive_loop_sample": sampled,
                "naive_loop_sample_seconds": round(naive, 2),
                "naive_loop_scaled_seconds": round(naive_scaled, 1),
                "speedup": round(naive_scaled / scan_s, 1),
            }
        )
    report["scan"] = scans

    # Recompute: the office-hours policy's resolution target changes; its 100,000 open tickets get new deadlines.
    SlaPolicy.objects.filter(pk=office_policy.pk).update(resolution_minutes=2400)
    on_policy = Ticket.objects.filter(sla_policy_id=office_policy.pk, status="open").count()
    with clock.frozen(NOW):
        naive_recompute, sampled = _rolled_back(lambda: _naive_recompute(office_policy.pk))
        _vacuum()
        started = time.perf_counter()
        written = sla_recompute(policy_id=office_policy.pk)
        recompute_s = time.perf_counter() - started
    naive_recompute_scaled = naive_recompute * on_policy / sampled
    report["recompute"] = {
        "tickets": on_policy,
        "rows_written": written,
        "seconds": round(recompute_s, 2),
        "goal_seconds": 30,
        "naive_loop_sample": sampled,
        "naive_loop_sample_seconds": round(naive_recompute, 2),
        "naive_loop_scaled_seconds": round(naive_recompute_scaled, 1),
        "speedup": round(naive_recompute_scaled / recompute_s, 1),
    }

    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
