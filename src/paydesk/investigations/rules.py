"""Diagnosis rules: from a transaction's ledger record to findings and the next action.

The rules read only what the ledger knows: the normalized status and the PSP's raw status, the timeline (times,
sources, notes, payloads), children and siblings, the PSP's norms and its health. They never read
``metadata["sim"]`` (the simulator's answer key, kept for the evaluation alone) nor any other metadata. Rules that
depend on time take ``now`` from the caller, so a diagnosis is reproducible.

The player-facing side of a finding is its macro; a risk review is never named to the player (its macros are
neutral), which is why holds and review declines are findings of their own instead of a reason of a decline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paydesk.core.errors import ValidationError
from paydesk.core.money import parse_minor
from paydesk.investigations.findings import (
    Action,
    Code,
    Finding,
    MoneyActionKind,
    Severity,
    Team,
    ask_for_details,
    escalate,
    poll_psp,
    propose_money_action,
    reply,
    wait_until,
)
from paydesk.investigations.health import PspHealth
from paydesk.investigations.reasons import UNKNOWN, event_reason
from paydesk.investigations.selectors import Investigation
from paydesk.payments.enums import ChargebackStatus as C
from paydesk.payments.enums import DepositStatus as D
from paydesk.payments.enums import Kind
from paydesk.payments.enums import RefundStatus as R
from paydesk.payments.enums import WithdrawalStatus as W
from paydesk.payments.models import Transaction, TransactionEvent
from paydesk.tickets.enums import Category

# Raw PSP statuses that mean "the player must complete a bank authentication step" (3-D Secure and the like).
THREE_DS_STATUSES = frozenset(
    {"requires_action", "challengeshopper", "identifyshopper", "redirectshopper", "awaiting_authentication"}
)
AUTHENTICATION_TIMEOUT = timedelta(hours=1)
CREDIT_GRACE = timedelta(minutes=10)
VERIFICATION_NORM = timedelta(hours=24)
APPROVED_NORM = timedelta(hours=2)
BANK_WINDOW_MIN = timedelta(days=1)
ESCALATE_AFTER_NORMS = 3
DEFAULT_NORM_SECONDS = 3600
# Claims (triage categories) that mean "the payout left but I don't have the money".
NOT_RECEIVED_CLAIMS = frozenset({Category.WITHDRAWAL_NOT_RECEIVED.value, Category.WITHDRAWAL_PENDING.value})
NOT_FOUND_DETAILS = (
    "date and time of the payment",
    "amount and currency",
    "payment method (card last four digits, wallet or bank)",
    "transaction ID or a bank statement screenshot",
)
_FLOWS = {Kind.DEPOSIT: "deposit", Kind.WITHDRAWAL: "payout", Kind.REFUND: "refund"}
_OPEN_FOR_INCIDENT = frozenset({D.INITIATED, D.PENDING, D.DECLINED, D.FAILED, W.PROCESSING, W.APPROVED})


@dataclass(frozen=True, slots=True)
class Inputs:
    investigation: Investigation
    now: datetime
    health: PspHealth | None = None
    claim: str | None = None

    @property
    def txn(self) -> Transaction:
        return self.investigation.transaction

    @property
    def events(self) -> tuple[TransactionEvent, ...]:
        return self.investigation.events


def _applied(events: Sequence[TransactionEvent]) -> list[TransactionEvent]:
    return [e for e in events if e.applied]


def _last_to(events: Sequence[TransactionEvent], *statuses: str) -> TransactionEvent | None:
    for event in reversed(_applied(events)):
        if event.to_status in statuses:
            return event
    return None


def _ids(*events: TransactionEvent | None) -> tuple[int, ...]:
    return tuple(e.pk for e in events if e is not None)


def _norm(txn: Transaction) -> timedelta:
    flow = _FLOWS.get(Kind(txn.kind))
    method = txn.method.type if txn.method else ""
    if txn.psp is None or flow is None:
        return timedelta(seconds=DEFAULT_NORM_SECONDS)
    return timedelta(seconds=txn.psp.norm_seconds(flow, method, DEFAULT_NORM_SECONDS))


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _finding(
    code: Code,
    severity: Severity,
    explanation: str,
    evidence: Sequence[int],
    actions: Sequence[Action],
    **facts: Any,
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        explanation=explanation,
        evidence=tuple(evidence),
        actions=tuple(actions),
        facts={k: v for k, v in facts.items() if v is not None},
    )


def _notes(events: Sequence[TransactionEvent]) -> str:
    return " | ".join(e.note.lower() for e in _applied(events) if e.note)


def _is_three_ds(status: str) -> bool:
    return status.strip().lower() in THREE_DS_STATUSES


def _status_reason(events: Sequence[TransactionEvent], status: str) -> tuple[str, str, TransactionEvent | None]:
    event = _last_to(events, status)
    if event is None:
        return UNKNOWN, "", None
    code, raw = event_reason(event.payload, event.note)
    return code, raw, event


# --- amounts ------------------------------------------------------------------------------------------------------


def _reported_amount(payload: Any) -> tuple[int, str] | None:
    """The amount a PSP event reported, in minor units with its currency, from the shapes our adapters store."""
    if not isinstance(payload, dict):
        return None
    body = payload.get("event") if isinstance(payload.get("event"), dict) else payload
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if isinstance(obj, dict) and isinstance(obj.get("currency"), str):  # Stripe: minor units, lower-case currency
        value = obj.get("amount_received") or obj.get("amount")
        if isinstance(value, int) and not isinstance(value, bool):
            return value, obj["currency"].upper()
    amount = body.get("amount")
    if isinstance(amount, dict):  # Adyen: {"value": minor units, "currency": "EUR"}
        value, currency = amount.get("value"), amount.get("currency")
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(currency, str):
            return value, currency.upper()
    if isinstance(body.get("amount_minor"), int) and isinstance(body.get("currency"), str):
        return int(body["amount_minor"]), str(body["currency"]).upper()
    if isinstance(amount, str) and isinstance(body.get("currency"), str):  # generic: decimal string in major units
        try:
            return parse_minor(amount, str(body["currency"]).upper()), str(body["currency"]).upper()
        except ValidationError:
            return None
    return None


_AMOUNT_STATUSES = {
    Kind.DEPOSIT: frozenset({D.PENDING, D.CONFIRMED, D.CREDITED}),
    Kind.WITHDRAWAL: frozenset({W.PROCESSING, W.PAID}),
}


def _amount_mismatch(inputs: Inputs) -> Finding | None:
    txn = inputs.txn
    statuses = _AMOUNT_STATUSES.get(Kind(txn.kind))
    if not statuses:
        return None
    for event in _applied(inputs.events):
        if event.to_status not in statuses:
            continue
        reported = _reported_amount(event.payload)
        if reported is None or reported == (txn.amount_minor, txn.currency):
            continue
        minor, currency = reported
        team = Team.PAYMENTS if txn.kind == Kind.WITHDRAWAL else Team.FINANCE
        return _finding(
            Code.AMOUNT_MISMATCH,
            Severity.CRITICAL,
            f"the payment provider reported {minor} {currency} (minor units) at {event.to_status}, "
            f"the ledger holds {txn.amount_minor} {txn.currency}",
            _ids(event),
            [
                escalate(team, "compare the provider's amount with the ledger and correct the balance"),
                propose_money_action(MoneyActionKind.ADJUSTMENT, "after the team confirms the right amount"),
            ],
            reported_amount_minor=minor,
            reported_currency=currency,
        )
    return None


# --- PSP health ---------------------------------------------------------------------------------------------------


def _incident(inputs: Inputs) -> Finding | None:
    health, txn = inputs.health, inputs.txn
    if health is None or txn.status not in _OPEN_FOR_INCIDENT:
        return None
    window = health.incident
    if window is None or txn.created_at < inputs.now - timedelta(hours=24):
        return None
    return _finding(
        Code.PSP_INCIDENT,
        Severity.CRITICAL,
        f"{health.psp} {health.method or 'payments'}: {window.failures}/{window.attempts} {health.kind}s failed "
        f"in the last {window.window} ({window.rate:.0%}; 7-day baseline {health.baseline.rate:.0%})",
        [],
        [escalate(Team.PAYMENTS, f"possible {health.psp} incident; check the provider's status page"), reply()],
        psp=health.psp,
        method=health.method,
        window=window.window,
        failure_rate=round(window.rate, 3),
        baseline_rate=round(health.baseline.rate, 3),
    )


# --- deposits -----------------------------------------------------------------------------------------------------


def _duplicate(inputs: Inputs) -> Finding | None:
    txn = inputs.txn
    siblings = inputs.investigation.siblings
    if txn.status not in {D.CONFIRMED, D.CREDITED, D.REFUNDED, D.PARTIALLY_REFUNDED} or not siblings:
        return None
    twin = siblings[0]
    refunded = txn.status == D.REFUNDED or twin.status == D.REFUNDED
    later = txn if (txn.created_at, txn.pk) > (twin.created_at, twin.pk) else twin
    seconds = abs(int((txn.created_at - twin.created_at).total_seconds()))
    actions = [reply()] if refunded else [propose_money_action(MoneyActionKind.REFUND, f"refund {later.reference}")]
    return _finding(
        Code.DUPLICATE_DEPOSIT,
        Severity.WARNING,
        f"possible double charge: {txn.reference} and {twin.reference}, same player, method and amount {seconds} s "
        "apart, both charged" + ("; one is already refunded" if refunded else ""),
        _ids(_last_to(inputs.events, D.CONFIRMED, D.CREDITED)),
        actions,
        duplicate_reference=twin.reference,
        refund_reference=later.reference,
        already_refunded=refunded,
    )


def _deposit(inputs: Inputs) -> Finding:
    txn, events, now = inputs.txn, inputs.events, inputs.now
    status = txn.status
    norm = _norm(txn)
    age = now - txn.created_at
    if status in (D.INITIATED, D.PENDING):
        if _is_three_ds(txn.psp_status):
            challenge = _last_to(events, D.PENDING)
            started = challenge.occurred_at if challenge else txn.created_at
            deadline = started + AUTHENTICATION_TIMEOUT
            action = wait_until(deadline, "the attempt expires if not authenticated") if now < deadline else poll_psp()
            return _finding(
                Code.DEPOSIT_AWAITING_CUSTOMER,
                Severity.INFO,
                f"waiting for the player's bank authentication (PSP status {txn.psp_status!r}) for {_human(age)}",
                _ids(challenge),
                [reply(), action],
                expires_at=deadline.isoformat(),
            )
        if age > norm:
            actions: list[Action] = [poll_psp("ask the provider where the payment stands"), reply()]
            if age > ESCALATE_AFTER_NORMS * norm:
                actions.append(escalate(Team.PAYMENTS, f"pending {_human(age)}, norm {_human(norm)}"))
            return _finding(
                Code.DEPOSIT_DELAYED,
                Severity.WARNING,
                f"{status} for {_human(age)}; this method's norm is {_human(norm)}",
                _ids(_last_to(events, D.PENDING, D.INITIATED)),
                actions,
                norm_seconds=int(norm.total_seconds()),
                pending_seconds=int(age.total_seconds()),
            )
        return _no_issue(inputs, f"{status} for {_human(age)}, within this method's norm of {_human(norm)}")
    if status == D.CONFIRMED:
        confirmed = _last_to(events, D.CONFIRMED)
        since = now - (confirmed.occurred_at if confirmed else txn.status_changed_at)
        if since > CREDIT_GRACE:
            return _finding(
                Code.DEPOSIT_CONFIRMED_NOT_CREDITED,
                Severity.CRITICAL,
                f"captured by the provider {_human(since)} ago (PSP status {txn.psp_status!r}) but the balance "
                "was never topped up",
                _ids(confirmed),
                [
                    escalate(Team.PLATFORM, "the wallet credit did not happen"),
                    propose_money_action(
                        MoneyActionKind.MANUAL_CREDIT,
                        f"credit {txn.reference} if the platform confirms no credit exists",
                    ),
                ],
                confirmed_at=confirmed.occurred_at.isoformat() if confirmed else None,
            )
        return _no_issue(inputs, f"confirmed {_human(since)} ago; the credit normally follows within minutes")
    if status == D.HELD:
        return _risk_hold(inputs)
    if status == D.DECLINED:
        if _last_to(events, D.HELD) is not None:
            return _risk_declined(inputs, D.DECLINED)
        code, raw, event = _status_reason(events, D.DECLINED)
        return _finding(
            Code.DEPOSIT_DECLINED,
            Severity.INFO,
            f"declined: {code}" + (f" ({raw!r})" if raw and raw != code else ""),
            _ids(event),
            [reply()],
            reason=code,
            reason_raw=raw,
        )
    if status == D.FAILED:
        code, raw, event = _status_reason(events, D.FAILED)
        return _finding(
            Code.DEPOSIT_FAILED,
            Severity.WARNING,
            f"technical failure at the provider: {raw or code}; no money was taken",
            _ids(event),
            [reply()],
            reason=code,
            reason_raw=raw,
        )
    if status == D.EXPIRED:
        expired = _last_to(events, D.EXPIRED)
        challenged = [e for e in _applied(events) if _is_three_ds(e.psp_status)]
        if challenged:
            return _finding(
                Code.DEPOSIT_3DS_NOT_COMPLETED,
                Severity.INFO,
                "the bank authentication step (3-D Secure) was started and never completed; the attempt expired",
                _ids(challenged[-1], expired),
                [reply()],
            )
        return _finding(
            Code.DEPOSIT_EXPIRED,
            Severity.INFO,
            "the payment window closed before the provider received the payment",
            _ids(expired),
            [reply()],
        )
    if status in (D.CREDITED, D.REFUNDED, D.PARTIALLY_REFUNDED, D.CHARGED_BACK):
        if status == D.CHARGED_BACK:
            open_dispute = _open_chargeback(inputs.investigation.children)
            if open_dispute is not None:
                return _chargeback_open(inputs, open_dispute)
        return _no_issue(inputs, _settled_note(inputs))
    return _no_issue(inputs, f"{status} since {txn.status_changed_at:%Y-%m-%d %H:%M} UTC")


def _settled_note(inputs: Inputs) -> str:
    txn = inputs.txn
    children = ", ".join(f"{c.kind} {c.reference} {c.status}" for c in inputs.investigation.children)
    note = f"{txn.status} since {txn.status_changed_at:%Y-%m-%d %H:%M} UTC"
    return f"{note}; {children}" if children else note


def _open_chargeback(children: Sequence[Transaction]) -> Transaction | None:
    for child in reversed(children):
        if child.kind == Kind.CHARGEBACK and child.status in (C.NEEDS_RESPONSE, C.UNDER_REVIEW):
            return child
    return None


def _risk_hold(inputs: Inputs) -> Finding:
    held = _last_to(inputs.events, D.HELD)
    since = inputs.now - (held.occurred_at if held else inputs.txn.status_changed_at)
    return _finding(
        Code.RISK_HOLD,
        Severity.WARNING,
        f"on risk review for {_human(since)}" + (f" ({held.note})" if held and held.note else ""),
        _ids(held),
        [escalate(Team.RISK, "review pending; the player must not be told why"), reply()],
        held_since=held.occurred_at.isoformat() if held else None,
    )


def _risk_declined(inputs: Inputs, status: str) -> Finding:
    held = _last_to(inputs.events, D.HELD)
    ended = _last_to(inputs.events, status)
    return _finding(
        Code.RISK_REVIEW_DECLINED,
        Severity.WARNING,
        f"{status} after a risk review" + (f" ({ended.note})" if ended and ended.note else ""),
        _ids(held, ended),
        [reply()],
    )


# --- withdrawals --------------------------------------------------------------------------------------------------


def _withdrawal(inputs: Inputs) -> Finding:
    txn, events, now = inputs.txn, inputs.events, inputs.now
    status = txn.status
    notes = _notes(events)
    bonus = "wagering" in notes
    since_change = now - txn.status_changed_at
    if status in (W.REQUESTED, W.VERIFICATION):
        if since_change > VERIFICATION_NORM:
            return _finding(
                Code.VERIFICATION_DELAYED,
                Severity.WARNING,
                f"in {status} for {_human(since_change)}; checks normally finish within {_human(VERIFICATION_NORM)}",
                _ids(_last_to(events, status)),
                [escalate(Team.PAYMENTS, "verification overdue"), reply()],
            )
        return _no_issue(inputs, f"{status} for {_human(since_change)}; within the usual verification time")
    if status == W.AWAITING_DOCUMENTS:
        asked = _last_to(events, W.AWAITING_DOCUMENTS)
        documents: list[str] = []
        if asked and ":" in asked.note:
            documents = [d.strip() for d in asked.note.split(":", 1)[1].split(",") if d.strip()]
        return _finding(
            Code.WITHDRAWAL_AWAITING_DOCUMENTS,
            Severity.INFO,
            "waiting for the player's documents: " + (", ".join(documents) or "not listed on the timeline"),
            _ids(asked),
            [ask_for_details(*(documents or ["identity documents"]))],
            documents=documents,
        )
    if status in (W.HELD, W.REJECTED, W.CANCELLED) and bonus:
        event = _last_to(events, status)
        return _finding(
            Code.BONUS_WAGERING_INCOMPLETE,
            Severity.INFO,
            f"{status}: the bonus wagering requirement is not met"
            + ("; funds are back on the balance" if status == W.CANCELLED else ""),
            _ids(event),
            [reply()],
        )
    if status == W.HELD:
        return _risk_hold(inputs)
    if status == W.REJECTED:
        if "kyc" in notes or _last_to(events, W.AWAITING_DOCUMENTS) is not None:
            event = _last_to(events, W.REJECTED)
            return _finding(
                Code.VERIFICATION_FAILED,
                Severity.WARNING,
                "rejected: identity verification was not passed" + (f" ({event.note})" if event else ""),
                _ids(event),
                [reply(), escalate(Team.PAYMENTS, "confirm which documents the player can resubmit")],
            )
        return _risk_declined(inputs, W.REJECTED)
    if status == W.APPROVED:
        if since_change > APPROVED_NORM:
            return _finding(
                Code.PAYOUT_DELAYED,
                Severity.WARNING,
                f"approved {_human(since_change)} ago and not yet sent to the provider",
                _ids(_last_to(events, W.APPROVED)),
                [escalate(Team.PAYMENTS, "approved payout not handed over"), reply()],
            )
        return _no_issue(inputs, f"approved {_human(since_change)} ago; being sent")
    if status == W.PROCESSING:
        norm = _norm(txn)
        sent = _last_to(events, W.PROCESSING)
        if since_change > norm:
            actions: list[Action] = [poll_psp("ask the provider where the payout stands"), reply()]
            if since_change > ESCALATE_AFTER_NORMS * norm:
                actions.append(escalate(Team.PAYMENTS, f"payout in flight {_human(since_change)}"))
            return _finding(
                Code.PAYOUT_DELAYED,
                Severity.WARNING,
                f"with the provider for {_human(since_change)}; this method's norm is {_human(norm)}",
                _ids(sent),
                actions,
                norm_seconds=int(norm.total_seconds()),
            )
        return _no_issue(inputs, f"with the provider for {_human(since_change)}, norm {_human(norm)}")
    if status == W.PAID:
        return _paid(inputs)
    if status == W.FAILED:
        code, raw, event = _status_reason(events, W.FAILED)
        return _finding(
            Code.PAYOUT_FAILED,
            Severity.WARNING,
            f"payout failed: {raw or code}; the funds went back to the balance",
            _ids(event),
            [reply(), ask_for_details("working payout details")],
            reason=code,
            reason_raw=raw,
        )
    if status == W.RETURNED:
        code, raw, event = _status_reason(events, W.RETURNED)
        return _finding(
            Code.PAYOUT_RETURNED,
            Severity.WARNING,
            f"paid, then returned by the receiving bank: {raw or code}",
            _ids(_last_to(events, W.PAID), event),
            [
                escalate(Team.FINANCE, "confirm the returned funds arrived"),
                propose_money_action(MoneyActionKind.MANUAL_CREDIT, "return the funds to the player's balance"),
                reply(),
            ],
            reason=code,
            reason_raw=raw,
            payout_reference=_payout_reference(inputs),
        )
    return _no_issue(inputs, f"{status} since {txn.status_changed_at:%Y-%m-%d %H:%M} UTC")


def _payout_reference(inputs: Inputs) -> str | None:
    for event in reversed(_applied(inputs.events)):
        payload = event.payload if isinstance(event.payload, dict) else {}
        body = payload.get("event") if isinstance(payload.get("event"), dict) else payload
        for source in (payload, body):
            value = source.get("payout_reference") if isinstance(source, dict) else None
            if isinstance(value, str) and value:
                return value
    return inputs.txn.psp_reference


def _paid(inputs: Inputs) -> Finding:
    txn, now = inputs.txn, inputs.now
    paid = _last_to(inputs.events, W.PAID)
    paid_at = paid.occurred_at if paid else txn.status_changed_at
    window_end = paid_at + max(_norm(txn), BANK_WINDOW_MIN)
    reference = _payout_reference(inputs)
    if inputs.claim not in NOT_RECEIVED_CLAIMS:
        return _no_issue(
            inputs,
            f"paid {paid_at:%Y-%m-%d %H:%M} UTC, payout reference {reference}",
            payout_reference=reference,
            arrival_expected_by=window_end.isoformat(),
        )
    if now < window_end:
        actions = [reply(), wait_until(window_end, "the receiving bank may still be crediting it")]
        severity = Severity.INFO
    else:
        actions = [escalate(Team.PAYMENTS, f"trace the payout {reference} with the provider and the bank"), reply()]
        severity = Severity.WARNING
    return _finding(
        Code.PAID_NOT_RECEIVED,
        severity,
        f"paid {paid_at:%Y-%m-%d %H:%M} UTC with payout reference {reference}; the bank window "
        + ("ends" if now < window_end else "ended")
        + f" {window_end:%Y-%m-%d %H:%M} UTC",
        _ids(paid),
        actions,
        payout_reference=reference,
        paid_at=paid_at.isoformat(),
        trace_after=window_end.isoformat(),
    )


# --- refunds and chargebacks --------------------------------------------------------------------------------------


def _refund(inputs: Inputs) -> Finding:
    txn, events, now = inputs.txn, inputs.events, inputs.now
    status = txn.status
    if status in (R.REQUESTED, R.PENDING):
        norm = _norm(txn)
        expected = txn.created_at + norm
        actions: list[Action] = [reply(), wait_until(expected, "refunds take the provider's usual time")]
        if now > expected:
            actions = [poll_psp(), escalate(Team.FINANCE, "refund overdue"), reply()]
        return _finding(
            Code.REFUND_IN_FLIGHT,
            Severity.INFO if now <= expected else Severity.WARNING,
            f"refund {status} for {_human(now - txn.created_at)}; usual time {_human(norm)}",
            _ids(_last_to(events, status)),
            actions,
            expected_by=expected.isoformat(),
            parent_reference=txn.parent.reference if txn.parent else None,
        )
    if status in (R.FAILED, R.REVERSED):
        code, raw, event = _status_reason(events, status)
        return _finding(
            Code.REFUND_FAILED,
            Severity.WARNING,
            f"refund {status}: {raw or code}",
            _ids(event),
            [
                escalate(Team.FINANCE, "refund by another route"),
                propose_money_action(MoneyActionKind.REFUND, "to another payment method of the player"),
                reply(),
            ],
            reason=code,
            reason_raw=raw,
            parent_reference=txn.parent.reference if txn.parent else None,
        )
    return _no_issue(inputs, _settled_note(inputs))


def _chargeback_open(inputs: Inputs, dispute: Transaction) -> Finding:
    return _finding(
        Code.CHARGEBACK_OPEN,
        Severity.WARNING,
        f"dispute {dispute.reference} at stage {dispute.dispute_stage}, {dispute.status}",
        _ids(_last_to(inputs.events, dispute.status if dispute.pk == inputs.txn.pk else D.CHARGED_BACK)),
        [escalate(Team.PAYMENTS, "the dispute is handled by the payments team"), reply()],
        dispute_reference=dispute.reference,
        stage=dispute.dispute_stage,
    )


def _chargeback(inputs: Inputs) -> Finding:
    txn = inputs.txn
    if txn.status in (C.NEEDS_RESPONSE, C.UNDER_REVIEW):
        return _chargeback_open(inputs, txn)
    return _no_issue(inputs, f"dispute closed: {txn.status} at stage {txn.dispute_stage}")


# --- entry points -------------------------------------------------------------------------------------------------


def _no_issue(inputs: Inputs, explanation: str, **facts: Any) -> Finding:
    last = _last_to(inputs.events, inputs.txn.status)
    return _finding(
        Code.NO_ISSUE,
        Severity.INFO,
        explanation,
        _ids(last),
        [reply()],
        status=inputs.txn.status,
        **facts,
    )


def not_found(reference: str) -> Finding:
    return _finding(
        Code.TRANSACTION_NOT_FOUND,
        Severity.INFO,
        f"no transaction has the reference or PSP reference {reference!r}",
        [],
        [ask_for_details(*NOT_FOUND_DETAILS)],
        reference=reference,
    )


def diagnose_inputs(inputs: Inputs) -> list[Finding]:
    """All findings for one transaction, most important first (the first is the one to act on)."""
    kind = inputs.txn.kind
    if kind == Kind.DEPOSIT:
        main = _duplicate(inputs) or _deposit(inputs)
    elif kind == Kind.WITHDRAWAL:
        main = _withdrawal(inputs)
    elif kind == Kind.REFUND:
        main = _refund(inputs)
    else:
        main = _chargeback(inputs)
    findings = [f for f in (_amount_mismatch(inputs), _incident(inputs)) if f is not None]
    findings.append(main)
    return findings
