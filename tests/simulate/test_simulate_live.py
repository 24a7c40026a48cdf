"""The live tick: PSP-side decisions from the stored plan, delivered through the ledger services, idempotently."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from paydesk.core import clock
from paydesk.payments.models import Transaction, TransactionEvent
from paydesk.payments.services import transaction_transition
from paydesk.simulate.live import PspStep, advance_in_flight, deliver_via_service, live_tick, next_step
from paydesk.simulate.models import SimulatedPlan
from paydesk.simulate.seed import seed_world
from paydesk.simulate.tasks import simulate_live_tick

ANCHOR = datetime(2026, 1, 10, 18, tzinfo=UTC)


def _planned() -> list[Transaction]:
    return [t for t in Transaction.objects.select_related("psp").order_by("id") if t.metadata["sim"].get("plan")]


@pytest.mark.django_db
def test_a_tick_moves_due_payments_and_starts_new_ones() -> None:
    seed_world(players=60, days=6, seed=8, anchor=ANCHOR)
    planned = _planned()
    assert planned
    events_before = TransactionEvent.objects.count()
    sim_before = TransactionEvent.objects.filter(idempotency_key__startswith="sim:").count()
    statuses_before = {t.reference: t.status for t in planned}

    with clock.frozen(ANCHOR + timedelta(days=30)):
        result = live_tick(rng=random.Random(2), new=(2, 2), advance_limit=500)

    assert len(result.created) == 2
    assert result.advanced
    assert result.refused == ()
    moved = Transaction.objects.filter(reference__in=statuses_before)
    changed = [t for t in moved if t.status != statuses_before[t.reference]]
    assert changed
    sim_events = TransactionEvent.objects.filter(idempotency_key__startswith="sim:")
    assert sim_events.count() == sim_before + len(result.advanced)
    assert TransactionEvent.objects.count() == events_before + len(result.advanced) + len(result.created)
    for txn in Transaction.objects.filter(reference__in=result.created):
        assert txn.metadata["sim"]["live"] is True
        assert txn.metadata["sim"]["scenario"]
        assert txn.events.count() == 1


@pytest.mark.django_db
def test_every_due_step_is_delivered_once_and_plans_end_where_the_generator_said() -> None:
    seed_world(players=60, days=6, seed=8, anchor=ANCHOR)
    planned = _planned()
    with clock.frozen(ANCHOR + timedelta(days=400)):
        first, refused = advance_in_flight(now=clock.now(), limit=10_000)
        again, _ = advance_in_flight(now=clock.now(), limit=10_000)
    assert first
    assert refused == []
    assert again == []
    for txn in planned:
        txn.refresh_from_db()
        assert txn.status == txn.metadata["sim"]["plan"][-1]["to"]
    assert SimulatedPlan.objects.count() == 0


@pytest.mark.django_db
def test_only_due_plans_are_looked_at() -> None:
    result = seed_world(players=60, days=6, seed=8, anchor=ANCHOR)
    assert SimulatedPlan.objects.count() == result.counts["in_flight"]
    soonest = SimulatedPlan.objects.order_by("due_at").first()
    assert soonest is not None
    advanced, _ = advance_in_flight(now=soonest.due_at - timedelta(seconds=1), limit=100)
    assert advanced == []
    advanced, _ = advance_in_flight(now=soonest.due_at, limit=100)
    assert advanced[0] == soonest.transaction.reference


@pytest.mark.django_db
def test_nothing_is_delivered_before_it_is_due() -> None:
    seed_world(players=60, days=6, seed=8, anchor=ANCHOR)
    txn = _planned()[0]
    first = txn.metadata["sim"]["plan"][0]
    first_due = datetime.fromisoformat(first["at"])

    assert next_step(txn, index=first["i"], now=first_due - timedelta(seconds=1)) is None
    step = next_step(txn, index=first["i"], now=first_due)
    assert step is not None
    assert step.to_status == txn.metadata["sim"]["plan"][0]["to"]
    assert step.idempotency_key == f"sim:{txn.reference}:{txn.metadata['sim']['plan'][0]['i']}"


@pytest.mark.django_db
def test_a_step_the_desk_no_longer_accepts_is_kept_as_rejected_and_not_retried() -> None:
    seed_world(players=60, days=6, seed=8, anchor=ANCHOR)
    txn = next(t for t in _planned() if t.kind == "withdrawal" and t.status == "processing")
    plan = txn.metadata["sim"]["plan"]
    # The payout failed on the desk's side before the PSP's own word arrived.
    transaction_transition(reference=txn.reference, to_status="failed", source="agent", note="manual fail")

    with clock.frozen(ANCHOR + timedelta(days=60)):
        advanced, refused = advance_in_flight(now=clock.now(), limit=10_000)
        again = advance_in_flight(now=clock.now(), limit=10_000)

    assert refused.count(txn.reference) == len(plan)
    assert txn.reference not in advanced
    assert again == ([], [])
    txn.refresh_from_db()
    assert txn.status == "failed"
    rejected = TransactionEvent.objects.get(idempotency_key=f"sim:{txn.reference}:{plan[0]['i']}")
    assert rejected.applied is False
    assert f"illegal transition failed -> {plan[0]['to']}" in rejected.note
    assert not SimulatedPlan.objects.filter(transaction=txn).exists()


@pytest.mark.django_db
def test_delivering_the_same_step_twice_applies_it_once() -> None:
    seed_world(players=60, days=6, seed=8, anchor=ANCHOR)
    txn = _planned()[0]
    step = next_step(txn, index=txn.metadata["sim"]["plan"][0]["i"], now=ANCHOR + timedelta(days=60))
    assert isinstance(step, PspStep)
    assert deliver_via_service(step) is True
    count = TransactionEvent.objects.filter(transaction=txn).count()
    assert deliver_via_service(step) is True
    assert TransactionEvent.objects.filter(transaction=txn).count() == count


@pytest.mark.django_db
def test_the_periodic_task_is_callable_directly() -> None:
    seed_world(players=20, days=3, seed=5, anchor=ANCHOR)
    before = Transaction.objects.count()
    with clock.frozen(ANCHOR + timedelta(hours=1)):
        summary = simulate_live_tick(seed=3)
    assert Transaction.objects.count() == before + len(summary["created"])
    assert 1 <= len(summary["created"]) <= 3


@pytest.mark.django_db
def test_a_tick_on_an_empty_desk_does_nothing() -> None:
    result = live_tick(rng=random.Random(1))
    assert (result.created, result.advanced, result.refused) == ((), (), ())
