"""SLA clocks on tickets: policy choice, business-hours deadlines, pauses, the scan, breach actions, recompute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paydesk.core import clock
from paydesk.core.errors import ValidationError
from paydesk.payments.models import Player
from paydesk.sla.calendar import CalendarSpec
from paydesk.sla.engine import ClockInputs, PolicyRule, choose_policy
from paydesk.sla.models import BusinessCalendar, Holiday, SlaEvent, SlaPolicy, TeamSlaTarget
from paydesk.sla.scan import sla_scan
from paydesk.sla.services import sla_calendar_save, sla_policy_create, sla_policy_update
from paydesk.tickets.models import Notification, Team, Ticket
from paydesk.tickets.services import (
    message_add,
    ticket_escalate,
    ticket_escalation_acknowledge,
    ticket_open,
    ticket_register,
    ticket_set_pending,
)
from tests.tickets.conftest import make_user

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # 11:00 in Berlin


@pytest.fixture(autouse=True)
def _manual(settings: Any) -> None:
    settings.PAYDESK_AUTO_ASSIGN = False


@pytest.fixture
def always() -> BusinessCalendar:
    return BusinessCalendar.objects.create(name="24/7", always_open=True)


@pytest.fixture
def office() -> BusinessCalendar:
    calendar = sla_calendar_save(
        name="Berlin office",
        timezone="Europe/Berlin",
        hours={d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        acting_user=None,
    )
    Holiday.objects.create(calendar=calendar, date=datetime(2024, 5, 7).date(), name="test holiday")
    return calendar


def policy(calendar: BusinessCalendar, name: str = "p", **extra: Any) -> SlaPolicy:
    values: dict[str, Any] = {
        "first_response_minutes": 60,
        "next_response_minutes": 30,
        "resolution_minutes": 600,
        "position": 100,
    }
    values.update(extra)
    return sla_policy_create(name=name, calendar=calendar, acting_user=None, **values)


def register(player: Player, at: datetime = MONDAY_9, **extra: Any) -> Ticket:
    with clock.frozen(at):
        return ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None, **extra)


def rule(pid: int, **conditions: Any) -> PolicyRule:
    base: dict[str, Any] = {
        "priorities": frozenset(),
        "min_vip_level": None,
        "channels": frozenset(),
        "categories": frozenset(),
        "regions": frozenset(),
    }
    base.update(conditions)
    return PolicyRule(
        id=pid,
        name=str(pid),
        calendar=CalendarSpec.twenty_four_seven(),
        first_response_minutes=1,
        next_response_minutes=1,
        resolution_minutes=1,
        **base,
    )


def test_first_matching_policy_in_order_wins() -> None:
    rules = [
        rule(1, priorities=frozenset({"urgent"})),
        rule(2, min_vip_level=3),
        rule(3, channels=frozenset({"telegram"}), regions=frozenset({"cis"})),
        rule(4),
    ]

    def pick(**attrs: Any) -> int | None:
        values: dict[str, Any] = {
            "priority": "normal",
            "vip_level": 0,
            "channel": "webchat",
            "category": "",
            "region": "",
        }
        values.update(attrs)
        chosen = choose_policy(rules, ClockInputs(status="new", created_at=MONDAY_9, **values))
        return chosen.id if chosen else None

    assert pick(priority="urgent", vip_level=5) == 1
    assert pick(vip_level=3) == 2
    assert pick(channel="telegram", region="cis") == 3
    assert pick(channel="telegram", region="eu") == 4
    assert (
        choose_policy(
            rules[:3],
            ClockInputs(
                status="new", priority="low", channel="api", category="", region="", vip_level=0, created_at=MONDAY_9
            ),
        )
        is None
    )


def test_business_hours_deadlines_skip_lunch_evening_and_holiday(player: Player, office: BusinessCalendar) -> None:
    policy(office)
    ticket = register(player)  # Monday 11:00 Berlin
    # 60 business minutes: 11:00-12:00 Berlin = 10:00 UTC.
    assert ticket.first_response_due_at == datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
    assert ticket.first_response_alert_at == datetime(2024, 5, 6, 9, 48, tzinfo=UTC)  # 80 %
    # 600 minutes: Monday 11-13 (120) + 14-18 (240); Tuesday is a holiday; Wednesday 09-13 (240) = 600.
    assert ticket.resolution_due_at == datetime(2024, 5, 8, 11, 0, tzinfo=UTC)  # 13:00 Berlin


def test_pending_customer_pauses_every_clock_and_resume_shifts_deadlines(
    player: Player, always: BusinessCalendar
) -> None:
    policy(always)
    ticket = register(player)
    agent = make_user("alice", "agent")
    with clock.frozen(MONDAY_9 + timedelta(minutes=10)):
        message_add(ticket_id=ticket.pk, body="Send a receipt please", acting_user=agent)
        ticket = ticket_set_pending(ticket_id=ticket.pk, acting_user=agent)
    assert (ticket.resolution_due_at, ticket.resolution_alert_at, ticket.first_response_due_at) == (None, None, None)
    with clock.frozen(MONDAY_9 + timedelta(minutes=130)):
        message_add(ticket_id=ticket.pk, body="here", author_player=player, channel="webchat", acting_user=None)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    # Two hours paused: resolution moves from 19:00 to 21:00; the player's message starts next response (30 min).
    assert ticket.resolution_due_at == MONDAY_9 + timedelta(minutes=600 + 120)
    assert ticket.next_response_due_at == MONDAY_9 + timedelta(minutes=130 + 30)
    assert ticket.first_response_due_at is None


def test_scan_warns_then_breaches_once_and_alerts_the_lead(
    player: Player, always: BusinessCalendar, payments_team: Team
) -> None:
    policy(always)
    ticket = register(player)
    with clock.frozen(MONDAY_9 + timedelta(minutes=50)):
        assert sla_scan().as_dict() == {"warnings": 1, "breaches": 0, "notified": 1, "bumped": 0, "escalated": 0}
    ticket.refresh_from_db()
    assert ticket.first_response_alert_at == ticket.first_response_due_at
    with clock.frozen(MONDAY_9 + timedelta(minutes=61)):
        result = sla_scan()
        assert (result.warnings, result.breaches) == (0, 1)
        assert sla_scan().breaches == 0  # recorded once
    events = list(SlaEvent.objects.filter(ticket=ticket).order_by("id").values_list("metric", "kind"))
    assert events == [("first_response", "warning"), ("first_response", "breach")]
    lead_notes = list(Notification.objects.filter(user__username="lena").values_list("kind", "text"))
    assert lead_notes == [
        ("sla_warning", f"Ticket {ticket.number} is close to its first response target (due 2024-05-06 10:00 UTC)"),
        ("sla_breach", f"Ticket {ticket.number} breached its first response target (due 2024-05-06 10:00 UTC)"),
    ]
    ticket.refresh_from_db()
    assert ticket.first_response_alert_at is None


def test_breach_bumps_priority_and_escalates_as_the_policy_says(
    player: Player, always: BusinessCalendar, payments_team: Team, risk_team: Team
) -> None:
    policy(always, breach_bump_priority=True, breach_escalate_to=risk_team)
    ticket = register(player)
    with clock.frozen(MONDAY_9 + timedelta(minutes=61)):
        result = sla_scan()
    assert (result.breaches, result.bumped, result.escalated) == (1, 1, 1)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, ticket.escalation_team_id) == ("high", "escalated", risk_team.pk)


def test_escalation_team_targets(
    player: Player, always: BusinessCalendar, payments_team: Team, risk_team: Team
) -> None:
    policy(always)
    TeamSlaTarget.objects.create(team=risk_team, calendar=always, acknowledge_minutes=15, resolve_minutes=240)
    ticket = register(player)
    with clock.frozen(MONDAY_9 + timedelta(minutes=5)):
        ticket = ticket_escalate(ticket_id=ticket.pk, team="risk", acting_user=None)
    assert ticket.escalation_ack_due_at == MONDAY_9 + timedelta(minutes=20)
    assert ticket.escalation_resolve_due_at == MONDAY_9 + timedelta(minutes=245)
    with clock.frozen(MONDAY_9 + timedelta(minutes=10)):
        ticket = ticket_escalation_acknowledge(ticket_id=ticket.pk, acting_user=None)
    assert ticket.escalation_ack_due_at is None
    with clock.frozen(MONDAY_9 + timedelta(minutes=11)):
        ticket = ticket_open(ticket_id=ticket.pk, acting_user=None)
    assert ticket.escalation_resolve_due_at is None


def test_policy_change_recomputes_open_tickets_in_the_background(
    player: Player, always: BusinessCalendar, django_capture_on_commit_callbacks: Any
) -> None:
    first = policy(always)
    tickets = [register(player) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        sla_policy_update(policy_id=first.pk, resolution_minutes=120, acting_user=None)
    dues = set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("resolution_due_at", flat=True))
    assert dues == {MONDAY_9 + timedelta(minutes=120)}
    # A new, earlier policy for telegram only leaves these webchat tickets alone; one for everybody takes them.
    with django_capture_on_commit_callbacks(execute=True):
        urgent = policy(always, name="fast", position=1, resolution_minutes=30)
    assert set(Ticket.objects.values_list("sla_policy_id", "resolution_due_at")) == {
        (urgent.pk, MONDAY_9 + timedelta(minutes=30))
    }


def test_scan_query_count_does_not_grow_with_due_tickets(player: Player, always: BusinessCalendar) -> None:
    policy(always)
    for _ in range(2):
        register(player)

    def scan_queries(at: datetime) -> int:
        with clock.frozen(at), CaptureQueriesContext(connection) as ctx:
            sla_scan()
        return len(ctx.captured_queries)

    few = scan_queries(MONDAY_9 + timedelta(minutes=61))  # 2 first-response breaches
    for _ in range(20):
        register(player, at=MONDAY_9 + timedelta(minutes=100))
    many = scan_queries(MONDAY_9 + timedelta(minutes=161))  # 20 first-response breaches
    assert SlaEvent.objects.filter(kind="breach").count() == 22
    assert few == many


def test_bad_calendar_and_policy_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown timezone 'Mars/Base'"):
        sla_calendar_save(name="x", timezone="Mars/Base", hours={"mon": [["09:00", "17:00"]]}, acting_user=None)
    with pytest.raises(ValidationError, match=r"mon: '25:00' is not a valid time of day"):
        sla_calendar_save(name="x", timezone="UTC", hours={"mon": [["09:00", "25:00"]]}, acting_user=None)
    with pytest.raises(ValidationError, match="calendar has no opening hours"):
        sla_calendar_save(name="x", timezone="UTC", hours={}, acting_user=None)
    assert BusinessCalendar.objects.count() == 0
    calendar = BusinessCalendar.objects.create(name="c", always_open=True)
    with pytest.raises(ValidationError, match="warn_at_percent must be 1-99, got 100"):
        policy(calendar, warn_at_percent=100)
    with pytest.raises(ValidationError, match="priorities: unknown value"):
        policy(calendar, priorities=["asap"])
    assert SlaPolicy.objects.count() == 0


def test_night_shift_calendar_crossing_midnight(player: Player) -> None:
    calendar = sla_calendar_save(
        name="night", timezone="UTC", hours={d: [["22:00", "06:00"]] for d in ("mon", "tue")}, acting_user=None
    )
    policy(calendar, first_response_minutes=120)
    ticket = register(player, at=datetime(2024, 5, 6, 23, 30, tzinfo=UTC))  # Monday 23:30
    assert ticket.first_response_due_at == datetime(2024, 5, 7, 1, 30, tzinfo=UTC)
