"""Assignment: skills, capacity, round-robin, take/reassign, and going offline."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from paydesk.core import clock
from paydesk.core.errors import Conflict, ValidationError
from paydesk.core.models import AuditEvent
from paydesk.payments.models import Player
from paydesk.tickets.models import Team, Ticket
from paydesk.tickets.services import (
    agent_set_online,
    queue_dispatch,
    ticket_assign,
    ticket_register,
    ticket_take,
)
from tests.tickets.conftest import T0, make_agent, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _manual(settings: Any) -> None:
    settings.PAYDESK_AUTO_ASSIGN = False


def register(player: Player) -> Ticket:
    with clock.frozen(T0):
        return ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None)


def test_assigning_without_the_language_skill_is_a_clear_error(player: Player, payments_team: Team, lead: User) -> None:
    make_agent("eve", payments_team, languages=("en",))
    ticket = register(player)  # a Russian-speaking player
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        ticket_assign(ticket_id=ticket.pk, agent="eve", acting_user=lead)
    assert caught.value.message == f"cannot assign ticket {ticket.number}: agent eve does not work in ru (works in en)"
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.version) == (None, 2)
    assert AuditEvent.objects.count() == before


def test_region_and_team_skills(player: Player, payments_team: Team, risk_team: Team, lead: User) -> None:
    make_agent("rita", payments_team, languages=("ru",), regions=("latam",))
    make_agent("rob", risk_team, languages=("ru",))
    ticket = register(player)
    with pytest.raises(ValidationError, match="agent rita does not serve region cis"):
        ticket_assign(ticket_id=ticket.pk, agent="rita", acting_user=lead)
    with pytest.raises(ValidationError, match="agent rob is not in team payments"):
        ticket_assign(ticket_id=ticket.pk, agent="rob", acting_user=lead)


def test_capacity_is_enforced(player: Player, payments_team: Team, lead: User) -> None:
    make_agent("ivan", payments_team, languages=("ru",), capacity=1)
    first, second = register(player), register(player)
    ticket_assign(ticket_id=first.pk, agent="ivan", acting_user=lead)
    with pytest.raises(Conflict, match=r"agent ivan is at capacity \(1/1\)"):
        ticket_assign(ticket_id=second.pk, agent="ivan", acting_user=lead)


def test_round_robin_spreads_queue_over_available_agents(player: Player, payments_team: Team) -> None:
    make_agent("a1", payments_team, languages=("ru",), capacity=2)
    make_agent("a2", payments_team, languages=("ru",), capacity=2)
    make_agent("a3", payments_team, languages=("en",), capacity=5)  # lacks the skill
    make_agent("a4", payments_team, languages=("ru",), online=False)
    tickets = [register(player) for _ in range(5)]
    assert queue_dispatch() == 4
    owners = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    assert [o.username if o else None for o in owners] == ["a1", "a2", "a1", "a2", None]


def test_take_and_reassign(player_en: Player, payments_team: Team, lead: User) -> None:
    ann = make_agent("ann", payments_team)
    make_agent("ben", payments_team)
    ticket = register(player_en)
    ticket_take(ticket_id=ticket.pk, acting_user=ann)
    other = make_user("carl", "agent")
    with pytest.raises(Conflict, match="already assigned to ann"):
        ticket_take(ticket_id=ticket.pk, acting_user=other)
    ticket = ticket_assign(ticket_id=ticket.pk, agent="ben", acting_user=lead)
    assert ticket.assignee is not None
    assert ticket.assignee.username == "ben"
    reassign = AuditEvent.objects.get(action="ticket.reassign")
    assert reassign.data == {"from": "ann", "to": "ben"}


def test_going_offline_returns_tickets_to_the_queue(player_en: Player, payments_team: Team, lead: User) -> None:
    ann = make_agent("ann", payments_team)
    tickets = [register(player_en) for _ in range(2)]
    for t in tickets:
        ticket_assign(ticket_id=t.pk, agent="ann", acting_user=lead)
    assert agent_set_online(user=ann, online=False, acting_user=ann) == 2
    assert Ticket.objects.filter(assignee__isnull=True).count() == 2
    with pytest.raises(Conflict, match="agent ann is offline"):
        ticket_assign(ticket_id=tickets[0].pk, agent="ann", acting_user=lead)
