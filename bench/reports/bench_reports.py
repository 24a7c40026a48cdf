"""Reports benchmark on PostgreSQL: every report over a 30-day and a 90-day period of a large desk.

Usage (a database of its own; it is created if missing and its tickets are replaced):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_bench_reports \
        .venv/bin/python bench/reports/bench_reports.py

``BENCH_TICKETS`` (default 200,000) tickets over 90 days are inserted with ``INSERT … SELECT … generate_series``
(bench data, not domain writes): 90 % answered, half of those with a second player message and reply, 70 %
resolved, 20 % escalated, 60 % with a primary transaction on one of five PSPs, breaches recorded where the
durations exceed the 60-minute / 24-hour targets. Each report is built once to warm the cache, then timed over
three runs (median). Prints a JSON report on stdout.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

TOTAL = int(os.environ.get("BENCH_TICKETS", "200000"))
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 90


def _setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("bench/reports needs DATABASE_URL=postgres://…/<a database of its own>")
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")
    os.environ.setdefault("PAYDESK_HOME", os.path.join(tempfile.gettempdir(), "paydesk-bench-reports"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _fixtures() -> dict[str, Any]:
    from django.contrib.auth.models import User

    from paydesk.core import clock
    from paydesk.payments.models import Psp, Transaction
    from paydesk.payments.services import payment_method_create, player_create, transaction_create
    from paydesk.sla.models import BusinessCalendar, SlaPolicy
    from paydesk.tickets.models import ResolutionCode, Team
    from paydesk.tickets.services import team_ensure

    with clock.frozen(START - timedelta(days=1)):
        teams = [
            team_ensure(code=c, name=c.title(), kind=k)
            for c, k in (("payments", "payments"), ("finance", "finance"), ("risk", "risk"))
        ]
        agents = [User.objects.get_or_create(username=f"bench-agent-{n:02d}")[0] for n in range(20)]
        calendar, _ = BusinessCalendar.objects.get_or_create(name="bench 24/7", defaults={"always_open": True})
        policy, _ = SlaPolicy.objects.update_or_create(
            name="bench reports",
            defaults={
                "calendar": calendar,
                "first_response_minutes": 60,
                "next_response_minutes": 240,
                "resolution_minutes": 1440,
                "updated_at": START,
            },
        )
        if not Transaction.objects.filter(reference__startswith="BENCH-R-").exists():
            player = player_create(external_id="bench-reports-player", name="Bench Player")
            for n in range(50):
                psp, _ = Psp.objects.get_or_create(
                    code=f"bench-psp-{n % 5}",
                    defaults={"name": f"PSP {n % 5}", "adapter": "generic", "methods": ["card"]},
                )
                kind = ("card", "bank_transfer", "e_wallet", "crypto", "sbp")[n % 5]
                method = payment_method_create(player=player, type=kind)
                transaction_create(
                    reference=f"BENCH-R-{n:03d}",
                    kind="deposit",
                    player=player,
                    amount_minor=1000 + n,
                    currency="EUR",
                    psp=psp,
                    method=method,
                )
    return {
        "teams": [t.pk for t in teams],
        "agents": [a.pk for a in agents],
        "policy": policy.pk,
        "player": Transaction.objects.filter(reference="BENCH-R-000").values_list("player_id", flat=True).get(),
        "transactions": list(
            Transaction.objects.filter(reference__startswith="BENCH-R-")
            .order_by("reference")
            .values_list("pk", flat=True)
        ),
        "codes": list(ResolutionCode.objects.order_by("code").values_list("pk", flat=True)),
        "risk": Team.objects.get(code="risk").pk,
    }


def _insert(f: dict[str, Any]) -> float:
    from django.db import connection

    began = time.perf_counter()
    params = {
        "total": TOTAL,
        "start": START,
        "span": DAYS * 86400,
        "teams": f["teams"],
        "agents": f["agents"],
        "policy": f["policy"],
        "player": f["player"],
        "txns": f["transactions"],
        "codes": f["codes"],
        "risk": f["risk"],
    }
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM tickets_tickettransaction; DELETE FROM sla_slaevent; DELETE FROM tickets_message;"
            " DELETE FROM tickets_ticket_tags; DELETE FROM tickets_ticket;"
        )
        cur.execute(
            """
            INSERT INTO tickets_ticket (number, subject, status, priority, channel, category, language, region,
                player_id, assignee_id, team_id, escalation_team_id, resolution_code_id, version,
                created_at, updated_at, last_player_message_at,
                first_responded_at, escalated_at, escalation_acknowledged_at, resolved_at, closed_at, sla_policy_id,
                sla_pauses)
            SELECT 'B-' || i, 'bench',
                   CASE WHEN i %% 10 < 7 THEN (CASE WHEN i %% 2 = 0 THEN 'closed' ELSE 'resolved' END)
                        WHEN i %% 10 = 7 THEN 'escalated' ELSE 'open' END,
                   (ARRAY['low','normal','high','urgent'])[i %% 4 + 1],
                   (ARRAY['webchat','telegram','jira','api'])[i %% 4 + 1],
                   (ARRAY['deposit_pending','deposit_failed','deposit_not_credited','withdrawal_pending',
                          'withdrawal_failed','withdrawal_not_received','refund_request','other'])[i %% 8 + 1],
                   'en', '', %(player)s,
                   (%(agents)s::int[])[i %% 20 + 1], (%(teams)s::int[])[i %% 3 + 1],
                   CASE WHEN i %% 10 IN (6, 7) THEN %(risk)s END,
                   CASE WHEN i %% 10 < 7 THEN (%(codes)s::int[])[i %% 12 + 1] END,
                   1, c, c,
                   c,
                   CASE WHEN i %% 10 < 9 THEN c + ((i * 37) %% 7200) * interval '1 second' END,
                   CASE WHEN i %% 10 IN (6, 7) THEN c + interval '2 hours' END,
                   CASE WHEN i %% 10 IN (6, 7) THEN c + interval '2 hours' + (i %% 3600) * interval '1 second' END,
                   CASE WHEN i %% 10 < 7 THEN c + (3 * 3600 + (i * 53) %% 86400) * interval '1 second' END,
                   CASE WHEN i %% 10 < 7 AND i %% 2 = 0 THEN c + interval '2 days' END,
                   %(policy)s, '[]'::jsonb
            FROM (SELECT i, %(start)s::timestamptz + (i::bigint * %(span)s / %(total)s) * interval '1 second' AS c
                  FROM generate_series(1, %(total)s) AS i) g
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO tickets_message (ticket_id, kind, body, author_user_id, author_player_id, channel, created_at)
            SELECT id, 'public', 'help', NULL, player_id, channel, created_at FROM tickets_ticket
            UNION ALL
            SELECT id, 'public', 'on it', assignee_id, NULL, channel, first_responded_at
              FROM tickets_ticket WHERE first_responded_at IS NOT NULL
            UNION ALL
            SELECT id, 'public', 'still?', NULL, player_id, channel, first_responded_at + interval '10 minutes'
              FROM tickets_ticket WHERE first_responded_at IS NOT NULL AND id %% 2 = 0
            UNION ALL
            SELECT id, 'public', 'done', assignee_id, NULL, channel,
                   first_responded_at + interval '10 minutes' + (id %% 5400) * interval '1 second'
              FROM tickets_ticket WHERE first_responded_at IS NOT NULL AND id %% 4 = 0
            """,
            params,
        )
        cur.execute(
            """
            UPDATE tickets_ticket t SET last_player_message_at = m.last
              FROM (SELECT ticket_id, MAX(created_at) AS last FROM tickets_message
                     WHERE author_player_id IS NOT NULL GROUP BY ticket_id) m
             WHERE m.ticket_id = t.id
            """
        )
        cur.execute(
            """
            INSERT INTO sla_slaevent (ticket_id, metric, kind, started_at, due_at, occurred_at, policy_id)
            SELECT id, 'first_response', 'breach', created_at, created_at + interval '1 hour',
                   created_at + interval '61 minutes', sla_policy_id
              FROM tickets_ticket
             WHERE first_responded_at IS NULL OR first_responded_at > created_at + interval '1 hour'
            UNION ALL
            SELECT id, 'resolution', 'breach', created_at, created_at + interval '1 day',
                   created_at + interval '1441 minutes',
                   sla_policy_id
              FROM tickets_ticket WHERE resolved_at IS NULL OR resolved_at > created_at + interval '1 day'
            UNION ALL
            SELECT id, 'next_response', 'breach', first_responded_at + interval '10 minutes',
                   first_responded_at + interval '250 minutes', first_responded_at + interval '251 minutes',
                   sla_policy_id
              FROM tickets_ticket WHERE first_responded_at IS NOT NULL AND id %% 2 = 0 AND id %% 4 <> 0
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO tickets_tickettransaction (ticket_id, transaction_id, is_primary, linked_at, match_reasons)
            SELECT id, (%(txns)s::int[])[id %% 50 + 1], TRUE, created_at, '[]'::jsonb
              FROM tickets_ticket WHERE id %% 10 < 6
            """,
            params,
        )
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT (SELECT count(*) FROM tickets_ticket), (SELECT count(*) FROM tickets_message),"
            " (SELECT count(*) FROM sla_slaevent)"
        )
        counts = cur.fetchone()
    print(f"inserted tickets/messages/events: {counts}", file=sys.stderr)
    return time.perf_counter() - began


def _time(name: str, period: Any) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from paydesk.reports.selectors import report_build

    report_build(name=name, period=period)
    runs = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            report = report_build(name=name, period=period)
            runs.append(time.perf_counter() - began)
    return {
        "seconds": round(statistics.median(runs), 3),
        "queries": len(captured.captured_queries),
        "rows": len(report.rows),
    }


def main() -> None:
    _setup()
    from paydesk.core import clock
    from paydesk.reports.selectors import REPORTS, period_from_dates

    fixtures = _fixtures()
    insert_seconds = _insert(fixtures)
    results: dict[str, Any] = {"tickets": TOTAL, "insert_seconds": round(insert_seconds, 1), "reports": {}}
    last_30 = period_from_dates(date(2024, 3, 1), date(2024, 3, 30))
    all_90 = period_from_dates(START.date(), START.date() + timedelta(days=DAYS - 1))
    with clock.frozen(START + timedelta(days=DAYS)):
        for name in REPORTS:
            results["reports"][name] = {"30_days": _time(name, last_30), "90_days": _time(name, all_90)}
            print(name, results["reports"][name], file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
