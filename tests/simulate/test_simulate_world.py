"""The world generator: deterministic, legal histories, labelled failure modes at plausible rates, no card numbers."""

import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from paydesk.core.money import currency_exponent
from paydesk.payments.enums import Kind
from paydesk.payments.machines import machine_for
from paydesk.simulate.catalogue import CURRENCIES, PSP_BY_CODE, Scenario
from paydesk.simulate.world import World, event_key, generate_world, validate_history

ANCHOR = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    # Big enough for the rare failure modes (chargebacks, bank returns) to appear, small enough to take a second.
    return generate_world(players=400, days=60, seed=11, anchor=ANCHOR)


def test_same_seed_gives_the_same_world_and_another_seed_a_different_one() -> None:
    a = generate_world(players=40, days=10, seed=5, anchor=ANCHOR)
    b = generate_world(players=40, days=10, seed=5, anchor=ANCHOR)
    c = generate_world(players=40, days=10, seed=6, anchor=ANCHOR)
    assert a.digest() == b.digest()
    assert [t.reference for t in a.transactions] == [t.reference for t in b.transactions]
    assert a.digest() != c.digest()
    assert [p.name for p in a.players] != [p.name for p in c.players]


def test_a_player_is_the_same_whatever_else_is_in_the_world() -> None:
    small = generate_world(players=5, days=10, seed=5, anchor=ANCHOR)
    large = generate_world(players=30, days=10, seed=5, anchor=ANCHOR)
    assert [p.name for p in small.players] == [p.name for p in large.players[:5]]


def test_every_history_is_legal_per_the_machines_and_split_at_the_anchor(world: World) -> None:
    for txn in world.transactions:
        status, stage = validate_history(txn.kind, [*txn.events, *txn.plan], reference=txn.reference)
        assert txn.events[0].to_status == machine_for(txn.kind).initial
        assert all(e.at <= ANCHOR for e in txn.events)
        assert all(e.at > ANCHOR for e in txn.plan)
        assert [e.index for e in (*txn.events, *txn.plan)] == list(range(len(txn.events) + len(txn.plan)))
        if not txn.plan:
            assert (status, stage) == (txn.status, txn.stage)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_histories_are_legal_for_other_seeds_and_tiny_worlds(seed: int) -> None:
    for players, days in ((1, 1), (30, 45)):
        world = generate_world(players=players, days=days, seed=seed, anchor=ANCHOR)
        assert len(world.players) == players
        for txn in world.transactions:
            validate_history(txn.kind, [*txn.events, *txn.plan], reference=txn.reference)


def test_children_point_at_an_earlier_deposit_of_the_same_player(world: World) -> None:
    by_ref = {t.reference: t for t in world.transactions}
    children = [t for t in world.transactions if t.parent]
    assert {t.kind for t in children} == {Kind.REFUND, Kind.CHARGEBACK}
    for child in children:
        parent = by_ref[child.parent or ""]
        assert parent.kind == Kind.DEPOSIT
        assert parent.player == child.player
        assert parent.created_at < child.created_at
        assert child.amount_minor <= parent.amount_minor
        assert child.currency == parent.currency


def test_every_failure_mode_is_present_and_labelled(world: World) -> None:
    seen = Counter(t.scenario for t in world.transactions)
    assert set(seen) == set(Scenario)
    for txn in world.transactions:
        meta = txn.metadata(world.tag)["sim"]
        assert meta["scenario"] == txn.scenario.value
        assert meta["world"] == world.tag


def test_failure_rates_are_plausible(world: World) -> None:
    deposits = [t for t in world.transactions if t.kind == Kind.DEPOSIT]
    withdrawals = [t for t in world.transactions if t.kind == Kind.WITHDRAWAL]
    method_type = {m.key: m.type for m in world.methods}
    card = [t for t in deposits if method_type[t.method or ""] == "card" and t.scenario != Scenario.REFUNDED]
    share = Counter(t.scenario for t in card)
    assert 0.05 < share[Scenario.ISSUER_DECLINE] / len(card) < 0.16
    assert 0.01 < share[Scenario.THREE_DS_ABANDONED] / len(card) < 0.07
    ok_deposits = sum(1 for t in deposits if t.scenario == Scenario.OK) / len(deposits)
    assert 0.7 < ok_deposits < 0.9
    ok_withdrawals = sum(1 for t in withdrawals if t.scenario == Scenario.OK) / len(withdrawals)
    assert 0.6 < ok_withdrawals < 0.9
    chargebacks = sum(1 for t in world.transactions if t.kind == Kind.CHARGEBACK)
    assert 0 < chargebacks / len(deposits) < 0.01
    assert 0.15 < len(withdrawals) / len(deposits) < 0.45


def test_failure_details_name_the_cause(world: World) -> None:
    for txn in world.transactions:
        d = txn.details
        if txn.scenario == Scenario.ISSUER_DECLINE:
            assert d["decline_reason"] in {
                "insufficient_funds",
                "do_not_honor",
                "limit_exceeded",
                "suspected_fraud",
                "expired_card",
                "incorrect_cvc",
                "transaction_not_allowed",
                "generic_decline",
                "account_blocked",
            }
            assert txn.status == "declined"
        elif txn.scenario == Scenario.THREE_DS_ABANDONED and not txn.plan:
            assert txn.status == "expired"
            assert txn.psp_status in {"requires_action", "ChallengeShopper", "awaiting_authentication"}
        elif txn.scenario == Scenario.CONFIRMED_NOT_CREDITED:
            assert txn.status in {"initiated", "pending", "confirmed"}
            assert not any(e.to_status == "credited" for e in (*txn.events, *txn.plan))
        elif txn.scenario == Scenario.PAYOUT_FAILED and not txn.plan:
            assert txn.status == "failed"
            assert d["failure_reason"]
        elif txn.scenario == Scenario.BANK_RETURN and not txn.plan:
            assert [e.to_status for e in txn.events][-2:] == ["paid", "returned"]
        elif txn.scenario == Scenario.BONUS_WAGERING:
            assert d["reason"] == "bonus_wagering"
            assert any("bonus_wagering" in e.note for e in (*txn.events, *txn.plan))
        elif txn.scenario == Scenario.KYC_DOCUMENTS:
            assert any(e.to_status == "awaiting_documents" for e in txn.events)
        elif txn.scenario == Scenario.PAID_NOT_RECEIVED and not txn.plan:
            assert txn.status == "paid"
            assert d["payout_reference"]


def test_duplicate_charges_come_in_pairs_of_the_same_amount_seconds_apart(world: World) -> None:
    by_ref = {t.reference: t for t in world.transactions}
    firsts = [t for t in world.transactions if t.details.get("duplicate_role") == "first"]
    assert firsts
    for first in firsts:
        second = by_ref[first.details["duplicate_of"]]
        assert second.details["duplicate_of"] == first.reference
        assert (second.amount_minor, second.currency) == (first.amount_minor, first.currency)
        assert second.method == first.method
        assert 0 < (second.created_at - first.created_at).total_seconds() <= 45


def test_some_payments_are_still_in_flight_at_the_anchor(world: World) -> None:
    in_flight = [t for t in world.transactions if t.plan]
    statuses = Counter(t.status for t in in_flight)
    assert len(in_flight) > 10
    assert {"pending", "processing"} & set(statuses)
    for txn in in_flight:
        assert machine_for(txn.kind).allows(txn.status, txn.plan[0].to_status) or txn.plan[0].stage


def test_no_full_card_number_anywhere_in_a_payment_method(world: World) -> None:
    pan = re.compile(r"\d{13,19}")
    for method in world.methods:
        for value in (method.bin, method.last4, method.holder_name, method.masked_account, method.brand):
            assert not pan.search(re.sub(r"[ \-.]", "", value)), (method.key, value)
        if method.type == "card":
            assert method.bin.isdigit()
            assert len(method.bin) == 6
            assert method.last4.isdigit()
            assert len(method.last4) == 4
            assert method.bin[0] in "2345"
        else:
            assert method.bin == method.last4 == ""


def test_players_speak_en_and_ru_with_names_in_both_scripts(world: World) -> None:
    languages = Counter(p.language for p in world.players)
    assert languages["en"] > 100
    assert languages["ru"] > 50
    cyrillic = [p for p in world.players if re.search("[А-Яа-яЁё]", p.name)]
    assert cyrillic
    assert all(p.language == "ru" for p in cyrillic)
    assert {p.region for p in world.players} == {"cis", "eu", "latam", "row"}
    vip = Counter(p.vip_level for p in world.players)
    assert vip[0] > vip[1] > vip[2] > vip[5] > 0
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+", p.email) for p in world.players)
    assert len({p.email for p in world.players}) == len(world.players)


def test_amounts_are_positive_integers_in_the_currency_minor_units(world: World) -> None:
    for code, info in CURRENCIES.items():
        assert currency_exponent(code) == info.exponent
    for txn in world.transactions:
        assert isinstance(txn.amount_minor, int)
        assert txn.amount_minor > 0
        assert txn.currency in PSP_BY_CODE[txn.psp].currencies


def test_psp_references_are_unique_per_psp_and_shaped_like_the_psp(world: World) -> None:
    refs = [(t.psp, t.psp_reference) for t in world.transactions if t.psp_reference]
    assert len(refs) == len(set(refs))
    for psp, ref in refs:
        if psp == "stripe":
            assert re.fullmatch(r"(pi|po|re|dp)_[A-Za-z0-9]{24}", ref or "")
        if psp == "adyen":
            assert re.fullmatch(r"[A-Z0-9]{16}", ref or "")


def test_event_keys_are_the_services_create_key_then_sim_keys() -> None:
    assert event_key("DEP-1", 0) == "create:DEP-1"
    assert event_key("DEP-1", 3) == "sim:DEP-1:3"


def test_a_world_needs_players_days_and_an_aware_anchor() -> None:
    with pytest.raises(ValueError, match="at least one player"):
        generate_world(players=0, days=5, seed=1, anchor=ANCHOR)
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_world(players=3, days=5, seed=1, anchor=datetime(2026, 3, 1))
