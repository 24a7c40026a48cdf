"""Fixtures for ticket tests, built through the real services (players, teams, agents, a 24/7 SLA policy)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from paydesk.core import clock
from paydesk.core.roles import ensure_role_groups
from paydesk.payments.models import Player
from paydesk.payments.services import player_create, transaction_create
from paydesk.sla.models import BusinessCalendar, SlaPolicy
from paydesk.sla.services import sla_policy_create
from paydesk.tickets.models import AgentProfile, Team
from paydesk.tickets.services import team_ensure

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def frozen_now() -> Any:
    with clock.frozen(T0):
        yield T0


def make_user(username: str, *roles: str, superuser: bool = False) -> User:
    ensure_role_groups()
    user = User.objects.create_user(username=username, password=None, is_superuser=superuser)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_agent(
    username: str,
    team: Team,
    *,
    languages: tuple[str, ...] = ("en",),
    regions: tuple[str, ...] = (),
    capacity: int = 5,
    online: bool = True,
    roles: tuple[str, ...] = ("agent",),
) -> User:
    user = make_user(username, *roles)
    profile = AgentProfile.objects.create(
        user=user, languages=list(languages), regions=list(regions), capacity=capacity, is_online=online
    )
    profile.teams.add(team)
    return user


@pytest.fixture
def lead(db: None) -> User:
    return make_user("lena", "lead")


@pytest.fixture
def payments_team(lead: User) -> Team:
    return team_ensure(code="payments", name="Payments", kind="payments", lead=lead)


@pytest.fixture
def risk_team(db: None) -> Team:
    return team_ensure(code="risk", name="Risk", kind="risk")


@pytest.fixture
def player(db: None) -> Player:
    with clock.frozen(T0):
        return player_create(external_id="p-1", name="Ivan", language="ru", region="cis", vip_level=2)


@pytest.fixture
def player_en(db: None) -> Player:
    with clock.frozen(T0):
        return player_create(external_id="p-2", name="Ann", language="en", region="eu")


@pytest.fixture
def deposit(player: Player) -> Any:
    with clock.frozen(T0):
        return transaction_create(reference="dep-1", kind="deposit", player=player, amount_minor=5000, currency="EUR")


@pytest.fixture
def policy(db: None) -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    return sla_policy_create(
        name="Default",
        calendar=calendar,
        position=100,
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=24 * 60,
        acting_user=None,
    )
