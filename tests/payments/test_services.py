import logging
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from paydesk.core.audit import audit_verify
from paydesk.core.errors import NotFound, ValidationError
from paydesk.core.models import AuditEvent
from paydesk.payments.machines import DEPOSIT, IllegalTransition
from paydesk.payments.models import PaymentMethod, Transaction, TransactionEvent
from paydesk.payments.services import (
    payment_method_create,
    transaction_create,
    transaction_record_rejected,
    transaction_transition,
)
from tests.payments.factories import make_card, make_deposit, make_player, make_psp

pytestmark = pytest.mark.django_db


def test_create_registers_initial_status_and_first_event() -> None:
    txn = make_deposit(amount_minor=12345, currency="eur")
    assert (txn.status, txn.currency, txn.amount_minor) == ("initiated", "EUR", 12345)
    events = list(txn.events.values_list("from_status", "to_status", "source", "idempotency_key"))
    assert events == [("", "initiated", "platform", f"create:{txn.reference}")]
    assert AuditEvent.objects.filter(action="transaction.create", object_id=txn.reference).count() == 1


def test_create_refuses_duplicate_reference_and_psp_reference() -> None:
    txn = make_deposit()
    with pytest.raises(ValidationError, match=f"transaction reference '{txn.reference}' already exists"):
        make_deposit(reference=txn.reference)
    with pytest.raises(ValidationError, match=f"PSP reference '{txn.psp_reference}' is already used"):
        make_deposit(psp_reference=txn.psp_reference)
    assert Transaction.objects.count() == 1


def test_same_psp_reference_at_two_psps_is_fine() -> None:
    make_deposit(psp_reference="X1")
    make_deposit(psp_reference="X1", psp=make_psp("adyen", "adyen"))
    assert Transaction.objects.filter(psp_reference="X1").count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "loan"}, "unknown transaction kind 'loan'"),
        ({"amount_minor": -1}, "non-negative integer"),
        ({"amount_minor": 1.5}, "non-negative integer"),
        ({"currency": "ZZZ"}, "unknown currency 'ZZZ'"),
        ({"reference": " "}, "reference is empty"),
    ],
)
def test_create_refuses_bad_input(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_deposit(**overrides)
    assert Transaction.objects.count() == 0


def test_transition_moves_status_and_writes_event_and_audit() -> None:
    txn = make_deposit()
    at = datetime(2026, 5, 1, 10, tzinfo=UTC)
    result = transaction_transition(
        reference=txn.reference,
        to_status="pending",
        source="psp_webhook",
        occurred_at=at,
        psp_status="processing",
        payload={"id": "evt_1"},
        idempotency_key="stripe:evt_1",
    )
    assert not result.duplicate
    txn.refresh_from_db()
    assert (txn.status, txn.psp_status, txn.status_changed_at) == ("pending", "processing", at)
    event = result.event
    assert (event.from_status, event.to_status, event.applied, event.payload) == (
        "initiated",
        "pending",
        True,
        {"id": "evt_1"},
    )
    audit = AuditEvent.objects.get(action="transaction.transition")
    assert audit.data == {"from": "initiated", "to": "pending", "source": "psp_webhook", "event": event.pk}
    assert audit.actor_label == "psp_webhook"
    assert audit_verify().ok


def test_replayed_idempotency_key_changes_nothing() -> None:
    txn = make_deposit()
    first = transaction_transition(
        reference=txn.reference, to_status="pending", source="psp_webhook", idempotency_key="k1"
    )
    transaction_transition(reference=txn.reference, to_status="confirmed", source="psp_webhook", idempotency_key="k2")
    again = transaction_transition(
        reference=txn.reference, to_status="pending", source="psp_webhook", idempotency_key="k1"
    )
    assert again.duplicate
    assert again.event.pk == first.event.pk
    txn.refresh_from_db()
    assert txn.status == "confirmed"
    assert TransactionEvent.objects.filter(transaction=txn).count() == 3


def test_illegal_transition_raises_logs_and_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    txn = make_deposit()
    transaction_transition(reference=txn.reference, to_status="credited", source="platform")
    audit_count = AuditEvent.objects.count()
    with caplog.at_level(logging.WARNING, logger="paydesk.payments.services"), pytest.raises(IllegalTransition) as info:
        transaction_transition(
            reference=txn.reference, to_status="pending", source="psp_webhook", idempotency_key="late"
        )
    assert info.value.message == (
        f"transaction {txn.reference} (deposit): illegal transition credited -> pending (not allowed from this status)"
    )
    assert f"rejected: transaction {txn.reference} (deposit): illegal transition credited -> pending" in caplog.text
    txn.refresh_from_db()
    assert txn.status == "credited"
    assert not TransactionEvent.objects.filter(idempotency_key="late").exists()
    assert AuditEvent.objects.count() == audit_count


def test_rejected_event_is_kept_on_the_timeline_unapplied() -> None:
    txn = make_deposit()
    transaction_transition(reference=txn.reference, to_status="credited", source="platform")
    event = transaction_record_rejected(
        reference=txn.reference, to_status="pending", source="psp_webhook", reason="late event", idempotency_key="r1"
    )
    again = transaction_record_rejected(
        reference=txn.reference, to_status="pending", source="psp_webhook", reason="late event", idempotency_key="r1"
    )
    assert event is not None
    assert again is not None
    assert again.pk == event.pk
    assert (event.applied, event.from_status, event.to_status, event.note) == (
        False,
        "credited",
        "pending",
        "late event",
    )
    txn.refresh_from_db()
    assert txn.status == "credited"


def test_transition_of_unknown_transaction() -> None:
    with pytest.raises(NotFound, match="transaction NOPE not found"):
        transaction_transition(reference="NOPE", to_status="pending", source="platform")


def test_transition_refuses_unknown_source() -> None:
    txn = make_deposit()
    with pytest.raises(ValidationError, match="unknown event source 'carrier_pigeon'"):
        transaction_transition(reference=txn.reference, to_status="pending", source="carrier_pigeon")


def test_chargeback_stage_advance_reopens_the_dispute() -> None:
    deposit = make_deposit()
    cb = transaction_create(
        reference="CB-1",
        kind="chargeback",
        player=deposit.player,
        amount_minor=5000,
        currency="EUR",
        parent=deposit,
        psp=deposit.psp,
    )
    assert (cb.status, cb.dispute_stage) == ("needs_response", "chargeback")
    transaction_transition(reference="CB-1", to_status="won", source="psp_webhook")
    transaction_transition(reference="CB-1", to_status="won", to_stage="pre_arbitration", source="psp_webhook")
    cb.refresh_from_db()
    assert (cb.status, cb.dispute_stage) == ("needs_response", "pre_arbitration")
    transaction_transition(reference="CB-1", to_status="accepted", source="agent")
    with pytest.raises(IllegalTransition, match="the dispute is closed"):
        transaction_transition(
            reference="CB-1", to_status="needs_response", to_stage="arbitration", source="psp_webhook"
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bin", "4242424242424242", "bin looks like a full card number"),
        ("masked_account", "4242 4242 4242 4242", "masked_account looks like a full card number"),
        ("holder_name", "4111-1111-1111-1111", "holder_name looks like a full card number"),
        ("last4", "42424", "last4 '42424' must be exactly 4 digits"),
        ("bin", "42", "bin '42' must be 6 to 8 digits"),
    ],
)
def test_payment_method_never_stores_a_card_number(field: str, value: str, message: str) -> None:
    player = make_player()
    fields = {"player": player, "type": "card", "brand": "visa", "bin": "424242", "last4": "4242", field: value}
    with pytest.raises(ValidationError, match=message):
        payment_method_create(**fields)  # type: ignore[arg-type]
    assert PaymentMethod.objects.count() == 0


def test_payment_method_keeps_bin_and_last_four() -> None:
    method = make_card(make_player(), last4="1881")
    assert (method.bin, method.last4, str(method)) == ("424242", "1881", "visa •••• 1881")


def test_transition_issues_a_fixed_number_of_queries() -> None:
    txn = make_deposit()
    with CaptureQueriesContext(connection) as ctx:
        transaction_transition(reference=txn.reference, to_status="pending", source="psp_webhook", idempotency_key="q")
    # savepoint/lock txn, idempotency probe, insert event, update txn, lock head (+get_or_create), insert audit,
    # update head. The count must not depend on timeline length.
    first = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        transaction_transition(
            reference=txn.reference, to_status="confirmed", source="psp_webhook", idempotency_key="q2"
        )
    assert len(ctx.captured_queries) == first


class ReplayInAnyOrder(HypothesisTestCase):
    """Replaying a deposit's events through the service in any order never moves it backwards."""

    @given(order=st.permutations(["pending", "confirmed", "credited", "partially_refunded", "refunded"]))
    def test_replay(self, order: list[str]) -> None:
        txn = make_deposit()
        applied = []
        for i, status in enumerate(order):
            try:
                transaction_transition(
                    reference=txn.reference,
                    to_status=status,
                    source="psp_webhook",
                    idempotency_key=f"{txn.reference}:{i}",
                )
                applied.append(status)
            except IllegalTransition:
                transaction_record_rejected(
                    reference=txn.reference,
                    to_status=status,
                    source="psp_webhook",
                    reason="out of order",
                    idempotency_key=f"{txn.reference}:{i}",
                )
        txn.refresh_from_db()
        ranks = [DEPOSIT.rank[s] for s in applied]
        assert ranks == sorted(ranks)
        assert txn.status == (applied[-1] if applied else "initiated")
        assert txn.events.count() == 1 + len(order)
        assert txn.events.filter(applied=False).count() == len(order) - len(applied)


def test_stale_sideways_move_is_refused_by_event_time() -> None:
    txn = make_deposit()
    t = datetime(2026, 5, 1, 10, tzinfo=UTC)
    transaction_transition(reference=txn.reference, to_status="held", source="system", occurred_at=t.replace(hour=12))
    with pytest.raises(IllegalTransition, match="out of order: the event is older than the current status"):
        transaction_transition(
            reference=txn.reference, to_status="confirmed", source="psp_webhook", occurred_at=t.replace(hour=11)
        )
    transaction_transition(
        reference=txn.reference, to_status="confirmed", source="agent", occurred_at=t.replace(hour=13)
    )
    txn.refresh_from_db()
    assert txn.status == "confirmed"


class WithdrawalReplayInAnyOrder(HypothesisTestCase):
    """KYC side trips (verification ⇄ awaiting_documents) replayed in any order end where the true history did,
    or the out-of-order events are kept as rejected."""

    HISTORY = ("verification", "awaiting_documents", "verification", "held", "approved", "processing", "paid")

    @given(order=st.permutations(list(enumerate(HISTORY))))
    def test_replay(self, order: list[tuple[int, str]]) -> None:
        player = make_player()
        transaction_create(
            reference=f"WD-{player.external_id}", kind="withdrawal", player=player, amount_minor=1000, currency="EUR"
        )
        base = datetime(2026, 5, 1, tzinfo=UTC)
        rejected = 0
        for at, status in order:
            try:
                transaction_transition(
                    reference=f"WD-{player.external_id}",
                    to_status=status,
                    source="platform",
                    occurred_at=base.replace(hour=at + 1),
                    idempotency_key=f"{player.pk}:{at}",
                )
            except IllegalTransition:
                rejected += 1
        txn = Transaction.objects.get(reference=f"WD-{player.external_id}")
        assert txn.status == "paid" or rejected > 0
        if rejected == 0:
            assert [s for _, s in order] == list(self.HISTORY)
