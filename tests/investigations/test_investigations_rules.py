from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paydesk.core import clock
from paydesk.investigations.diagnosis import transaction_diagnose
from paydesk.investigations.findings import ActionKind, Code, MoneyActionKind, Team
from paydesk.investigations.health import psp_health
from paydesk.payments.enums import EventSource, Kind
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction
from paydesk.payments.services import payment_method_create, player_create, transaction_create, transaction_transition
from paydesk.replies.render import render_finding
from paydesk.simulate.seed import psps_ensure

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PSP = EventSource.PSP_WEBHOOK
_refs = itertools.count(1)


def _player(language: str = "en") -> Player:
    with clock.frozen(T0 - timedelta(days=30)):
        return player_create(external_id=f"PL-{next(_refs)}", name="Anna Smith", language=language)


def _method(player: Player, type: str = "card") -> PaymentMethod:
    with clock.frozen(T0 - timedelta(days=30)):
        if type == "card":
            return payment_method_create(player=player, type="card", brand="Visa", bin="424242", last4="4242")
        return payment_method_create(player=player, type=type, brand="SEPA", masked_account="DE12 **** 0001")


def _txn(
    kind: str,
    steps: list[tuple[str, timedelta, dict[str, Any]]],
    *,
    player: Player | None = None,
    method: PaymentMethod | None = None,
    psp: str = "stripe",
    amount: int = 5000,
    currency: str = "EUR",
    created: datetime = T0,
    parent: Transaction | None = None,
    metadata: dict[str, Any] | None = None,
) -> Transaction:
    """A transaction created at ``created`` and moved through ``steps`` (status, time after creation, extras)."""
    psps = psps_ensure()
    player = player or _player()
    method = method or _method(player)
    n = next(_refs)
    with clock.frozen(created):
        txn = transaction_create(
            reference=f"{kind[:3].upper()}-T-{n:06d}",
            kind=kind,
            player=player,
            amount_minor=amount,
            currency=currency,
            method=method,
            psp=psps[psp],
            psp_reference=f"ref_{n}",
            parent=parent,
            created_at=created,
            metadata=metadata,
        )
    for i, (status, after, extra) in enumerate(steps):
        with clock.frozen(created + after):
            transaction_transition(
                reference=txn.reference,
                to_status=status,
                source=extra.get("source", PSP),
                occurred_at=created + after,
                psp_status=extra.get("psp_status", ""),
                payload=extra.get("payload"),
                note=extra.get("note", ""),
                idempotency_key=f"t:{txn.reference}:{i}",
            )
    return Transaction.objects.get(pk=txn.pk)


def _diagnose(txn: Transaction, at: datetime, claim: str | None = None) -> Any:
    return transaction_diagnose(reference=txn.reference, now=at, claim=claim)


S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.mark.django_db
def test_a_declined_deposit_names_the_reason_in_one_vocabulary_with_the_event_as_evidence() -> None:
    txn = _txn(
        Kind.DEPOSIT,
        [("pending", 2 * S, {}), ("declined", 9 * S, {"payload": {"decline_code": "card_velocity_exceeded"}})],
    )
    diagnosis = _diagnose(txn, T0 + H)
    finding = diagnosis.primary
    declined_event = txn.events.get(to_status="declined")
    assert (finding.code, finding.facts) == (
        Code.DEPOSIT_DECLINED,
        {"reason": "limit_exceeded", "reason_raw": "card_velocity_exceeded"},
    )
    assert finding.evidence == (declined_event.pk,)
    assert [a.kind for a in finding.actions] == [ActionKind.REPLY]
    assert "It went over a spending or transaction limit" in render_finding(finding, transaction=txn, lang="en")
    assert "Сумма превысила лимит" in render_finding(finding, transaction=txn, lang="ru")


@pytest.mark.django_db
def test_a_diagnosis_takes_a_fixed_number_of_queries_whatever_the_timeline_length() -> None:
    short = _txn(Kind.DEPOSIT, [("declined", 9 * S, {})])
    long = _txn(
        Kind.DEPOSIT,
        [
            ("pending", 2 * S, {}),
            ("confirmed", 9 * S, {}),
            ("credited", 12 * S, {}),
            ("partially_refunded", D, {}),
            ("partially_refunded", 2 * D, {}),
        ],
    )
    counts = []
    for txn in (short, long):
        with CaptureQueriesContext(connection) as ctx:
            _diagnose(txn, T0 + 3 * D)
        counts.append(len(ctx.captured_queries))
    # transaction, timeline, children, siblings (deposits), PSP health
    assert counts == [5, 5]
    health = {"deposit": psp_health(kind="deposit", now=T0 + 3 * D)}
    with CaptureQueriesContext(connection) as ctx:
        transaction_diagnose(reference=long.reference, now=T0 + 3 * D, health=health)
    assert len(ctx.captured_queries) == 4


@pytest.mark.django_db
def test_psp_health_is_one_grouped_query_over_sliding_windows() -> None:
    player = _player()
    method = _method(player)
    for i in range(4):
        _txn(Kind.DEPOSIT, [("declined", 5 * S, {})], player=player, method=method, created=T0 - i * M)
    _txn(Kind.DEPOSIT, [("credited", 5 * S, {})], player=player, method=method, created=T0 - 2 * H)
    with CaptureQueriesContext(connection) as ctx:
        health = psp_health(kind="deposit", now=T0 + M)
    assert len(ctx.captured_queries) == 1
    stripe = health[("stripe", "card")]
    assert [(w.window, w.attempts, w.failures) for w in stripe.windows] == [("15m", 4, 4), ("1h", 4, 4), ("24h", 5, 4)]
    assert (stripe.baseline.attempts, stripe.baseline.failures) == (5, 4)
    assert stripe.incident is None  # four attempts are too few to call an incident


@pytest.mark.django_db
def test_a_burst_of_failures_on_one_psp_and_method_is_a_psp_incident() -> None:
    player = _player()
    method = _method(player)
    for i in range(40):  # a calm week: 40 credited deposits
        _txn(
            Kind.DEPOSIT,
            [("credited", 5 * S, {})],
            player=player,
            method=method,
            created=T0 - D - i * H,
            amount=100 + i,
        )
    for i in range(12):
        _txn(
            Kind.DEPOSIT,
            [("failed", 5 * S, {"payload": {"error": "acquirer_timeout"}})],
            player=player,
            method=method,
            created=T0 - i * M,
            amount=200 + i,
        )
    victim = Transaction.objects.filter(status="failed").order_by("-created_at").first()
    assert victim is not None
    diagnosis = _diagnose(victim, T0 + M)
    assert [f.code for f in diagnosis.findings] == [Code.PSP_INCIDENT, Code.DEPOSIT_FAILED]
    incident = diagnosis.primary
    assert incident.facts == {
        "psp": "stripe",
        "method": "card",
        "window": "15m",
        "failure_rate": 1.0,
        "baseline_rate": 0.231,
    }
    assert incident.actions[0].team == Team.PAYMENTS
    assert diagnosis.findings[1].facts["reason"] == "acquirer_timeout"


@pytest.mark.django_db
def test_bank_authentication_pending_is_awaiting_the_customer_until_it_expires() -> None:
    txn = _txn(Kind.DEPOSIT, [("pending", 3 * S, {"psp_status": "requires_action"})])
    early = _diagnose(txn, T0 + 10 * M).primary
    assert early.code == Code.DEPOSIT_AWAITING_CUSTOMER
    assert [(a.kind, a.until) for a in early.actions] == [
        (ActionKind.REPLY, None),
        (ActionKind.WAIT_UNTIL, T0 + 3 * S + H),
    ]
    late = _diagnose(txn, T0 + 2 * H).primary
    assert [a.kind for a in late.actions] == [ActionKind.REPLY, ActionKind.POLL_PSP]


@pytest.mark.django_db
def test_an_expired_deposit_after_a_bank_challenge_is_3ds_not_completed_otherwise_expired() -> None:
    challenged = _txn(
        Kind.DEPOSIT, [("pending", 3 * S, {"psp_status": "ChallengeShopper"}), ("expired", H, {})], psp="adyen"
    )
    plain = _txn(Kind.DEPOSIT, [("pending", 3 * S, {"psp_status": "pending"}), ("expired", H, {})], psp="novawallet")
    assert _diagnose(challenged, T0 + 2 * H).primary.code == Code.DEPOSIT_3DS_NOT_COMPLETED
    assert _diagnose(plain, T0 + 2 * H).primary.code == Code.DEPOSIT_EXPIRED


@pytest.mark.django_db
def test_a_pending_deposit_is_fine_within_its_method_norm_delayed_after_and_escalated_after_three_norms() -> None:
    player = _player()
    sepa = _method(player, "bank_transfer")
    txn = _txn(Kind.DEPOSIT, [("pending", 5 * S, {"psp_status": "Pending"})], player=player, method=sepa, psp="adyen")
    assert _diagnose(txn, T0 + 20 * H).primary.code == Code.NO_ISSUE  # bank transfer norm: 24 h
    delayed = _diagnose(txn, T0 + 30 * H).primary
    assert (delayed.code, delayed.facts["norm_seconds"]) == (Code.DEPOSIT_DELAYED, 86400)
    assert [a.kind for a in delayed.actions] == [ActionKind.POLL_PSP, ActionKind.REPLY]
    stuck = _diagnose(txn, T0 + 4 * D).primary
    assert [a.team for a in stuck.actions if a.kind == ActionKind.ESCALATE] == [Team.PAYMENTS]


@pytest.mark.django_db
def test_confirmed_but_not_credited_after_the_grace_is_escalated_with_a_manual_credit_proposal() -> None:
    txn = _txn(Kind.DEPOSIT, [("pending", 3 * S, {}), ("confirmed", 40 * S, {"psp_status": "succeeded"})])
    assert _diagnose(txn, T0 + 5 * M).primary.code == Code.NO_ISSUE
    finding = _diagnose(txn, T0 + H).primary
    assert finding.code == Code.DEPOSIT_CONFIRMED_NOT_CREDITED
    assert [(a.kind, a.team, a.money_action) for a in finding.actions] == [
        (ActionKind.ESCALATE, Team.PLATFORM, None),
        (ActionKind.PROPOSE_MONEY_ACTION, None, MoneyActionKind.MANUAL_CREDIT),
    ]
    assert finding.evidence == (txn.events.get(to_status="confirmed").pk,)


@pytest.mark.django_db
def test_two_charges_of_the_same_amount_seconds_apart_are_a_duplicate_deposit() -> None:
    player = _player()
    card = _method(player)
    first = _txn(Kind.DEPOSIT, [("confirmed", 20 * S, {}), ("credited", 25 * S, {})], player=player, method=card)
    second = _txn(
        Kind.DEPOSIT,
        [("confirmed", 20 * S, {}), ("credited", 25 * S, {})],
        player=player,
        method=card,
        created=T0 + 30 * S,
    )
    other_amount = _txn(
        Kind.DEPOSIT, [("credited", 25 * S, {})], player=player, method=card, created=T0 + M, amount=7000
    )
    next_session = _txn(Kind.DEPOSIT, [("credited", 25 * S, {})], player=player, method=card, created=T0 + 4 * M)
    finding = _diagnose(first, T0 + H).primary
    assert finding.code == Code.DUPLICATE_DEPOSIT
    assert finding.facts == {
        "duplicate_reference": second.reference,
        "refund_reference": second.reference,
        "already_refunded": False,
    }
    assert finding.actions[0].money_action == MoneyActionKind.REFUND
    assert _diagnose(second, T0 + H).primary.code == Code.DUPLICATE_DEPOSIT
    assert _diagnose(other_amount, T0 + H).primary.code == Code.NO_ISSUE
    assert _diagnose(next_session, T0 + H).primary.code == Code.NO_ISSUE  # same amount, minutes later: a new session


@pytest.mark.django_db
def test_a_risk_hold_is_escalated_to_risk_and_never_disclosed_to_the_player() -> None:
    txn = _txn(
        Kind.DEPOSIT,
        [("pending", 3 * S, {}), ("held", 30 * S, {"source": "system", "note": "risk review: velocity_check"})],
    )
    finding = _diagnose(txn, T0 + H).primary
    assert finding.code == Code.RISK_HOLD
    assert "velocity_check" in finding.explanation
    assert finding.actions[0].team == Team.RISK
    for lang in ("en", "ru"):
        text = render_finding(finding, transaction=txn, lang=lang).lower()
        for secret in ("risk", "velocity", "fraud", "aml", "риск", "фрод"):
            assert secret not in text, (lang, secret)


@pytest.mark.django_db
def test_a_deposit_declined_after_a_hold_is_a_review_decline_not_a_bank_decline() -> None:
    txn = _txn(
        Kind.DEPOSIT,
        [
            ("held", 30 * S, {"source": "system", "note": "risk review: geo_mismatch"}),
            ("declined", 2 * H, {"source": "agent", "note": "rejected by risk: geo_mismatch"}),
        ],
    )
    assert _diagnose(txn, T0 + 3 * H).primary.code == Code.RISK_REVIEW_DECLINED


def _withdrawal(steps: list[tuple[str, timedelta, dict[str, Any]]], **kw: Any) -> Transaction:
    return _txn(Kind.WITHDRAWAL, steps, **kw)


@pytest.mark.django_db
def test_a_withdrawal_awaiting_documents_asks_for_the_documents_on_the_timeline() -> None:
    txn = _withdrawal(
        [
            ("verification", M, {"source": "system"}),
            (
                "awaiting_documents",
                H,
                {"source": "agent", "note": "documents requested: id_document, proof_of_address"},
            ),
        ]
    )
    finding = _diagnose(txn, T0 + D).primary
    assert (finding.code, finding.facts) == (
        Code.WITHDRAWAL_AWAITING_DOCUMENTS,
        {"documents": ["id_document", "proof_of_address"]},
    )
    assert finding.actions[0].details == ("id_document", "proof_of_address")
    text = render_finding(finding, transaction=txn, lang="en")
    assert "a photo of your ID (passport or ID card); a proof of address" in text


@pytest.mark.django_db
def test_verification_over_a_day_is_delayed() -> None:
    txn = _withdrawal([("verification", M, {"source": "system"})])
    assert _diagnose(txn, T0 + 5 * H).primary.code == Code.NO_ISSUE
    assert _diagnose(txn, T0 + 2 * D).primary.code == Code.VERIFICATION_DELAYED


@pytest.mark.django_db
def test_a_withdrawal_held_or_rejected_for_wagering_is_bonus_wagering_incomplete() -> None:
    held = _withdrawal([("verification", M, {}), ("held", 5 * M, {"source": "system", "note": "held: bonus_wagering"})])
    rejected = _withdrawal([("verification", M, {}), ("rejected", 5 * M, {"note": "rejected: bonus_wagering"})])
    kyc = _withdrawal(
        [
            ("verification", M, {}),
            ("awaiting_documents", H, {"note": "documents requested: selfie"}),
            ("rejected", 3 * D, {"note": "rejected: kyc_failed"}),
        ]
    )
    assert _diagnose(held, T0 + H).primary.code == Code.BONUS_WAGERING_INCOMPLETE
    assert _diagnose(rejected, T0 + H).primary.code == Code.BONUS_WAGERING_INCOMPLETE
    assert _diagnose(kyc, T0 + 4 * D).primary.code == Code.VERIFICATION_FAILED


@pytest.mark.django_db
def test_a_payout_with_the_provider_beyond_its_norm_is_delayed() -> None:
    txn = _withdrawal([("verification", M, {}), ("approved", 5 * M, {}), ("processing", 10 * M, {})])
    assert _diagnose(txn, T0 + D).primary.code == Code.NO_ISSUE  # card payouts: 48 h
    finding = _diagnose(txn, T0 + 3 * D).primary
    assert (finding.code, finding.facts) == (Code.PAYOUT_DELAYED, {"norm_seconds": 172800})
    assert [a.kind for a in finding.actions] == [ActionKind.POLL_PSP, ActionKind.REPLY]


@pytest.mark.django_db
def test_paid_but_not_received_gives_the_payout_reference_then_a_trace_after_the_bank_window() -> None:
    txn = _withdrawal(
        [
            ("verification", M, {}),
            ("approved", 5 * M, {}),
            ("processing", 10 * M, {}),
            ("paid", D, {"payload": {"payout_reference": "POABC123XYZ"}}),
        ]
    )
    paid_at = T0 + D
    without_claim = _diagnose(txn, paid_at + H).primary
    assert (without_claim.code, without_claim.facts["payout_reference"]) == (Code.NO_ISSUE, "POABC123XYZ")
    waiting = _diagnose(txn, paid_at + H, claim="withdrawal_not_received").primary
    assert waiting.code == Code.PAID_NOT_RECEIVED
    assert [(a.kind, a.until) for a in waiting.actions] == [
        (ActionKind.REPLY, None),
        (ActionKind.WAIT_UNTIL, paid_at + 2 * D),
    ]
    tracing = _diagnose(txn, paid_at + 3 * D, claim="withdrawal_not_received").primary
    assert [(a.kind, a.team) for a in tracing.actions] == [
        (ActionKind.ESCALATE, Team.PAYMENTS),
        (ActionKind.REPLY, None),
    ]
    assert "trace the payout POABC123XYZ" in tracing.actions[0].note
    assert "payout reference POABC123XYZ" in render_finding(tracing, transaction=txn, lang="en")


@pytest.mark.django_db
def test_a_failed_payout_and_a_bank_return_carry_their_reasons() -> None:
    failed = _withdrawal(
        [
            ("approved", 5 * M, {}),
            ("processing", 10 * M, {}),
            ("failed", H, {"payload": {"failure_reason": "card_not_eligible_for_payout"}}),
        ]
    )
    returned = _withdrawal(
        [
            ("approved", 5 * M, {}),
            ("processing", 10 * M, {}),
            ("paid", D, {}),
            ("returned", 3 * D, {"payload": {"return_reason": "account_closed"}}),
        ]
    )
    f = _diagnose(failed, T0 + D).primary
    r = _diagnose(returned, T0 + 4 * D).primary
    assert (f.code, f.facts["reason"]) == (Code.PAYOUT_FAILED, "card_not_eligible_for_payout")
    assert (r.code, r.facts["reason"]) == (Code.PAYOUT_RETURNED, "account_closed")
    assert [a.kind for a in r.actions] == [ActionKind.ESCALATE, ActionKind.PROPOSE_MONEY_ACTION, ActionKind.REPLY]


@pytest.mark.django_db
def test_refunds_in_flight_or_failed_and_an_open_chargeback_on_the_deposit() -> None:
    player = _player()
    card = _method(player)
    deposit = _txn(Kind.DEPOSIT, [("credited", 20 * S, {})], player=player, method=card)
    pending = _txn(Kind.REFUND, [("pending", M, {})], player=player, method=card, parent=deposit, created=T0 + D)
    failed = _txn(
        Kind.REFUND,
        [("pending", M, {}), ("failed", D, {"payload": {"failure_reason": "card_expired"}})],
        player=player,
        method=card,
        parent=deposit,
        created=T0 + D,
        amount=100,
    )
    in_flight = _diagnose(pending, T0 + 2 * D).primary
    assert (in_flight.code, in_flight.facts["expected_by"]) == (Code.REFUND_IN_FLIGHT, (T0 + 8 * D).isoformat())
    assert (_diagnose(failed, T0 + 3 * D).primary.code, _diagnose(failed, T0 + 3 * D).primary.facts["reason"]) == (
        Code.REFUND_FAILED,
        "card_expired",
    )
    disputed = _txn(
        Kind.DEPOSIT, [("credited", 20 * S, {}), ("charged_back", 20 * D, {})], player=player, method=card, amount=999
    )
    with clock.frozen(T0 + 20 * D):
        dispute = transaction_create(
            reference="CBK-T-1",
            kind=Kind.CHARGEBACK,
            player=player,
            amount_minor=999,
            currency="EUR",
            parent=disputed,
            created_at=T0 + 20 * D,
        )
    finding = _diagnose(disputed, T0 + 21 * D).primary
    assert (finding.code, finding.facts) == (
        Code.CHARGEBACK_OPEN,
        {"dispute_reference": dispute.reference, "stage": "chargeback"},
    )
    assert finding.evidence == (disputed.events.get(to_status="charged_back").pk,)
    assert _diagnose(dispute, T0 + 21 * D).primary.code == Code.CHARGEBACK_OPEN
    assert _diagnose(dispute, T0 + 21 * D).primary.evidence == (dispute.events.get().pk,)


@pytest.mark.django_db
def test_an_amount_reported_by_the_psp_that_differs_from_the_ledger_is_an_amount_mismatch() -> None:
    txn = _txn(
        Kind.DEPOSIT,
        [
            ("confirmed", 20 * S, {"payload": {"event": {"amount": {"value": 4000, "currency": "EUR"}}}}),
            ("credited", 25 * S, {}),
        ],
        psp="adyen",
    )
    diagnosis = _diagnose(txn, T0 + H)
    assert [f.code for f in diagnosis.findings] == [Code.AMOUNT_MISMATCH, Code.NO_ISSUE]
    assert diagnosis.primary.facts == {"reported_amount_minor": 4000, "reported_currency": "EUR"}
    assert diagnosis.primary.actions[0].team == Team.FINANCE


@pytest.mark.django_db
def test_an_unknown_reference_is_not_found_with_the_details_to_ask_for() -> None:
    diagnosis = transaction_diagnose(reference="DEP-NOPE-1", now=T0)
    assert (diagnosis.transaction_found, diagnosis.primary.code) == (False, Code.TRANSACTION_NOT_FOUND)
    assert diagnosis.primary.actions[0].kind == ActionKind.ASK_FOR_DETAILS
    assert len(diagnosis.primary.actions[0].details) == 4


@pytest.mark.django_db
def test_a_psp_reference_finds_its_transaction() -> None:
    txn = _txn(Kind.DEPOSIT, [("credited", 20 * S, {})])
    assert transaction_diagnose(reference=str(txn.psp_reference), now=T0 + H).reference == txn.reference


@pytest.mark.django_db
def test_the_diagnosis_never_reads_the_simulators_label() -> None:
    truth = _txn(Kind.DEPOSIT, [("declined", 9 * S, {"payload": {"reason": "insufficient_funds"}})])
    liar = _txn(
        Kind.DEPOSIT,
        [("declined", 9 * S, {"payload": {"reason": "insufficient_funds"}})],
        metadata={"sim": {"scenario": "ok", "decline_reason": "expired_card"}},
    )
    a, b = _diagnose(truth, T0 + H).primary, _diagnose(liar, T0 + H).primary
    assert (a.code, a.facts, a.explanation) == (b.code, b.facts, b.explanation)
    assert b.facts["reason"] == "insufficient_funds"
    assert not Psp.objects.filter(code="nope").exists()
