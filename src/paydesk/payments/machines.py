"""Transaction state machines as tables (DESIGN §4).

Each machine lists, for every status, the statuses it may move to. Moves are forward along the happy path (skipping
a step the PSP did not report is allowed: Stripe often says "succeeded" without a "pending" first) or into a side
state. Side states of equal rank (held ⇄ confirmed, verification ⇄ awaiting_documents ⇄ held) may move between each
other, but only in event-time order: an event older than the current status cannot make such a sideways move.
The only moves out of a settled state (credited, paid, succeeded) are the late reversal edges: refund and chargeback
of a deposit, a bank return of a payout, a reversal of a refund. Every other backward move is illegal:
that is what keeps a late or duplicated webhook from dragging a payment back.

Chargebacks have two axes: the dispute ``stage`` (inquiry → chargeback → second_chargeback/pre_arbitration →
arbitration) and its ``status`` (needs_response → under_review → won|lost|accepted|expired). A move to a later stage
reopens the status at needs_response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from paydesk.core.errors import Conflict
from paydesk.payments.enums import (
    ChargebackStage,
    ChargebackStatus,
    DepositStatus,
    Kind,
    RefundStatus,
    WithdrawalStatus,
)


class IllegalTransition(Conflict):
    code = "illegal-transition"

    def __init__(self, *, reference: str, kind: str, from_status: str, to_status: str, reason: str = "") -> None:
        message = f"transaction {reference} ({kind}): illegal transition {from_status} -> {to_status}"
        if reason:
            message += f" ({reason})"
        super().__init__(message)
        self.reference = reference
        self.kind = kind
        self.from_status = from_status
        self.to_status = to_status


D = DepositStatus
W = WithdrawalStatus
R = RefundStatus
C = ChargebackStatus
S = ChargebackStage


@dataclass(frozen=True, eq=False)
class Machine:
    kind: Kind
    initial: str
    table: Mapping[str, frozenset[str]]
    # Rank orders statuses along the flow; a legal move never lowers the rank except along ``late_reversals``.
    rank: Mapping[str, int]
    settled: frozenset[str]
    late_reversals: frozenset[tuple[str, str]]

    @property
    def statuses(self) -> frozenset[str]:
        return frozenset(self.table)

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(status for status, targets in self.table.items() if not targets)

    def allows(self, from_status: str, to_status: str) -> bool:
        return to_status in self.table.get(from_status, frozenset())

    def check(self, *, reference: str, from_status: str, to_status: str, stale: bool = False) -> None:
        """Raise IllegalTransition unless the move is in the table.

        ``stale`` says the event happened before the transaction's current status was reached. A stale event may
        still carry the payment forward (a missed step), but a sideways move such as held ⇄ confirmed or
        verification ⇄ awaiting_documents would let delivery order, not event order, decide the outcome, so it is
        refused.
        """
        if to_status not in self.table:
            raise IllegalTransition(
                reference=reference,
                kind=self.kind.value,
                from_status=from_status,
                to_status=to_status,
                reason=f"unknown {self.kind.value} status",
            )
        if from_status == to_status and not self.allows(from_status, to_status):
            raise IllegalTransition(
                reference=reference,
                kind=self.kind.value,
                from_status=from_status,
                to_status=to_status,
                reason="already in that status",
            )
        if not self.allows(from_status, to_status):
            reason = "final status" if not self.table.get(from_status) else "not allowed from this status"
            raise IllegalTransition(
                reference=reference,
                kind=self.kind.value,
                from_status=from_status,
                to_status=to_status,
                reason=reason,
            )
        if stale and self.rank[to_status] <= self.rank[from_status]:
            raise IllegalTransition(
                reference=reference,
                kind=self.kind.value,
                from_status=from_status,
                to_status=to_status,
                reason="out of order: the event is older than the current status",
            )


def _fs(*items: str) -> frozenset[str]:
    return frozenset(items)


_DEPOSIT_FAILURES = (D.DECLINED, D.FAILED, D.EXPIRED, D.CANCELLED)
_DEPOSIT_REVERSALS = (D.REFUNDED, D.PARTIALLY_REFUNDED, D.CHARGED_BACK)

DEPOSIT = Machine(
    kind=Kind.DEPOSIT,
    initial=D.INITIATED,
    table={
        D.INITIATED: _fs(D.PENDING, D.CONFIRMED, D.CREDITED, D.HELD, *_DEPOSIT_FAILURES),
        D.PENDING: _fs(D.CONFIRMED, D.CREDITED, D.HELD, *_DEPOSIT_FAILURES),
        # Held = under risk review; review ends in a capture/credit or a decline/cancel.
        D.HELD: _fs(D.CONFIRMED, D.CREDITED, D.DECLINED, D.CANCELLED),
        # Captured but not yet on the balance; a refund or chargeback can still arrive before the credit.
        D.CONFIRMED: _fs(D.CREDITED, D.HELD, *_DEPOSIT_REVERSALS),
        D.CREDITED: _fs(*_DEPOSIT_REVERSALS),
        D.PARTIALLY_REFUNDED: _fs(D.PARTIALLY_REFUNDED, D.REFUNDED, D.CHARGED_BACK),
        D.REFUNDED: _fs(),
        D.CHARGED_BACK: _fs(),
        D.DECLINED: _fs(),
        D.FAILED: _fs(),
        D.EXPIRED: _fs(),
        D.CANCELLED: _fs(),
    },
    rank={
        D.INITIATED: 0,
        D.PENDING: 1,
        D.CONFIRMED: 2,
        D.HELD: 2,
        D.CREDITED: 3,
        D.DECLINED: 4,
        D.FAILED: 4,
        D.EXPIRED: 4,
        D.CANCELLED: 4,
        D.PARTIALLY_REFUNDED: 4,
        D.REFUNDED: 5,
        D.CHARGED_BACK: 5,
    },
    settled=_fs(D.CREDITED),
    late_reversals=frozenset({(D.CREDITED, s) for s in _DEPOSIT_REVERSALS}),
)

WITHDRAWAL = Machine(
    kind=Kind.WITHDRAWAL,
    initial=W.REQUESTED,
    table={
        W.REQUESTED: _fs(W.VERIFICATION, W.APPROVED, W.AWAITING_DOCUMENTS, W.HELD, W.REJECTED, W.CANCELLED),
        W.VERIFICATION: _fs(W.APPROVED, W.AWAITING_DOCUMENTS, W.HELD, W.REJECTED, W.CANCELLED),
        # KYC documents and risk review are side trips of verification: they return to it or end the request.
        W.AWAITING_DOCUMENTS: _fs(W.VERIFICATION, W.APPROVED, W.HELD, W.REJECTED, W.CANCELLED),
        W.HELD: _fs(W.VERIFICATION, W.APPROVED, W.AWAITING_DOCUMENTS, W.REJECTED, W.CANCELLED),
        W.APPROVED: _fs(W.PROCESSING, W.PAID, W.FAILED, W.CANCELLED),
        W.PROCESSING: _fs(W.PAID, W.FAILED),
        W.PAID: _fs(W.RETURNED),
        W.REJECTED: _fs(),
        W.CANCELLED: _fs(),
        W.FAILED: _fs(),
        W.RETURNED: _fs(),
    },
    rank={
        W.REQUESTED: 0,
        W.VERIFICATION: 1,
        W.AWAITING_DOCUMENTS: 1,
        W.HELD: 1,
        W.APPROVED: 2,
        W.PROCESSING: 3,
        W.PAID: 4,
        W.REJECTED: 5,
        W.CANCELLED: 5,
        W.FAILED: 5,
        W.RETURNED: 5,
    },
    settled=_fs(W.PAID),
    late_reversals=frozenset({(W.PAID, W.RETURNED)}),
)

REFUND = Machine(
    kind=Kind.REFUND,
    initial=R.REQUESTED,
    table={
        R.REQUESTED: _fs(R.PENDING, R.SUCCEEDED, R.FAILED, R.CANCELLED),
        R.PENDING: _fs(R.SUCCEEDED, R.FAILED, R.CANCELLED),
        R.SUCCEEDED: _fs(R.REVERSED),
        R.FAILED: _fs(),
        R.CANCELLED: _fs(),
        R.REVERSED: _fs(),
    },
    rank={R.REQUESTED: 0, R.PENDING: 1, R.SUCCEEDED: 2, R.FAILED: 3, R.CANCELLED: 3, R.REVERSED: 3},
    settled=_fs(R.SUCCEEDED),
    late_reversals=frozenset({(R.SUCCEEDED, R.REVERSED)}),
)

CHARGEBACK = Machine(
    kind=Kind.CHARGEBACK,
    initial=C.NEEDS_RESPONSE,
    table={
        C.NEEDS_RESPONSE: _fs(C.UNDER_REVIEW, C.WON, C.LOST, C.ACCEPTED, C.EXPIRED),
        C.UNDER_REVIEW: _fs(C.WON, C.LOST),
        C.WON: _fs(),
        C.LOST: _fs(),
        C.ACCEPTED: _fs(),
        C.EXPIRED: _fs(),
    },
    rank={C.NEEDS_RESPONSE: 0, C.UNDER_REVIEW: 1, C.WON: 2, C.LOST: 2, C.ACCEPTED: 2, C.EXPIRED: 2},
    settled=_fs(),
    late_reversals=frozenset(),
)

CHARGEBACK_STAGES: Mapping[str, frozenset[str]] = {
    S.INQUIRY: _fs(S.CHARGEBACK),
    S.CHARGEBACK: _fs(S.SECOND_CHARGEBACK, S.PRE_ARBITRATION),
    S.SECOND_CHARGEBACK: _fs(S.ARBITRATION),
    S.PRE_ARBITRATION: _fs(S.ARBITRATION),
    S.ARBITRATION: _fs(),
}
# A dispute can move to the next stage only while it is still being fought or after the merchant won a round:
# accepting liability or letting the deadline pass ends it.
STAGE_ADVANCE_FROM_STATUS = _fs(C.NEEDS_RESPONSE, C.UNDER_REVIEW, C.WON)

MACHINES: Mapping[str, Machine] = {
    Kind.DEPOSIT: DEPOSIT,
    Kind.WITHDRAWAL: WITHDRAWAL,
    Kind.REFUND: REFUND,
    Kind.CHARGEBACK: CHARGEBACK,
}


def machine_for(kind: str) -> Machine:
    try:
        return MACHINES[kind]
    except KeyError:
        raise ValueError(f"unknown transaction kind {kind!r}") from None


def check_stage(*, reference: str, from_stage: str, to_stage: str, status: str) -> None:
    if to_stage not in CHARGEBACK_STAGES:
        raise IllegalTransition(
            reference=reference,
            kind="chargeback",
            from_status=from_stage,
            to_status=to_stage,
            reason="unknown chargeback stage",
        )
    if to_stage not in CHARGEBACK_STAGES.get(from_stage, frozenset()):
        raise IllegalTransition(
            reference=reference,
            kind="chargeback",
            from_status=from_stage,
            to_status=to_stage,
            reason="stage not reachable from the current stage",
        )
    if status not in STAGE_ADVANCE_FROM_STATUS:
        raise IllegalTransition(
            reference=reference,
            kind="chargeback",
            from_status=f"{from_stage}/{status}",
            to_status=to_stage,
            reason="the dispute is closed",
        )
