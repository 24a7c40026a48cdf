"""Seeding: the world lands in the ledger exactly once, matches the generator, and replays through the services."""

import re
from datetime import UTC, datetime

import pytest

from paydesk.core.audit import audit_verify
from paydesk.core.models import AuditEvent
from paydesk.payments.enums import Kind
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent
from paydesk.payments.services import payment_method_create, player_create, transaction_create, transaction_transition
from paydesk.simulate.models import SimulatedWorld
from paydesk.simulate.seed import seed_world
from paydesk.simulate.world import event_key, generate_world

ANCHOR = datetime(2026, 2, 1, 9, tzinfo=UTC)


def _counts() -> tuple[int, int, int, int]:
    return (
        Player.objects.count(),
        PaymentMethod.objects.count(),
        Transaction.objects.count(),
        TransactionEvent.objects.count(),
    )


@pytest.mark.django_db
def test_seed_writes_the_generated_world_and_one_audit_event() -> None:
    world = generate_world(players=25, days=12, seed=3, anchor=ANCHOR)
    result = seed_world(players=25, days=12, seed=3, anchor=ANCHOR)

    assert result.created is True
    assert result.digest == world.digest()
    assert _counts() == (25, len(world.methods), len(world.transactions), world.events)
    assert result.counts["transactions"] == len(world.transactions)
    assert result.counts["in_flight"] == sum(1 for t in world.transactions if t.plan)
    assert set(Psp.objects.values_list("code", flat=True)) == {"stripe", "adyen", "novawallet", "chainpay", "volgabank"}
    stripe = Psp.objects.get(code="stripe")
    assert (stripe.adapter, stripe.norms["deposit"]["card"]) == ("stripe", 60)
    seeded = AuditEvent.objects.filter(action="simulate.seed")
    assert seeded.count() == 1
    assert seeded.get().data["transactions"] == len(world.transactions)
    assert audit_verify().ok

    stored = {t.reference: t for t in Transaction.objects.select_related("parent", "player")}
    for spec in world.transactions:
        row = stored[spec.reference]
        assert (row.kind, row.status, row.psp_status, row.dispute_stage) == (
            spec.kind,
            spec.status,
            spec.psp_status,
            spec.stage,
        )
        assert (row.amount_minor, row.currency, row.player.external_id) == (
            spec.amount_minor,
            spec.currency,
            spec.player,
        )
        assert (row.parent.reference if row.parent else None) == spec.parent
        assert row.metadata["sim"]["scenario"] == spec.scenario.value
        assert row.created_at == spec.created_at
        assert row.status_changed_at == spec.events[-1].at
    some = world.transactions[0]
    keys = list(
        TransactionEvent.objects.filter(transaction__reference=some.reference)
        .order_by("occurred_at", "id")
        .values_list("idempotency_key", "from_status", "to_status")
    )
    expected_from = ["", *[e.to_status for e in some.events[:-1]]]
    assert keys == [
        (event_key(some.reference, e.index), f, e.to_status) for e, f in zip(some.events, expected_from, strict=True)
    ]


@pytest.mark.django_db
def test_seeding_the_same_world_again_creates_nothing() -> None:
    first = seed_world(players=10, days=5, seed=9, anchor=ANCHOR)
    before = _counts()
    audit_before = AuditEvent.objects.count()

    again = seed_world(players=10, days=5, seed=9)

    assert again.created is False
    assert (again.tag, again.digest, again.anchor, again.counts) == (first.tag, first.digest, ANCHOR, first.counts)
    assert _counts() == before
    assert AuditEvent.objects.count() == audit_before
    assert SimulatedWorld.objects.count() == 1
    assert "already seeded" in again.describe()


@pytest.mark.django_db
def test_two_worlds_live_side_by_side_without_colliding() -> None:
    a = seed_world(players=6, days=4, seed=1, anchor=ANCHOR)
    b = seed_world(players=6, days=4, seed=2, anchor=ANCHOR)
    assert a.tag != b.tag
    assert Player.objects.count() == 12
    assert Transaction.objects.count() == a.counts["transactions"] + b.counts["transactions"]


@pytest.mark.django_db
def test_no_stored_payment_method_field_holds_a_card_number() -> None:
    seed_world(players=40, days=5, seed=4, anchor=ANCHOR)
    pan = re.compile(r"\d{13,19}")
    rows = PaymentMethod.objects.values_list("bin", "last4", "holder_name", "masked_account", "brand")
    assert rows
    for row in rows:
        for value in row:
            assert not pan.search(re.sub(r"[ \-.]", "", value)), value


@pytest.mark.django_db
def test_generated_histories_replay_through_the_ledger_services() -> None:
    """The services are the oracle: every step of a sample of histories (plans included) must be accepted."""
    world = generate_world(players=12, days=30, seed=21, anchor=ANCHOR)
    for psp in world.psps:
        Psp.objects.create(code=psp.code, name=psp.name, adapter=psp.adapter, norms=psp.norms)
    psps = {p.code: p for p in Psp.objects.all()}
    players = {
        p.external_id: player_create(external_id=p.external_id, name=p.name, region=p.region, language=p.language)
        for p in world.players
    }
    methods = {
        m.key: payment_method_create(
            player=players[m.player],
            type=m.type,
            brand=m.brand,
            bin=m.bin,
            last4=m.last4,
            holder_name=m.holder_name,
            masked_account=m.masked_account,
        )
        for m in world.methods
    }
    parents = [t for t in world.transactions if t.kind in (Kind.DEPOSIT, Kind.WITHDRAWAL)][:120]
    by_ref = {t.reference: t for t in parents}
    chosen = [*parents, *[t for t in world.transactions if t.parent in by_ref]]
    assert {t.kind for t in chosen} >= {Kind.DEPOSIT, Kind.WITHDRAWAL}
    created = {}
    for spec in chosen:
        created[spec.reference] = transaction_create(
            reference=spec.reference,
            kind=spec.kind,
            player=players[spec.player],
            amount_minor=spec.amount_minor,
            currency=spec.currency,
            method=methods[spec.method] if spec.method else None,
            psp=psps[spec.psp],
            psp_reference=spec.psp_reference,
            parent=created.get(spec.parent or ""),
            created_at=spec.created_at,
        )
    steps = sorted(
        ((e.at, spec.reference, e) for spec in chosen for e in (*spec.events, *spec.plan)[1:]),
        key=lambda item: (item[0], item[1], item[2].index),
    )
    for _, reference, event in steps:
        result = transaction_transition(
            reference=reference,
            to_status=event.to_status,
            to_stage=event.stage or None,
            source=event.source,
            occurred_at=event.at,
            psp_status=event.psp_status,
            idempotency_key=event_key(reference, event.index),
        )
        assert result.duplicate is False
    for spec in chosen:
        final = (*spec.events, *spec.plan)[-1]
        row = Transaction.objects.get(reference=spec.reference)
        assert (row.status, row.dispute_stage) == (final.to_status, final.stage)
