"""A small desk built through the real services: three tickets on one day, replies, a breach, an escalation.

Times are relative to ``T0`` (Monday 2024-05-06 09:00 UTC); every expected figure in the report tests follows from
this story:

- A (webchat, deposit_not_credited, high; Stripe card deposit; alice): first reply +10 min, player writes at +30
  and +40 min, alice answers at +50 min (next response 20 min), resolved +2 h with psp_delay, closed.
- B (telegram, withdrawal_pending; bob): nobody answers, the scan at +66 min records the first-response breach; bob
  replies at +2 h; escalated to risk at +3 h, acknowledged +3 h 30, back to open, resolved +5 h with bank_decline.
- C (webchat, deposit_pending; alice): first reply +20 min, the player writes at +30 min and is never answered;
  the scan at +2 h 31 records the next-response breach; still open.
- D registered the day before (outside the period) and never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User

from paydesk.core import clock
from paydesk.payments.models import Player
from paydesk.payments.services import transaction_create
from paydesk.reports.selectors import Period, period_from_dates
from paydesk.sla.scan import sla_scan
from paydesk.tickets.models import Team, Ticket
from paydesk.tickets.services import (
    message_add,
    ticket_assign,
    ticket_close,
    ticket_escalate,
    ticket_escalation_acknowledge,
    ticket_open,
    ticket_register,
    ticket_resolve,
)
from tests.payments.factories import make_card, make_player, make_psp
from tests.tickets.conftest import T0, lead, make_agent, payments_team, player, policy, risk_team

__all__ = ["lead", "payments_team", "player", "policy", "risk_team"]


def minutes(n: float) -> Any:
    return T0 + timedelta(minutes=n)


@dataclass
class Desk:
    a: Ticket
    b: Ticket
    c: Ticket
    d: Ticket
    alice: User
    bob: User
    period: Period


def _say(ticket: Ticket, player: Player, at: Any, text: str = "Any news?") -> None:
    with clock.frozen(at):
        message_add(ticket_id=ticket.pk, body=text, author_player=player, channel=ticket.channel, acting_user=None)


def _reply(ticket: Ticket, agent: User, at: Any, text: str = "We are on it.") -> None:
    with clock.frozen(at):
        message_add(ticket_id=ticket.pk, body=text, acting_user=agent)


@pytest.fixture
def desk(settings: Any, lead: User, payments_team: Team, risk_team: Team, policy: Any) -> Desk:
    settings.PAYDESK_AUTO_ASSIGN = False
    alice = make_agent("alice", payments_team)
    bob = make_agent("bob", payments_team)
    with clock.frozen(T0 - timedelta(days=1)):
        p1, p2, p3, p4 = (make_player() for _ in range(4))
        transaction_create(
            reference="DEP-A",
            kind="deposit",
            player=p1,
            amount_minor=5000,
            currency="EUR",
            psp=make_psp(),
            psp_reference="pi_a",
            method=make_card(p1),
        )
        d = ticket_register(subject="Old one", body="Hello?", channel="webchat", player=p4, acting_user=None)

    def register(at: Any, player: Player, channel: str, category: str, agent: User, **extra: Any) -> Ticket:
        with clock.frozen(at):
            ticket = ticket_register(
                subject=f"{category} question",
                body="Where is my money?",
                channel=channel,
                player=player,
                category=category,
                acting_user=None,
                **extra,
            )
            return ticket_assign(ticket_id=ticket.pk, agent=agent.username, acting_user=lead)

    a = register(T0, p1, "webchat", "deposit_not_credited", alice, priority="high", primary_transaction="DEP-A")
    b = register(minutes(5), p2, "telegram", "withdrawal_pending", bob)
    c = register(minutes(10), p3, "webchat", "deposit_pending", alice)

    _reply(a, alice, minutes(10))
    _reply(c, alice, minutes(20))
    _say(a, p1, minutes(30))
    _say(c, p3, minutes(30))
    _say(a, p1, minutes(40), "Still nothing.")
    _reply(a, alice, minutes(50))
    sla_scan(now=minutes(66))
    with clock.frozen(minutes(120)):
        ticket_resolve(ticket_id=a.pk, resolution_code="psp_delay", acting_user=alice)
        ticket_close(ticket_id=a.pk, acting_user=alice)
    _reply(b, bob, minutes(120))
    sla_scan(now=minutes(151))
    with clock.frozen(minutes(180)):
        ticket_escalate(ticket_id=b.pk, team="risk", note="payout stuck", acting_user=bob)
    with clock.frozen(minutes(210)):
        ticket_escalation_acknowledge(ticket_id=b.pk, acting_user=None)
    with clock.frozen(minutes(300)):
        ticket_open(ticket_id=b.pk, acting_user=None)
        ticket_resolve(ticket_id=b.pk, resolution_code="bank_decline", acting_user=bob)
    return Desk(
        a=Ticket.objects.get(pk=a.pk),
        b=Ticket.objects.get(pk=b.pk),
        c=Ticket.objects.get(pk=c.pk),
        d=d,
        alice=alice,
        bob=bob,
        period=period_from_dates(T0.date(), T0.date()),
    )
