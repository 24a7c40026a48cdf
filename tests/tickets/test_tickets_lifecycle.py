"""The ticket lifecycle through its services: every move, its audit event, and the refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from paydesk.core import clock
from paydesk.core.audit import audit_verify
from paydesk.core.errors import ValidationError
from paydesk.core.models import AuditEvent
from paydesk.payments.models import Player
from paydesk.tickets.enums import Status
from paydesk.tickets.lifecycle import IllegalTicketMove
from paydesk.tickets.models import Message, Team, Ticket, TicketTransaction
from paydesk.tickets.services import (
    message_add,
    ticket_close,
    ticket_escalate,
    ticket_open,
    ticket_register,
    ticket_reopen,
    ticket_resolve,
    ticket_set_pending,
    tickets_autoclose,
)
from tests.tickets.conftest import T0, make_user

pytestmark = pytest.mark.django_db


def register(player: Player, **extra: Any) -> Ticket:
    values: dict[str, Any] = {
        "subject": "Deposit not credited",
        "body": "I paid 50 EUR, balance is empty",
        "channel": "webchat",
        "player": player,
        "category": "deposit_not_credited",
        "acting_user": None,
    }
    values.update(extra)
    with clock.frozen(T0):
        return ticket_register(**values)


def test_register_creates_ticket_message_link_and_audit(player: Player, deposit: Any, payments_team: Team) -> None:
    ticket = register(player, transactions=["dep-1"], tags=["VIP"])
    assert ticket.number == f"PD-{ticket.pk:06d}"
    # Triage: the player wrote in English, so the ticket is answered in English (their profile says ru).
    assert (ticket.status, ticket.language, ticket.region, ticket.team_id) == ("new", "en", "cis", payments_team.pk)
    message = Message.objects.get(ticket=ticket)
    assert (message.kind, message.author_player_id, message.body) == (
        "public",
        player.pk,
        "I paid 50 EUR, balance is empty",
    )
    link = TicketTransaction.objects.get(ticket=ticket)
    assert (link.transaction.reference, link.is_primary) == ("dep-1", True)
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert AuditEvent.objects.filter(action="ticket.register", object_id=ticket.number).count() == 1
    assert audit_verify().ok


def test_register_refuses_another_players_transaction_and_writes_nothing(player_en: Player, deposit: Any) -> None:
    with pytest.raises(ValidationError, match="transaction dep-1 belongs to another player"):
        register(player_en, transactions=["dep-1"])
    assert Ticket.objects.count() == 0
    assert Message.objects.count() == 0


def test_full_path_new_open_pending_escalated_open_resolved_closed(
    player: Player, payments_team: Team, risk_team: Team
) -> None:
    agent = make_user("alice", "agent")
    ticket = register(player)
    with clock.frozen(T0 + timedelta(minutes=5)):
        ticket = ticket_open(ticket_id=ticket.pk, acting_user=agent)
        ticket = ticket_set_pending(ticket_id=ticket.pk, acting_user=agent)
        ticket = ticket_escalate(ticket_id=ticket.pk, team="risk", note="check AML", acting_user=agent)
        assert (ticket.status, ticket.escalation_team_id) == ("escalated", risk_team.pk)
        ticket = ticket_open(ticket_id=ticket.pk, acting_user=agent)
        ticket = ticket_resolve(ticket_id=ticket.pk, resolution_code="psp_delay", acting_user=agent)
        ticket = ticket_close(ticket_id=ticket.pk, acting_user=agent)
    assert ticket.status == "closed"
    assert ticket.resolution_code is not None
    assert ticket.resolution_code.code == "psp_delay"
    actions = list(AuditEvent.objects.filter(object_id=ticket.number).order_by("seq").values_list("action", "data__to"))
    assert actions == [
        ("ticket.register", None),
        ("ticket.open", "open"),
        ("ticket.set_pending", "pending_customer"),
        ("ticket.escalate", "escalated"),
        ("ticket.open", "open"),
        ("ticket.resolve", "resolved"),
        ("ticket.close", "closed"),
    ]
    assert ticket.version == 8  # registered at 2, then six moves


def test_illegal_move_names_ticket_status_and_move_and_changes_nothing(player: Player) -> None:
    ticket = register(player)
    before = AuditEvent.objects.count()
    with pytest.raises(IllegalTicketMove) as caught:
        ticket_close(ticket_id=ticket.pk, resolution_code="psp_delay", acting_user=None)
    assert caught.value.message == (
        f"ticket {ticket.number}: cannot close from status new (allowed: escalate, merge, open)"
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.resolution_code_id) == ("new", 2, None)
    assert AuditEvent.objects.count() == before


def test_close_needs_a_resolution_code(player: Player) -> None:
    ticket = register(player)
    ticket_open(ticket_id=ticket.pk, acting_user=None)
    ticket_resolve(ticket_id=ticket.pk, acting_user=None)
    with pytest.raises(ValidationError, match=f"closing ticket {ticket.number} needs a resolution code"):
        ticket_close(ticket_id=ticket.pk, acting_user=None)
    with pytest.raises(ValidationError, match="unknown resolution code 'nope'"):
        ticket_close(ticket_id=ticket.pk, resolution_code="nope", acting_user=None)
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_player_reply_reopens_resolved_ticket(player: Player) -> None:
    ticket = register(player)
    ticket_open(ticket_id=ticket.pk, acting_user=None)
    ticket_resolve(ticket_id=ticket.pk, acting_user=None)
    message_add(ticket_id=ticket.pk, body="still not there", author_player=player, channel="webchat", acting_user=None)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == ("open", None)


def test_player_reply_after_close_starts_linked_follow_up(player: Player, deposit: Any) -> None:
    ticket = register(player, transactions=["dep-1"])
    ticket_open(ticket_id=ticket.pk, acting_user=None)
    ticket_resolve(ticket_id=ticket.pk, resolution_code="psp_delay", acting_user=None)
    ticket_close(ticket_id=ticket.pk, acting_user=None)
    message = message_add(ticket_id=ticket.pk, body="again!", author_player=player, channel="webchat", acting_user=None)
    follow_up = message.ticket
    assert follow_up.pk != ticket.pk
    assert (follow_up.follow_up_of_id, follow_up.status, follow_up.subject) == (
        ticket.pk,
        "new",
        f"Follow-up to {ticket.number}: Deposit not credited",
    )
    assert list(follow_up.transaction_links.values_list("transaction__reference", flat=True)) == ["dep-1"]
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_player_reply_to_pending_ticket_opens_it(player: Player) -> None:
    ticket = register(player)
    ticket_open(ticket_id=ticket.pk, acting_user=None)
    ticket_set_pending(ticket_id=ticket.pk, acting_user=None)
    message_add(ticket_id=ticket.pk, body="here it is", author_player=player, channel="webchat", acting_user=None)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reopen_only_from_resolved(player: Player) -> None:
    ticket = register(player)
    with pytest.raises(IllegalTicketMove, match="cannot reopen from status new"):
        ticket_reopen(ticket_id=ticket.pk, acting_user=None)


def test_channel_redelivery_is_stored_once(player: Player) -> None:
    ticket = register(player)
    first = message_add(
        ticket_id=ticket.pk, body="hi", author_player=player, channel="telegram", external_id="tg-9", acting_user=None
    )
    again = message_add(
        ticket_id=ticket.pk, body="hi", author_player=player, channel="telegram", external_id="tg-9", acting_user=None
    )
    assert first.pk == again.pk
    assert Message.objects.filter(ticket=ticket).count() == 2


def test_autoclose_closes_quiet_resolved_tickets_only(player: Player, player_en: Player) -> None:
    quiet = register(player)
    busy = register(player_en)
    for t in (quiet, busy):
        with clock.frozen(T0):
            ticket_open(ticket_id=t.pk, acting_user=None)
            ticket_resolve(ticket_id=t.pk, acting_user=None)
    with clock.frozen(T0 + timedelta(hours=10)):
        message_add(ticket_id=busy.pk, body="wait", author_player=player_en, channel="webchat", acting_user=None)
    with clock.frozen(T0 + timedelta(hours=73)):
        assert tickets_autoclose() == 1
    quiet.refresh_from_db()
    busy.refresh_from_db()
    assert (quiet.status, quiet.resolution_code.code if quiet.resolution_code else None) == (
        "closed",
        "no_customer_response",
    )
    assert busy.status == "open"


def test_agent_reply_opens_new_ticket_and_records_first_response(player: Player) -> None:
    agent = make_user("bob", "agent")
    ticket = register(player)
    with clock.frozen(T0 + timedelta(minutes=7)):
        message_add(ticket_id=ticket.pk, body="Checking now", acting_user=agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_responded_at) == ("open", T0 + timedelta(minutes=7))


def test_redelivered_first_message_returns_the_same_ticket(player: Player) -> None:
    first = register(player, channel="telegram", external_id="tg-1")
    again = register(player, channel="telegram", external_id="tg-1")
    assert first.pk == again.pk
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"channel": "fax"}, "unknown channel 'fax'"),
        ({"priority": "asap"}, "unknown priority 'asap'"),
        ({"category": "lottery"}, "unknown category 'lottery'"),
        ({"language": "english (uk)"}, "language 'english (uk)' must be a language code like en or ru"),
        ({"subject": "   "}, "ticket subject is empty"),
        ({"body": ""}, "message body is empty"),
        ({"team": "nope"}, "no active team 'nope'"),
        ({"transactions": ["missing-1"]}, "transaction missing-1 not found"),
    ],
)
def test_bad_intake_is_refused_with_nothing_written(player: Player, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        register(player, **extra)
    assert caught.value.message.startswith(message)
    assert (Ticket.objects.count(), Message.objects.count()) == (0, 0)
