"""Duplicates and incidents: merge suggestions, merge moving messages and links, incident reply and resolve."""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.core import clock
from paydesk.core.errors import ValidationError
from paydesk.core.models import AuditEvent
from paydesk.payments.models import Player
from paydesk.payments.services import transaction_create
from paydesk.tickets import outbound
from paydesk.tickets.models import Message, Team, Ticket, TicketTransaction
from paydesk.tickets.selectors import duplicates_suggest
from paydesk.tickets.services import (
    incident_create,
    incident_link,
    incident_reply,
    incident_resolve,
    message_add,
    ticket_escalate,
    ticket_merge,
    ticket_register,
)
from tests.tickets.conftest import T0, make_user

pytestmark = pytest.mark.django_db


def register(player: Player, **extra: Any) -> Ticket:
    with clock.frozen(T0):
        return ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None, **extra)


def test_duplicates_suggested_by_transaction_and_category(player: Player, player_en: Player, deposit: Any) -> None:
    with clock.frozen(T0):
        transaction_create(reference="dep-2", kind="deposit", player=player, amount_minor=100, currency="EUR")
    base = register(player, transactions=["dep-1"], category="deposit_pending")
    same_txn = register(player, transactions=["dep-1"], category="other")
    same_category = register(player, transactions=["dep-2"], category="deposit_pending")
    register(player, category="withdrawal_failed")
    register(player_en, category="deposit_pending")
    found = [(s.ticket.pk, s.reason) for s in duplicates_suggest(ticket_id=base.pk)]
    assert found == [(same_txn.pk, "same transaction"), (same_category.pk, "same category deposit_pending")]


def test_merge_moves_messages_links_and_leaves_audit(player: Player, deposit: Any) -> None:
    with clock.frozen(T0):
        transaction_create(reference="dep-2", kind="deposit", player=player, amount_minor=100, currency="EUR")
    target = register(player, transactions=["dep-1"])
    source = register(player, transactions=["dep-1", "dep-2"])
    message_add(ticket_id=source.pk, body="more", author_player=player, channel="webchat", acting_user=None)
    agent = make_user("alice", "agent")
    ticket_merge(ticket_id=source.pk, into_id=target.pk, acting_user=agent)
    source.refresh_from_db()
    assert (source.status, source.merged_into_id) == ("merged", target.pk)
    assert Message.objects.filter(ticket=source).count() == 0
    assert list(Message.objects.filter(ticket=target).values_list("kind", flat=True)) == [
        "public",
        "public",
        "public",
        "system",
    ]
    links = sorted(TicketTransaction.objects.filter(ticket=target).values_list("transaction__reference", "is_primary"))
    assert links == [("dep-1", True), ("dep-2", False)]
    assert AuditEvent.objects.filter(action="ticket.merge", object_id=source.number).count() == 1
    merged_in = AuditEvent.objects.get(action="ticket.merged_in", object_id=target.number)
    assert merged_in.data == {"source": source.number, "messages": 2, "transactions": ["dep-2"]}
    # A player writing to the merged ticket lands on the target.
    landed = message_add(ticket_id=source.pk, body="hello?", author_player=player, channel="webchat", acting_user=None)
    assert landed.ticket_id == target.pk


def test_merge_refuses_other_players_ticket(player: Player, player_en: Player) -> None:
    a, b = register(player), register(player_en)
    with pytest.raises(ValidationError, match="belong to different players"):
        ticket_merge(ticket_id=a.pk, into_id=b.pk, acting_user=None)
    a.refresh_from_db()
    assert a.status == "new"


def test_incident_reply_reaches_every_player_and_resolve_resolves_all(
    player: Player, player_en: Player, payments_team: Team, risk_team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    agent = make_user("alice", "agent")
    tickets = [register(player), register(player_en), register(player)]
    ticket_escalate(ticket_id=tickets[2].pk, team="risk", acting_user=agent)
    incident = incident_create(title="PSP X outage", acting_user=agent)
    assert incident_link(incident_id=incident.pk, ticket_ids=[t.pk for t in tickets], acting_user=agent) == 3
    delivered: list[int] = []
    outbound.register_sender("webchat", delivered.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert incident_reply(incident_id=incident.pk, body="PSP X is down, we are on it", acting_user=agent) == 3
    finally:
        outbound.unregister_sender("webchat")
    # Each player's channel got the reply, after commit.
    assert sorted(Message.objects.get(pk=m).ticket_id for m in delivered) == sorted(t.pk for t in tickets)
    for t in tickets:
        assert Message.objects.filter(ticket=t, kind="public", body="PSP X is down, we are on it").count() == 1
    assert incident_resolve(incident_id=incident.pk, resolution_code="psp_delay", acting_user=agent) == 3
    statuses = set(Ticket.objects.filter(incident=incident).values_list("status", "resolution_code__code"))
    assert statuses == {("resolved", "psp_delay")}
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_merge_with_a_stale_version_is_a_conflict_and_moves_nothing(player: Player) -> None:
    from paydesk.tickets.services import TicketConflict

    target, source = register(player), register(player)
    with pytest.raises(TicketConflict, match="was changed by someone else"):
        ticket_merge(ticket_id=source.pk, into_id=target.pk, acting_user=None, expected_version=source.version - 1)
    source.refresh_from_db()
    assert (source.status, Message.objects.filter(ticket=source).count()) == ("new", 1)
