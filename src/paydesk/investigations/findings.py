"""What a diagnosis returns: findings (what is wrong, with evidence) and the recommended next action.

Findings and actions are frozen dataclasses, never ORM objects, so the desk, the API, the CLI and the reply renderer
can pass them around and serialise them without touching the database. Two rules live here: every finding code has a
customer-facing macro of the same key (``macro`` is derived from the code, so the two cannot drift), and an action is
one of a closed set of kinds, each with the one argument it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Code(StrEnum):
    DEPOSIT_AWAITING_CUSTOMER = "deposit_awaiting_customer"
    DEPOSIT_DELAYED = "deposit_delayed"
    DEPOSIT_CONFIRMED_NOT_CREDITED = "deposit_confirmed_not_credited"
    DEPOSIT_DECLINED = "deposit_declined"
    DEPOSIT_FAILED = "deposit_failed"
    DEPOSIT_EXPIRED = "deposit_expired"
    DEPOSIT_3DS_NOT_COMPLETED = "deposit_3ds_not_completed"
    DUPLICATE_DEPOSIT = "duplicate_deposit"
    RISK_HOLD = "risk_hold"
    RISK_REVIEW_DECLINED = "risk_review_declined"
    WITHDRAWAL_AWAITING_DOCUMENTS = "withdrawal_awaiting_documents"
    VERIFICATION_DELAYED = "verification_delayed"
    VERIFICATION_FAILED = "verification_failed"
    BONUS_WAGERING_INCOMPLETE = "bonus_wagering_incomplete"
    PAYOUT_DELAYED = "payout_delayed"
    PAID_NOT_RECEIVED = "paid_not_received"
    PAYOUT_FAILED = "payout_failed"
    PAYOUT_RETURNED = "payout_returned"
    REFUND_IN_FLIGHT = "refund_in_flight"
    REFUND_FAILED = "refund_failed"
    CHARGEBACK_OPEN = "chargeback_open"
    AMOUNT_MISMATCH = "amount_mismatch"
    PSP_INCIDENT = "psp_incident"
    TRANSACTION_NOT_FOUND = "transaction_not_found"
    NO_ISSUE = "no_issue"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class ActionKind(StrEnum):
    REPLY = "reply"
    ASK_FOR_DETAILS = "ask_for_details"
    POLL_PSP = "poll_psp"
    ESCALATE = "escalate"
    PROPOSE_MONEY_ACTION = "propose_money_action"
    WAIT_UNTIL = "wait_until"


class Team(StrEnum):
    PAYMENTS = "payments"
    FINANCE = "finance"
    RISK = "risk"
    PLATFORM = "platform"


class MoneyActionKind(StrEnum):
    MANUAL_CREDIT = "manual_credit"
    REFUND = "refund"
    RELEASE_HOLD = "release_hold"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    team: Team | None = None
    money_action: MoneyActionKind | None = None
    until: datetime | None = None
    details: tuple[str, ...] = ()  # ask_for_details: what to ask the player for
    note: str = ""

    def __post_init__(self) -> None:
        if (self.kind == ActionKind.ESCALATE) != (self.team is not None):
            raise ValueError("an escalation names a team, and only an escalation does")
        if (self.kind == ActionKind.PROPOSE_MONEY_ACTION) != (self.money_action is not None):
            raise ValueError("a money action proposal names its kind, and only a proposal does")
        if (self.kind == ActionKind.WAIT_UNTIL) != (self.until is not None):
            raise ValueError("waiting needs a time, and only waiting has one")
        if (self.kind == ActionKind.ASK_FOR_DETAILS) != bool(self.details):
            raise ValueError("asking for details lists them, and only asking does")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "team": self.team.value if self.team else None,
            "money_action": self.money_action.value if self.money_action else None,
            "until": self.until.isoformat() if self.until else None,
            "details": list(self.details),
            "note": self.note,
        }

    def describe(self) -> str:
        match self.kind:
            case ActionKind.ESCALATE:
                head = f"escalate to {self.team}"
            case ActionKind.PROPOSE_MONEY_ACTION:
                head = f"propose {self.money_action}"
            case ActionKind.WAIT_UNTIL:
                head = f"wait until {self.until:%Y-%m-%d %H:%M} UTC" if self.until else "wait"
            case ActionKind.ASK_FOR_DETAILS:
                head = "ask for " + ", ".join(self.details)
            case _:
                head = self.kind.value.replace("_", " ")
        return f"{head}: {self.note}" if self.note else head


def reply() -> Action:
    return Action(ActionKind.REPLY)


def ask_for_details(*details: str, note: str = "") -> Action:
    return Action(ActionKind.ASK_FOR_DETAILS, details=details, note=note)


def poll_psp(note: str = "") -> Action:
    return Action(ActionKind.POLL_PSP, note=note)


def escalate(team: Team, note: str = "") -> Action:
    return Action(ActionKind.ESCALATE, team=team, note=note)


def propose_money_action(kind: MoneyActionKind, note: str = "") -> Action:
    return Action(ActionKind.PROPOSE_MONEY_ACTION, money_action=kind, note=note)


def wait_until(when: datetime, note: str = "") -> Action:
    return Action(ActionKind.WAIT_UNTIL, until=when, note=note)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the diagnosis found. ``explanation`` is internal (agents only); the player sees ``macro``."""

    code: Code
    severity: Severity
    explanation: str
    evidence: tuple[int, ...]  # TransactionEvent ids (or sibling transaction ids where said in ``facts``)
    actions: tuple[Action, ...]
    # Variables the customer-facing macro may use (reason codes, references, times); plain JSON-able values.
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def macro(self) -> str:
        return self.code.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "explanation": self.explanation,
            "evidence": list(self.evidence),
            "macro": self.macro,
            "actions": [a.as_dict() for a in self.actions],
            "facts": self.facts,
        }


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Findings about one transaction (or about a reference that matched none), most important first."""

    reference: str
    transaction_found: bool
    kind: str | None
    status: str | None
    findings: tuple[Finding, ...]
    diagnosed_at: datetime

    @property
    def primary(self) -> Finding:
        return self.findings[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "transaction_found": self.transaction_found,
            "kind": self.kind,
            "status": self.status,
            "diagnosed_at": self.diagnosed_at.isoformat(),
            "primary": self.primary.code.value,
            "findings": [f.as_dict() for f in self.findings],
        }
