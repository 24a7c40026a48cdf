from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core import clock
from paydesk.core.errors import ValidationError
from paydesk.reports.selectors import (
    agent_productivity,
    backlog,
    escalations,
    percentile_cont,
    period_from_dates,
    report_build,
    root_causes,
    sla_compliance,
    volumes,
)
from tests.reports.conftest import Desk, minutes
from tests.tickets.conftest import T0

# PostgreSQL computes percentiles in the aggregate query; SQLite needs one more query for the durations.
PERCENTILE_QUERIES = 1 if connection.vendor == "postgresql" else 2


def _queries(vendor_counts: int, build: Any) -> Any:
    with CaptureQueriesContext(connection) as captured:
        report = build()
    assert len(captured.captured_queries) == vendor_counts
    return report


def _sla(report: Any, dimension: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (row["key"], row["metric"]): (
            row["measured"],
            row["met"],
            row["breached"],
            row["met_pct"],
            row["p50_seconds"],
            row["p90_seconds"],
        )
        for row in report.rows
        if row["dimension"] == dimension
    }


@pytest.mark.django_db
def test_sla_compliance_overall(desk: Desk) -> None:
    report = _queries(PERCENTILE_QUERIES, lambda: sla_compliance(period=desk.period))
    assert _sla(report, "all") == {
        # A 600 s met, B 6900 s breached, C 600 s met: p90 = 600 + 0.8 * 6300
        ("all", "first_response"): (3, 2, 1, 66.67, 600.0, 5640.0),
        # A's cycle answered in 1200 s; C's cycle breached and still unanswered (no duration)
        ("all", "next_response"): (2, 1, 1, 50.0, 1200.0, 1200.0),
        # A 7200 s, B 17700 s; C still open is not measured
        ("all", "resolution"): (2, 2, 0, 100.0, 12450.0, 16650.0),
    }


@pytest.mark.django_db
def test_sla_compliance_by_agent_channel_category_priority_team(desk: Desk) -> None:
    report = sla_compliance(period=desk.period)
    assert _sla(report, "agent") == {
        ("alice", "first_response"): (2, 2, 0, 100.0, 600.0, 600.0),
        ("alice", "next_response"): (2, 1, 1, 50.0, 1200.0, 1200.0),
        ("alice", "resolution"): (1, 1, 0, 100.0, 7200.0, 7200.0),
        ("bob", "first_response"): (1, 0, 1, 0.0, 6900.0, 6900.0),
        ("bob", "resolution"): (1, 1, 0, 100.0, 17700.0, 17700.0),
    }
    assert _sla(report, "channel") == {
        ("telegram", "first_response"): (1, 0, 1, 0.0, 6900.0, 6900.0),
        ("telegram", "resolution"): (1, 1, 0, 100.0, 17700.0, 17700.0),
        ("webchat", "first_response"): (2, 2, 0, 100.0, 600.0, 600.0),
        ("webchat", "next_response"): (2, 1, 1, 50.0, 1200.0, 1200.0),
        ("webchat", "resolution"): (1, 1, 0, 100.0, 7200.0, 7200.0),
    }
    by_category = _sla(report, "category")
    assert by_category[("deposit_pending", "next_response")] == (1, 0, 1, 0.0, None, None)
    assert by_category[("deposit_not_credited", "next_response")] == (1, 1, 0, 100.0, 1200.0, 1200.0)
    assert sorted({key for key, _ in by_category}) == ["deposit_not_credited", "deposit_pending", "withdrawal_pending"]
    assert _sla(report, "priority")[("high", "resolution")] == (1, 1, 0, 100.0, 7200.0, 7200.0)
    assert _sla(report, "priority")[("normal", "first_response")] == (2, 1, 1, 50.0, 3750.0, 6270.0)
    assert _sla(report, "team")[("payments", "first_response")] == (3, 2, 1, 66.67, 600.0, 5640.0)


@pytest.mark.django_db
def test_sla_compliance_period_excludes_other_days(desk: Desk) -> None:
    day_before = period_from_dates(T0.date() - timedelta(days=1), T0.date() - timedelta(days=1))
    # D was registered that day and never answered; the scans of the next morning recorded both its breaches.
    assert _sla(sla_compliance(period=day_before), "all") == {
        ("all", "first_response"): (1, 0, 1, 0.0, None, None),
        ("all", "resolution"): (1, 0, 1, 0.0, None, None),
    }
    assert _sla(sla_compliance(period=period_from_dates(T0.date(), T0.date() + timedelta(days=3))), "all")[
        ("all", "first_response")
    ] == (3, 2, 1, 66.67, 600.0, 5640.0)


@pytest.mark.django_db
def test_volumes_by_channel_category_psp_method(desk: Desk) -> None:
    report = _queries(4, lambda: volumes(period=desk.period))
    assert [(r["dimension"], r["key"], r["tickets"], r["share_pct"]) for r in report.rows] == [
        ("channel", "webchat", 2, 66.67),
        ("channel", "telegram", 1, 33.33),
        ("category", "deposit_not_credited", 1, 33.33),
        ("category", "deposit_pending", 1, 33.33),
        ("category", "withdrawal_pending", 1, 33.33),
        ("psp", "(none)", 2, 66.67),
        ("psp", "stripe", 1, 33.33),
        ("method", "(none)", 2, 66.67),
        ("method", "card", 1, 33.33),
    ]


@pytest.mark.django_db
def test_backlog_by_age_as_of_now(desk: Desk) -> None:
    with clock.frozen(minutes(360)):
        report = _queries(1, lambda: backlog(period=desk.period))
        wide = backlog(period=period_from_dates(T0.date() - timedelta(days=1), T0.date()))
    # C (open, 5 h 50 min old) is the only ticket of the day still being worked.
    assert report.rows == [
        {"team": "payments", "total": 1, "under_1h": 0, "h1_4": 0, "h4_24": 1, "d1_3": 0, "d3_7": 0, "over_7d": 0}
    ]
    # D (registered a day earlier, 30 h old) joins when the period covers its day.
    assert wide.rows == [
        {"team": "payments", "total": 2, "under_1h": 0, "h1_4": 0, "h4_24": 1, "d1_3": 1, "d3_7": 0, "over_7d": 0}
    ]


@pytest.mark.django_db
def test_escalations_per_team(desk: Desk) -> None:
    report = _queries(PERCENTILE_QUERIES, lambda: escalations(period=desk.period))
    assert report.rows == [
        {
            "team": "risk",
            "escalated": 1,
            "acknowledged": 1,
            "still_escalated": 0,
            "resolved": 1,
            "ack_breaches": 0,
            "resolve_breaches": 0,
            "p50_ack_seconds": 1800.0,
            "p50_resolve_seconds": 7200.0,
            "p90_resolve_seconds": 7200.0,
        }
    ]


@pytest.mark.django_db
def test_root_causes_code_psp_method(desk: Desk) -> None:
    report = _queries(1, lambda: root_causes(period=desk.period))
    assert report.rows == [
        {"resolution_code": "bank_decline", "psp": "(none)", "method": "(none)", "tickets": 1, "share_pct": 50.0},
        {"resolution_code": "psp_delay", "psp": "stripe", "method": "card", "tickets": 1, "share_pct": 50.0},
    ]


@pytest.mark.django_db
def test_agent_productivity(desk: Desk) -> None:
    report = _queries(PERCENTILE_QUERIES, lambda: agent_productivity(period=desk.period))
    assert report.rows == [
        {
            "agent": "alice",
            "tickets_handled": 2,
            "replies": 3,
            "first_responses": 2,
            "tickets_resolved": 1,
            "median_first_response_seconds": 600.0,
        },
        {
            "agent": "bob",
            "tickets_handled": 1,
            "replies": 1,
            "first_responses": 1,
            "tickets_resolved": 1,
            "median_first_response_seconds": 6900.0,
        },
    ]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_tickets(desk: Desk) -> None:
    from paydesk.tickets.services import message_add, ticket_register

    with clock.frozen(minutes(400)):
        for index in range(5):
            ticket = ticket_register(
                subject="More", body="Hi", channel="webchat", player=desk.a.player, acting_user=None
            )
            message_add(ticket_id=ticket.pk, body=f"Reply {index}", acting_user=desk.alice)
    report = _queries(PERCENTILE_QUERIES, lambda: sla_compliance(period=desk.period))
    assert _sla(report, "all")[("all", "first_response")][:3] == (8, 7, 1)
    _queries(4, lambda: volumes(period=desk.period))
    _queries(PERCENTILE_QUERIES, lambda: agent_productivity(period=desk.period))


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=2, max_size=40))
def test_percentile_cont_matches_linear_interpolation(values: list[int]) -> None:
    ordered = sorted(values)
    deciles = statistics.quantiles(ordered, n=10, method="inclusive")
    assert percentile_cont(ordered, 0.5) == pytest.approx(statistics.median(ordered))
    assert percentile_cont(ordered, 0.9) == pytest.approx(deciles[8])


def test_percentile_cont_edges() -> None:
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([42.0], 0.9) == 42.0
    assert percentile_cont([600.0, 600.0, 6900.0], 0.9) == 5640.0


def test_period_refuses_an_inverted_range() -> None:
    with pytest.raises(ValidationError, match=r"ends \(2024-05-01\) before it starts \(2024-05-06\)"):
        period_from_dates(date(2024, 5, 6), date(2024, 5, 1))


@pytest.mark.django_db
def test_unknown_report_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValidationError, match="unknown report 'nope'; expected one of sla, volumes, backlog"):
        report_build(name="nope", period=period_from_dates(T0.date(), T0.date()))
