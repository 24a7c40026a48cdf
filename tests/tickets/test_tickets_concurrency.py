"""Two agents on one ticket at the same moment, on PostgreSQL with real threads and connections.

With a version check the loser gets a clear conflict; without one the row lock serialises the writers and no
update is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from paydesk.core.models import AuditEvent
from paydesk.payments.models import Player
from paydesk.tickets.models import Ticket
from paydesk.tickets.services import TicketConflict, ticket_open, ticket_register, ticket_resolve, ticket_tag
from paydesk.tickets.services.base import lock_ticket
from tests.tickets.conftest import make_user


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released together; each result is its return value or its exception."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_same_version_two_agents_one_wins_other_gets_conflict(postgres: None, player: Player) -> None:
    ticket = ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None)
    ticket = ticket_open(ticket_id=ticket.pk, acting_user=None)
    alice, bob = make_user("alice", "agent"), make_user("bob", "agent")
    seen = ticket.version
    results = race(
        lambda: ticket_resolve(
            ticket_id=ticket.pk, resolution_code="psp_delay", acting_user=alice, expected_version=seen
        ),
        lambda: ticket_resolve(
            ticket_id=ticket.pk, resolution_code="user_error", acting_user=bob, expected_version=seen
        ),
    )
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, TicketConflict)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert losers[0].message == (
        f"ticket {ticket.number} was changed by someone else (now version {seen + 1}, you had {seen}); "
        "reload it and try again"
    )
    stored = Ticket.objects.select_related("resolution_code").get(pk=ticket.pk)
    assert stored.version == seen + 1
    assert stored.resolution_code is not None
    assert stored.resolution_code.code == winners[0].resolution_code.code
    assert AuditEvent.objects.filter(action="ticket.resolve").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_without_versions_lose_nothing(postgres: None, player: Player) -> None:
    ticket = ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None)
    names = [f"tag-{i}" for i in range(6)]
    results = race(*[lambda n=n: ticket_tag(ticket_id=ticket.pk, add=[n], acting_user=None) for n in names])
    assert all(isinstance(r, Ticket) for r in results), results
    stored = Ticket.objects.get(pk=ticket.pk)
    assert sorted(stored.tags.values_list("name", flat=True)) == names
    assert stored.version == ticket.version + len(names)


@pytest.mark.django_db(transaction=True)
def test_lock_ticket_blocks_a_second_writer_until_commit(postgres: None, player: Player) -> None:
    from django.db import transaction

    ticket = ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None)
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with transaction.atomic():
            lock_ticket(ticket.pk)
            holding.set()
            order.append("first locked")
            threading.Event().wait(0.3)
            order.append("first commits")

    def second() -> None:
        holding.wait(5)
        ticket_open(ticket_id=ticket.pk, acting_user=None)
        order.append("second wrote")

    race(first, second)
    assert order == ["first locked", "first commits", "second wrote"]
