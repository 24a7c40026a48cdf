"""Evaluation of the diagnosis against the simulator's labels: the only code that reads ``metadata["sim"]``.

Each simulated transaction carries its scenario (what happened, or is about to happen) in ``metadata["sim"]``. The
expected finding is written out below per scenario and per status the transaction reached by the world's anchor: a
scenario is a whole life (a slow deposit is first pending, then credited), and the right diagnosis of a delay that
has ended is "no issue, here is the status". For statuses still in flight the expected finding follows the same
published time thresholds the rules use (a method's norm, the verification norm). The diagnosis itself never sees
the label; the only input derived from it is the player's claim for ``paid_not_received`` (that scenario *is* a
player saying "I don't have the money", which the ledger cannot know without the inquiry).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from paydesk.core.iterables import chunked
from paydesk.investigations.diagnosis import transaction_diagnose
from paydesk.investigations.findings import Code
from paydesk.investigations.health import psp_health
from paydesk.investigations.reasons import same_meaning
from paydesk.investigations.rules import (
    APPROVED_NORM,
    CREDIT_GRACE,
    DEFAULT_NORM_SECONDS,
    THREE_DS_STATUSES,
    VERIFICATION_NORM,
)
from paydesk.payments.enums import ChargebackStatus as C
from paydesk.payments.enums import DepositStatus as D
from paydesk.payments.enums import Kind
from paydesk.payments.enums import RefundStatus as R
from paydesk.payments.enums import WithdrawalStatus as W
from paydesk.payments.models import Transaction

NOT_RECEIVED_CLAIM = "withdrawal_not_received"

# (kind, scenario) -> {status at the anchor -> expected finding}. Statuses not listed are "in flight" and go through
# ``_in_flight`` (timing thresholds). Keep this table explicit: it is the specification the test checks.
EXPECTED: dict[tuple[str, str], dict[str, Code]] = {
    (Kind.DEPOSIT, "ok"): {D.CREDITED: Code.NO_ISSUE},
    (Kind.DEPOSIT, "issuer_decline"): {D.DECLINED: Code.DEPOSIT_DECLINED},
    (Kind.DEPOSIT, "three_ds_abandoned"): {D.EXPIRED: Code.DEPOSIT_3DS_NOT_COMPLETED},
    (Kind.DEPOSIT, "slow_confirmation"): {D.CREDITED: Code.NO_ISSUE},
    (Kind.DEPOSIT, "confirmed_not_credited"): {},  # confirmed: timing (grace for the credit)
    (Kind.DEPOSIT, "duplicate_charge"): {
        D.CREDITED: Code.DUPLICATE_DEPOSIT,
        D.REFUNDED: Code.DUPLICATE_DEPOSIT,
    },
    (Kind.DEPOSIT, "risk_hold"): {
        D.HELD: Code.RISK_HOLD,
        D.DECLINED: Code.RISK_REVIEW_DECLINED,
        D.CREDITED: Code.NO_ISSUE,
    },
    (Kind.DEPOSIT, "psp_error"): {D.FAILED: Code.DEPOSIT_FAILED},
    (Kind.DEPOSIT, "payment_expired"): {D.EXPIRED: Code.DEPOSIT_EXPIRED},
    (Kind.DEPOSIT, "player_cancelled"): {D.CANCELLED: Code.NO_ISSUE},
    (Kind.DEPOSIT, "refunded"): {D.REFUNDED: Code.NO_ISSUE, D.PARTIALLY_REFUNDED: Code.NO_ISSUE},
    (Kind.DEPOSIT, "charged_back"): {},  # charged_back: open or closed dispute, see _charged_back
    (Kind.WITHDRAWAL, "ok"): {W.PAID: Code.NO_ISSUE},
    (Kind.WITHDRAWAL, "paid_not_received"): {W.PAID: Code.PAID_NOT_RECEIVED},
    (Kind.WITHDRAWAL, "payout_delayed"): {W.PAID: Code.NO_ISSUE},
    (Kind.WITHDRAWAL, "bank_return"): {W.RETURNED: Code.PAYOUT_RETURNED, W.PAID: Code.NO_ISSUE},
    (Kind.WITHDRAWAL, "payout_failed"): {W.FAILED: Code.PAYOUT_FAILED},
    (Kind.WITHDRAWAL, "kyc_documents"): {
        W.AWAITING_DOCUMENTS: Code.WITHDRAWAL_AWAITING_DOCUMENTS,
        W.REJECTED: Code.VERIFICATION_FAILED,
        W.CANCELLED: Code.NO_ISSUE,
        W.PAID: Code.NO_ISSUE,
    },
    (Kind.WITHDRAWAL, "risk_hold"): {
        W.HELD: Code.RISK_HOLD,
        W.REJECTED: Code.RISK_REVIEW_DECLINED,
        W.PAID: Code.NO_ISSUE,
    },
    (Kind.WITHDRAWAL, "bonus_wagering"): {
        W.HELD: Code.BONUS_WAGERING_INCOMPLETE,
        W.REJECTED: Code.BONUS_WAGERING_INCOMPLETE,
        W.CANCELLED: Code.BONUS_WAGERING_INCOMPLETE,
        W.PAID: Code.NO_ISSUE,
    },
    (Kind.WITHDRAWAL, "player_cancelled"): {W.CANCELLED: Code.NO_ISSUE},
    (Kind.REFUND, "refund"): {
        R.REQUESTED: Code.REFUND_IN_FLIGHT,
        R.PENDING: Code.REFUND_IN_FLIGHT,
        R.FAILED: Code.REFUND_FAILED,
        R.SUCCEEDED: Code.NO_ISSUE,
        R.CANCELLED: Code.NO_ISSUE,
    },
    (Kind.CHARGEBACK, "chargeback"): {
        C.NEEDS_RESPONSE: Code.CHARGEBACK_OPEN,
        C.UNDER_REVIEW: Code.CHARGEBACK_OPEN,
        C.WON: Code.NO_ISSUE,
        C.LOST: Code.NO_ISSUE,
        C.ACCEPTED: Code.NO_ISSUE,
        C.EXPIRED: Code.NO_ISSUE,
    },
}
# Labels whose detail must also be carried by the finding (reason codes, the payout reference).
DETAIL_CHECKS: dict[tuple[str, Code], tuple[str, str]] = {
    ("issuer_decline", Code.DEPOSIT_DECLINED): ("decline_reason", "reason"),
    ("payout_failed", Code.PAYOUT_FAILED): ("failure_reason", "reason"),
    ("bank_return", Code.PAYOUT_RETURNED): ("return_reason", "reason"),
    ("paid_not_received", Code.PAID_NOT_RECEIVED): ("payout_reference", "payout_reference"),
    ("psp_error", Code.DEPOSIT_FAILED): ("error", "reason"),
    ("kyc_documents", Code.WITHDRAWAL_AWAITING_DOCUMENTS): ("documents", "documents"),
}


def _norm(txn: Transaction, flow: str) -> timedelta:
    method = txn.method.type if txn.method else ""
    seconds = txn.psp.norm_seconds(flow, method, DEFAULT_NORM_SECONDS) if txn.psp else DEFAULT_NORM_SECONDS
    return timedelta(seconds=seconds)


def _in_flight(txn: Transaction, anchor: datetime) -> Code:
    """Expected finding of a transaction still moving at the anchor (any scenario), by the published thresholds."""
    since = anchor - txn.status_changed_at
    if txn.kind == Kind.DEPOSIT:
        if txn.status in (D.INITIATED, D.PENDING):
            if txn.psp_status.lower() in THREE_DS_STATUSES:
                return Code.DEPOSIT_AWAITING_CUSTOMER
            return Code.DEPOSIT_DELAYED if anchor - txn.created_at > _norm(txn, "deposit") else Code.NO_ISSUE
        if txn.status == D.CONFIRMED:
            return Code.DEPOSIT_CONFIRMED_NOT_CREDITED if since > CREDIT_GRACE else Code.NO_ISSUE
        if txn.status == D.HELD:
            return Code.RISK_HOLD
    if txn.kind == Kind.WITHDRAWAL:
        if txn.status in (W.REQUESTED, W.VERIFICATION):
            return Code.VERIFICATION_DELAYED if since > VERIFICATION_NORM else Code.NO_ISSUE
        if txn.status == W.APPROVED:
            return Code.PAYOUT_DELAYED if since > APPROVED_NORM else Code.NO_ISSUE
        if txn.status == W.PROCESSING:
            return Code.PAYOUT_DELAYED if since > _norm(txn, "payout") else Code.NO_ISSUE
    return Code.NO_ISSUE


def expected_code(txn: Transaction, anchor: datetime, children: dict[int, list[Transaction]]) -> Code:
    scenario = str(txn.metadata["sim"]["scenario"])
    if txn.kind == Kind.DEPOSIT and txn.status == D.CHARGED_BACK:
        disputes = [c for c in children.get(txn.pk, []) if c.kind == Kind.CHARGEBACK]
        still_open = any(c.status in (C.NEEDS_RESPONSE, C.UNDER_REVIEW) for c in disputes)
        return Code.CHARGEBACK_OPEN if still_open else Code.NO_ISSUE
    table = EXPECTED.get((txn.kind, scenario))
    if table is None:
        raise KeyError(f"no expectation written for {txn.kind} scenario {scenario!r}")
    if txn.status in table:
        return table[txn.status]
    return _in_flight(txn, anchor)


@dataclass
class Report:
    anchor: datetime
    total: int = 0
    correct: int = 0
    confusion: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    detail_checked: int = 0
    detail_correct: int = 0
    mistakes: list[dict[str, Any]] = field(default_factory=list)
    row_correct: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def table(self) -> str:
        codes = sorted({code for counts in self.confusion.values() for code in counts})
        head = ["kind", "scenario", *codes, "correct"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for (kind, scenario), counts in sorted(self.confusion.items()):
            cells = [str(counts.get(code, "")) for code in codes]
            lines.append(
                f"| {kind} | {scenario} | "
                + " | ".join(cells)
                + f" | {self.row_correct[(kind, scenario)]}/{sum(counts.values())} |"
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor.isoformat(),
            "transactions": self.total,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "detail_checked": self.detail_checked,
            "detail_correct": self.detail_correct,
            "confusion": {
                f"{kind}/{scenario}": dict(counts) for (kind, scenario), counts in sorted(self.confusion.items())
            },
            "mistakes": self.mistakes[:50],
        }


def evaluate(*, tag: str, anchor: datetime, ok_every: int = 1, progress: Callable[[int], None] | None = None) -> Report:
    """Diagnose every transaction of the simulated world ``tag`` at its anchor and score it against the labels.

    ``ok_every`` > 1 keeps every failure-mode transaction but only every n-th ``ok`` one (a faster check for tests).
    """
    ok_seen = 0
    report = Report(anchor=anchor)
    health = {str(kind): psp_health(kind=kind, now=anchor) for kind in (Kind.DEPOSIT, Kind.WITHDRAWAL)}
    base = Transaction.objects.filter(reference__contains=f"-{tag}-")
    pks = list(base.order_by("pk").values_list("pk", flat=True))
    for chunk in chunked(pks, 2000):
        rows = list(Transaction.objects.select_related("method", "psp").filter(pk__in=chunk).order_by("pk"))
        children: dict[int, list[Transaction]] = defaultdict(list)
        for child in Transaction.objects.filter(parent_id__in=chunk).only("pk", "kind", "status", "parent_id"):
            assert child.parent_id is not None
            children[child.parent_id].append(child)
        for txn in rows:
            sim = txn.metadata.get("sim") if isinstance(txn.metadata, dict) else None
            if not isinstance(sim, dict) or "scenario" not in sim:
                continue
            scenario = str(sim["scenario"])
            if scenario == "ok":
                ok_seen += 1
                if ok_seen % ok_every:
                    continue
            expected = expected_code(txn, anchor, children)
            claim = NOT_RECEIVED_CLAIM if scenario == "paid_not_received" else None
            diagnosis = transaction_diagnose(reference=txn.reference, claim=claim, now=anchor, health=health)
            primary = diagnosis.primary
            key = (str(txn.kind), scenario)
            report.total += 1
            report.confusion[key][primary.code.value] += 1
            ok = primary.code == expected
            check = DETAIL_CHECKS.get((scenario, primary.code))
            if ok and check is not None:
                report.detail_checked += 1
                label_value, fact = sim.get(check[0]), primary.facts.get(fact_key := check[1])
                if fact_key == "documents" and isinstance(label_value, list):
                    ok = sorted(label_value) == sorted(fact or [])
                elif fact_key == "reason" and isinstance(label_value, str) and isinstance(fact, str):
                    ok = same_meaning(label_value, fact)
                else:
                    ok = label_value == fact
                report.detail_correct += int(ok)
            if ok:
                report.correct += 1
                report.row_correct[key] += 1
            elif len(report.mistakes) < 200:
                report.mistakes.append(
                    {
                        "reference": txn.reference,
                        "scenario": scenario,
                        "status": txn.status,
                        "expected": expected.value,
                        "found": primary.code.value,
                        "facts": primary.facts,
                        "label": {k: v for k, v in sim.items() if k != "plan"},
                    }
                )
        if progress is not None:
            progress(len(chunk))
    return report
