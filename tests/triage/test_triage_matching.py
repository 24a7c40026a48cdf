"""Transaction matching: ranked candidates with reasons, only the player's own transactions, bounded queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction
from paydesk.payments.services import payment_method_create, player_create, transaction_create
from paydesk.triage.entities import Entities
from paydesk.triage.matching import match_transactions

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def _psp() -> Psp:
    psp, _ = Psp.objects.get_or_create(code="stripe", defaults={"name": "Stripe", "adapter": "stripe"})
    return psp


def _player(external_id: str) -> Player:
    return player_create(external_id=external_id, name=external_id, language="en")


def _card(player: Player, last4: str) -> PaymentMethod:
    return payment_method_create(player=player, type="card", brand="visa", bin="424242", last4=last4)


def _txn(
    player: Player,
    reference: str,
    *,
    kind: str = "deposit",
    amount: int = 5000,
    currency: str = "EUR",
    method: PaymentMethod | None = None,
    days_ago: float = 1,
    psp_reference: str | None = None,
) -> Transaction:
    return transaction_create(
        reference=reference,
        kind=kind,
        player=player,
        amount_minor=amount,
        currency=currency,
        method=method,
        psp=_psp(),
        psp_reference=psp_reference,
        created_at=NOW - timedelta(days=days_ago),
    )


@pytest.mark.django_db
def test_reference_match_ranks_first_with_its_reason() -> None:
    player = _player("P1")
    _txn(player, "DEP-A-000001", days_ago=1)
    target = _txn(player, "DEP-A-000002", days_ago=40, psp_reference="pi_3Nk2lQ2eZvKYlo2C1a2b3c4d")
    candidates = match_transactions(
        player=player, entities=Entities(reference="pi_3Nk2lQ2eZvKYlo2C1a2b3c4d"), now=NOW, category="deposit_pending"
    )
    assert [c.reference for c in candidates] == [target.reference]
    assert candidates[0].reasons == (
        "reference pi_3Nk2lQ2eZvKYlo2C1a2b3c4d matches exactly",
        "a deposit, as the message is about",
    )
    assert candidates[0].score == 110


@pytest.mark.django_db
def test_our_reference_matches_case_insensitively() -> None:
    player = _player("P1")
    target = _txn(player, "DEP-A-000009")
    [candidate] = match_transactions(player=player, entities=Entities(reference="dep-a-000009"), now=NOW)
    assert candidate.transaction.pk == target.pk


@pytest.mark.django_db
def test_amount_card_and_date_rank_the_right_deposit_first() -> None:
    player = _player("P1")
    visa = _card(player, "4242")
    other_card = _card(player, "1111")
    best = _txn(player, "DEP-B-000001", amount=150000, currency="RUB", method=visa, days_ago=1)
    _txn(player, "DEP-B-000002", amount=150000, currency="RUB", method=other_card, days_ago=10)
    _txn(player, "DEP-B-000003", amount=99900, currency="RUB", method=visa, days_ago=30)
    _txn(player, "WDR-B-000001", kind="withdrawal", amount=500, currency="EUR", days_ago=1)
    entities = Entities(amount_minor=150000, currency="RUB", card_last4="4242", method="card", date=date(2026, 11, 25))
    candidates = match_transactions(player=player, entities=entities, now=NOW, category="deposit_not_credited")
    assert [c.reference for c in candidates] == ["DEP-B-000001", "DEP-B-000002", "DEP-B-000003", "WDR-B-000001"]
    assert candidates[0].transaction.pk == best.pk
    assert candidates[0].reasons == (
        "amount 150000 RUB (minor units) matches",
        "card ending 4242",
        "method card",
        "same day as the date mentioned",
        "a deposit, as the message is about",
    )
    assert [c.score for c in candidates] == [40 + 25 + 10 + 15 + 10, 40 + 10 + 10, 3 + 25 + 10 + 10, 15]


@pytest.mark.django_db
def test_another_players_reference_matches_nothing() -> None:
    mine = _player("P1")
    theirs = _player("P2")
    _txn(theirs, "DEP-C-000001", psp_reference="pi_theirsABCDEFGHIJ")
    _txn(mine, "DEP-C-000002")
    assert match_transactions(player=mine, entities=Entities(reference="DEP-C-000001"), now=NOW) == []
    assert match_transactions(player=mine, entities=Entities(reference="pi_theirsABCDEFGHIJ"), now=NOW) == []


@pytest.mark.django_db
def test_without_entities_the_most_recent_of_the_right_kind() -> None:
    player = _player("P1")
    _txn(player, "DEP-D-000001", days_ago=3)
    _txn(player, "DEP-D-000002", days_ago=1)
    _txn(player, "WDR-D-000001", kind="withdrawal", days_ago=0.5)
    candidates = match_transactions(player=player, entities=Entities(), now=NOW, category="deposit_pending")
    assert [c.reference for c in candidates] == ["DEP-D-000002", "DEP-D-000001"]
    assert candidates[0].reasons == ("a deposit, as the message is about", "recent")


@pytest.mark.django_db
def test_method_type_alone_is_not_a_match() -> None:
    player = _player("P1")
    _txn(player, "DEP-E-000001", method=_card(player, "4242"))
    assert match_transactions(player=player, entities=Entities(method="card"), now=NOW) == []


@pytest.mark.django_db
def test_old_transactions_outside_the_window_need_a_reference_or_a_date() -> None:
    player = _player("P1")
    old = _txn(player, "DEP-F-000001", amount=7700, days_ago=200)
    assert match_transactions(player=player, entities=Entities(amount_minor=7700, currency="EUR"), now=NOW) == []
    with_date = Entities(amount_minor=7700, currency="EUR", date=(NOW - timedelta(days=200)).date())
    [candidate] = match_transactions(player=player, entities=with_date, now=NOW)
    assert candidate.transaction.pk == old.pk


@pytest.mark.django_db
def test_query_count_is_bounded(django_assert_num_queries: object) -> None:
    player = _player("P1")
    card = _card(player, "4242")
    for n in range(30):
        _txn(player, f"DEP-G-{n:06d}", method=card, days_ago=n)
    entities = Entities(reference="DEP-G-000003", amount_minor=5000, currency="EUR", card_last4="4242")
    with django_assert_num_queries(2):  # type: ignore[operator]
        candidates = match_transactions(player=player, entities=entities, now=NOW)
        assert len(candidates) == 5
        assert [c.transaction.method.last4 for c in candidates if c.transaction.method] == ["4242"] * 5
    assert candidates[0].reference == "DEP-G-000003"
    with django_assert_num_queries(1):  # type: ignore[operator]
        match_transactions(player=player, entities=Entities(card_last4="4242"), now=NOW)
