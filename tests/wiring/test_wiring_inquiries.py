"""Simulated player inquiries: true to the player's own payment, registered through intake once, and trickled live."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.core import clock
from paydesk.payments.models import Transaction
from paydesk.simulate import inquiries
from paydesk.simulate.inquiries import Facts, compose, live_inquiry, plan_seed_inquiries, seed_inquiries
from paydesk.simulate.seed import seed_world
from paydesk.simulate.tasks import simulate_live_tick
from paydesk.sla.models import SlaPolicy
from paydesk.tickets.models import Message, Ticket, TicketSuggestion, TicketTransaction
from paydesk.triage.pipeline import triage_message

Capture = Callable[..., Any]
ANCHOR = datetime(2026, 3, 12, 15, tzinfo=UTC)  # a Thursday
NOW = ANCHOR + timedelta(minutes=30)

RUB_CARD = Facts(
    reference="DEP-AB12C-000417",
    psp_reference="pi_3PqLs2Xk9",
    kind="deposit",
    amount_minor=150_000,
    currency="RUB",
    method_type="card",
    brand="Mir",
    last4="4242",
    created_at=ANCHOR - timedelta(days=1, hours=2),
)
USD_PAYOUT = Facts(
    reference="WDR-AB12C-000033",
    psp_reference=None,
    kind="withdrawal",
    amount_minor=12_550,
    currency="USD",
    method_type="card",
    brand="Visa",
    last4="0071",
    created_at=ANCHOR - timedelta(days=3),
)
TXN_TOPICS = sorted(inquiries.TOPICS)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_message_is_filled_and_says_only_what_is_true(lang: str) -> None:
    rng = random.Random(5)
    for n in range(300):
        topic = TXN_TOPICS[n % len(TXN_TOPICS)]
        facts = USD_PAYOUT if topic.startswith(("withdrawal", "paid", "payout", "documents", "wagering")) else RUB_CARD
        level = ("ref", "details", "vague")[n % 3]
        text = compose(rng, topic=topic, lang=lang, facts=facts, written=NOW, level=level)

        assert "{" not in text
        assert "}" not in text
        assert "  " not in text
        result = triage_message(text, now=NOW)
        assert result.language == lang, text
        entities = result.entities
        if level == "ref":
            assert facts.reference in text or (facts.psp_reference or "-") in text
        if level == "vague":
            assert (entities.amount_minor, entities.card_last4, entities.reference) == (None, None, None), text
        if entities.amount_minor is not None:
            assert (entities.amount_minor, entities.currency) == (facts.amount_minor, facts.currency), text
        if entities.card_last4 is not None:
            assert entities.card_last4 == facts.last4, text


def test_general_questions_name_no_payment() -> None:
    rng = random.Random(9)
    for topic in inquiries.GENERAL:
        for lang in ("en", "ru"):
            text = compose(rng, topic=topic, lang=lang, facts=None, written=NOW)
            entities = triage_message(text, now=NOW).entities
            assert (entities.amount_minor, entities.reference, entities.card_last4) == (None, None, None), text


def test_when_words_are_relative_to_the_moment_of_writing() -> None:
    rng = random.Random(1)
    written = datetime(2026, 3, 12, 10, tzinfo=UTC)
    assert inquiries.when_words(rng, written - timedelta(days=1), written, "en") == "yesterday"
    assert inquiries.when_words(rng, written - timedelta(days=1), written, "ru") == "вчера"
    seen = {inquiries.when_words(rng, datetime(2026, 3, 9, 8, tzinfo=UTC), written, "ru") for _ in range(60)}
    assert seen == {"3 дня назад", "9 марта", "9-го"}


def _seed(capture: Capture, tag: str) -> Any:
    with clock.frozen(NOW), capture(execute=True):
        return seed_inquiries(tag=tag, seed=11, players=60, anchor=ANCHOR)


@pytest.mark.django_db
def test_demo_inquiries_are_registered_through_intake_once(django_capture_on_commit_callbacks: Capture) -> None:
    world = seed_world(players=60, days=12, seed=11, anchor=ANCHOR)

    first = _seed(django_capture_on_commit_callbacks, world.tag)

    assert (first.planned, first.registered, first.already) == (12, 12, 0)
    assert SlaPolicy.objects.filter(name="Default").count() == 1
    tickets = list(Ticket.objects.select_related("player").order_by("id"))
    assert len(tickets) == 12
    messages = {m.ticket_id: m for m in Message.objects.all()}
    for ticket in tickets:
        message = messages[ticket.pk]
        assert ticket.channel in ("webchat", "telegram")
        assert message.external_id is not None
        assert message.external_id.startswith(f"sim:{world.tag}:")
        assert message.author_player_id == ticket.player_id
        assert ticket.first_response_due_at is not None
        assert ticket.category != ""
        assert NOW - inquiries.SEED_SPREAD <= ticket.created_at <= NOW
    assert TicketSuggestion.objects.count() == 12
    assert TicketSuggestion.objects.filter(lint_errors__gt=0).count() == 0
    # Links only ever point at the writer's own payments.
    for link in TicketTransaction.objects.select_related("ticket", "transaction"):
        assert link.transaction.player_id == link.ticket.player_id
    state = (Ticket.objects.count(), Message.objects.count(), TicketTransaction.objects.count())

    second = _seed(django_capture_on_commit_callbacks, world.tag)

    assert (second.planned, second.registered, second.already) == (12, 0, 12)
    assert (Ticket.objects.count(), Message.objects.count(), TicketTransaction.objects.count()) == state


@pytest.mark.django_db
def test_the_seed_plan_is_the_same_whenever_it_is_drawn() -> None:
    world = seed_world(players=60, days=12, seed=11, anchor=ANCHOR)
    early = plan_seed_inquiries(tag=world.tag, seed=11, players=60, anchor=ANCHOR, now=NOW)
    later = plan_seed_inquiries(tag=world.tag, seed=11, players=60, anchor=ANCHOR, now=NOW + timedelta(days=2))

    def key(items: list[Any]) -> list[tuple[str, str | None, str, str, str, int]]:
        return sorted((i.external_id, i.about, i.topic, i.channel, i.language, i.player_id) for i in items)

    assert key(early) == key(later)
    same_day = plan_seed_inquiries(tag=world.tag, seed=11, players=60, anchor=ANCHOR, now=NOW)
    assert [(i.text, i.at) for i in same_day] == [(i.text, i.at) for i in early]
    about = [i for i in early if i.about is not None]
    assert len(about) == 10
    owners = dict(Transaction.objects.filter(reference__in=[i.about for i in about]).values_list("reference", "player"))
    assert all(owners[i.about] == i.player_id for i in about)
    assert {i.language for i in early} == {"en", "ru"}


@pytest.mark.django_db
def test_a_live_tick_now_and_then_brings_a_chat_about_a_recent_payment(
    django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_world(players=60, days=12, seed=11, anchor=ANCHOR)
    monkeypatch.setattr(inquiries, "LIVE_CHANCE", 1.0)

    with clock.frozen(ANCHOR), django_capture_on_commit_callbacks(execute=True):
        number = live_inquiry(rng=random.Random(4))

    ticket = Ticket.objects.get(number=number)
    message = Message.objects.get(ticket=ticket)
    assert message.external_id is not None
    assert message.external_id.startswith("sim:live:")
    reference = message.external_id.removeprefix("sim:live:")
    assert Transaction.objects.get(reference=reference).player_id == ticket.player_id
    assert TicketSuggestion.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db
def test_without_luck_a_live_tick_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    seed_world(players=20, days=5, seed=3, anchor=ANCHOR)
    monkeypatch.setattr(inquiries, "LIVE_CHANCE", 0.0)

    with clock.frozen(ANCHOR):
        result = simulate_live_tick(seed=1)

    assert result["inquiries"] == []
    assert Ticket.objects.count() == 0
