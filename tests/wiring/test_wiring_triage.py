"""Triage wiring: registration and player messages set category, language and priority, link the player's matching
transactions with their reasons, diagnose the primary one and store a linted reply draft; failures lose nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paydesk.core import clock
from paydesk.core.audit import AuditEvent
from paydesk.payments.models import Player, Transaction
from paydesk.payments.services import payment_method_create, transaction_create, transaction_transition
from paydesk.sla.models import SlaPolicy
from paydesk.tickets.models import Message, Team, Ticket, TicketSuggestion, TicketTransaction
from paydesk.tickets.services import message_add, ticket_register
from paydesk.tickets.services import triage as wiring
from tests.payments.factories import make_psp
from tests.tickets.conftest import T0

pytestmark = pytest.mark.django_db

NOW = T0 + timedelta(days=1)  # Tuesday 7 May 2024, 09:00 UTC; "вчера" is the day of the deposit
RU_TEXT = "Здравствуйте! Вчера пополнил счёт на 1500 рублей с карты 4242, деньги списали, а баланс пустой."

Capture = Callable[..., Any]


def confirmed_deposit(player: Player, *, reference: str = "DEP-T-000001", amount_minor: int = 150_000) -> Transaction:
    """A card deposit captured by the PSP at T0 and never credited to the balance."""
    with clock.frozen(T0):
        card = payment_method_create(player=player, type="card", brand="Visa", bin="427600", last4="4242")
        txn = transaction_create(
            reference=reference,
            kind="deposit",
            player=player,
            amount_minor=amount_minor,
            currency="RUB",
            method=card,
            psp=make_psp(),
            psp_reference=f"pi_{reference[-6:]}",
        )
    transaction_transition(reference=reference, to_status="pending", source="psp_webhook", occurred_at=T0)
    transaction_transition(
        reference=reference,
        to_status="confirmed",
        source="psp_webhook",
        psp_status="succeeded",
        occurred_at=T0 + timedelta(minutes=2),
    )
    return txn


def register(player: Player, body: str, capture: Capture, **extra: Any) -> Ticket:
    with clock.frozen(NOW), capture(execute=True):
        ticket = ticket_register(subject="Chat", body=body, channel="webchat", player=player, acting_user=None, **extra)
    ticket.refresh_from_db()
    return ticket


def test_ru_message_about_a_real_deposit_is_triaged_linked_diagnosed_and_drafted(
    player: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Capture
) -> None:
    deposit = confirmed_deposit(player)

    ticket = register(player, RU_TEXT, django_capture_on_commit_callbacks)

    assert (ticket.category, ticket.language, ticket.priority) == ("deposit_not_credited", "ru", "high")
    link = TicketTransaction.objects.get(ticket=ticket)
    assert (link.transaction_id, link.is_primary, link.match_score) == (deposit.pk, True, 100)
    assert link.match_reasons == [
        "amount 150000 RUB (minor units) matches",
        "card ending 4242",
        "method card",
        "same day as the date mentioned",
        "a deposit, as the message is about",
    ]
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    message = Message.objects.get(ticket=ticket)
    assert (suggestion.message_id, suggestion.transaction_id) == (message.pk, deposit.pk)
    assert (suggestion.category, suggestion.language, suggestion.priority_hint) == (
        "deposit_not_credited",
        "ru",
        "high",
    )
    assert suggestion.entities == {
        "amount_minor": 150_000,
        "currency": "RUB",
        "reference": None,
        "card_last4": "4242",
        "method": "card",
        "date": "2024-05-06",
    }
    assert [c["reference"] for c in suggestion.candidates] == ["DEP-T-000001"]
    assert suggestion.finding == "deposit_confirmed_not_credited"
    assert suggestion.diagnosis is not None
    assert suggestion.diagnosis["primary"] == "deposit_confirmed_not_credited"
    assert suggestion.next_action == {
        "kind": "escalate",
        "team": "platform",
        "money_action": None,
        "until": None,
        "details": [],
        "note": "the wallet credit did not happen",
    }
    assert suggestion.next_action_text == "escalate to platform: the wallet credit did not happen"
    assert suggestion.reply_language == "ru"
    assert suggestion.reply_text.startswith("Здравствуйте, Ivan!")
    assert "1\xa0500,00\xa0₽" in suggestion.reply_text  # the deposit's amount, formatted the Russian way
    assert "6 мая 2024" in suggestion.reply_text
    assert "Visa •••• 4242" in suggestion.reply_text
    assert "вебхук" not in suggestion.reply_text.lower()
    assert (suggestion.lint, suggestion.lint_errors, suggestion.problem) == ([], 0, "")
    actions = list(AuditEvent.objects.filter(object_id=ticket.number).order_by("seq").values_list("action", flat=True))
    assert actions == ["ticket.register", "ticket.triage"]
    register_event = AuditEvent.objects.get(object_id=ticket.number, action="ticket.register")
    assert register_event.data["triage"]["changes"] == {
        "category": ["", "deposit_not_credited"],
        "priority": ["normal", "high"],
    }


def test_api_detail_shows_the_suggestion_with_the_match_reasons(
    player: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Capture
) -> None:
    from tests.tickets.test_tickets_api import client_for

    confirmed_deposit(player)
    ticket = register(player, RU_TEXT, django_capture_on_commit_callbacks)

    body = client_for("alice", "agent").get(f"/api/v1/tickets/{ticket.pk}").json()

    assert body["transactions"] == [{"reference": "DEP-T-000001", "primary": True}]
    assert body["suggestion"]["candidates"] == [
        {
            "reference": "DEP-T-000001",
            "score": 100,
            "reasons": [
                "amount 150000 RUB (minor units) matches",
                "card ending 4242",
                "method card",
                "same day as the date mentioned",
                "a deposit, as the message is about",
            ],
        }
    ]
    suggestion = body["suggestion"]
    assert (suggestion["transaction"], suggestion["finding"], suggestion["lint_errors"]) == (
        "DEP-T-000001",
        "deposit_confirmed_not_credited",
        0,
    )
    assert suggestion["reply"]["language"] == "ru"
    assert suggestion["reply"]["text"] == TicketSuggestion.objects.get(ticket=ticket).reply_text
    assert suggestion["next_action"]["kind"] == "escalate"


def test_message_with_no_match_gets_a_category_but_no_link(
    player_en: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Capture
) -> None:
    confirmed_deposit(player_en)  # 1,500 RUB on card 4242: not what this message describes

    ticket = register(
        player_en,
        "I paid 777 EUR with my card ending 9999, the money left my bank account but my balance is still empty",
        django_capture_on_commit_callbacks,
    )

    assert (ticket.category, ticket.language) == ("deposit_not_credited", "en")
    assert TicketTransaction.objects.filter(ticket=ticket).count() == 0
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert (suggestion.candidates, suggestion.transaction_id, suggestion.finding, suggestion.diagnosis) == (
        [],
        None,
        "",
        None,
    )
    assert suggestion.next_action is not None
    assert suggestion.next_action["kind"] == "ask_for_details"
    assert suggestion.reply_text.startswith("Hi Ann,\n\n")
    assert "don't pay again" in suggestion.reply_text
    assert suggestion.lint_errors == 0


def test_another_players_reference_is_never_linked_or_diagnosed(
    player: Player,
    player_en: Player,
    payments_team: Team,
    policy: SlaPolicy,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    confirmed_deposit(player, reference="DEP-T-000777")

    ticket = register(
        player_en, "Where is my deposit DEP-T-000777? It is not in my balance", django_capture_on_commit_callbacks
    )

    assert TicketTransaction.objects.filter(ticket=ticket).count() == 0
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert (suggestion.transaction_id, suggestion.diagnosis, suggestion.finding) == (
        None,
        None,
        "transaction_not_found",
    )
    assert suggestion.next_action is not None
    assert suggestion.next_action["kind"] == "ask_for_details"
    assert "DEP-T-000777" in suggestion.reply_text  # the player's own words echoed, nothing about the payment
    assert "1 500" not in suggestion.reply_text


def test_triage_failure_still_stores_the_ticket_and_the_message(
    player: Player,
    payments_team: Team,
    policy: SlaPolicy,
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model file is corrupt")

    monkeypatch.setattr(wiring, "triage_message", broken)

    ticket = register(player, RU_TEXT, django_capture_on_commit_callbacks)
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        message_add(ticket_id=ticket.pk, body="Ну что там?", author_player=player, channel="webchat", acting_user=None)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.category, ticket.priority) == ("new", "", "normal")
    assert list(Message.objects.filter(ticket=ticket).values_list("body", flat=True)) == [RU_TEXT, "Ну что там?"]
    assert TicketSuggestion.objects.filter(ticket=ticket).count() == 0
    assert AuditEvent.objects.get(object_id=ticket.number, action="ticket.register").data["triage"] == "failed"
    failures = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(failures) == 4  # triage and suggestion, for the registration and for the message
    assert failures[0].startswith(f"triage of a message on ticket {ticket.pk} failed")


def test_a_failing_step_is_named_and_the_rest_still_runs(
    player: Player,
    payments_team: Team,
    policy: SlaPolicy,
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    confirmed_deposit(player)

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(wiring, "match_transactions", broken)

    ticket = register(player, RU_TEXT, django_capture_on_commit_callbacks)

    assert ticket.category == "deposit_not_credited"
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert suggestion.problem == "matching failed: database went away"
    assert (suggestion.transaction_id, suggestion.reply_language) == (None, "ru")
    assert suggestion.reply_text.startswith("Здравствуйте, Ivan!")


def test_later_messages_never_lower_priority_and_keep_a_specific_category(
    player: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Capture
) -> None:
    deposit = confirmed_deposit(player)
    ticket = register(player, RU_TEXT, django_capture_on_commit_callbacks, priority="urgent")
    assert (ticket.category, ticket.priority) == ("deposit_not_credited", "urgent")
    first = TicketSuggestion.objects.get(ticket=ticket)

    with clock.frozen(NOW + timedelta(minutes=10)), django_capture_on_commit_callbacks(execute=True):
        later = message_add(
            ticket_id=ticket.pk, body="Спасибо, жду", author_player=player, channel="webchat", acting_user=None
        )

    ticket.refresh_from_db()
    assert (ticket.category, ticket.language, ticket.priority) == ("deposit_not_credited", "ru", "urgent")
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert suggestion.pk == first.pk
    assert suggestion.message_id == later.pk
    # A message that names nothing is about the primary link.
    assert suggestion.transaction_id == deposit.pk
    assert TicketTransaction.objects.filter(ticket=ticket).count() == 1


def test_a_stale_suggestion_never_replaces_a_newer_one(
    player: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Capture
) -> None:
    confirmed_deposit(player)
    ticket = register(player, RU_TEXT, django_capture_on_commit_callbacks)
    first_message = Message.objects.get(ticket=ticket)
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        newer = message_add(
            ticket_id=ticket.pk, body="Баланс так и пустой", author_player=player, channel="webchat", acting_user=None
        )

    with clock.frozen(NOW):
        assert wiring.ticket_suggest(ticket_id=ticket.pk, message_id=first_message.pk) is None

    assert TicketSuggestion.objects.get(ticket=ticket).message_id == newer.pk


def test_query_count_does_not_grow_with_the_players_history(
    player: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Capture
) -> None:
    confirmed_deposit(player)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            register(player, RU_TEXT, django_capture_on_commit_callbacks)
        return len(captured.captured_queries)

    few = queries()
    with clock.frozen(T0):
        for n in range(30):
            transaction_create(
                reference=f"DEP-X-{n:06d}", kind="deposit", player=player, amount_minor=1000 + n, currency="RUB"
            )
    many = queries()

    assert many == few
    assert few <= 36
