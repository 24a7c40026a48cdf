"""The stuck-transaction sweeper: asks the PSP about deposits and payouts that have been pending for too long.

"Too long" is the PSP's norm for the flow and method (``Psp.norms``), so a slow bank transfer isn't mistaken for a
stuck card payment. A transaction is asked about at most once per norm (``last_polled_at``). What the PSP answers
lands on the timeline with source ``psp_poll`` through ``transaction_transition``, keyed by the answer, so the same
answer is never applied twice; an answer the state machine refuses is kept with ``applied=False``. A PSP that does
not answer is logged and asked again next time; the sweep carries on with the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils.module_loading import import_string

from paydesk.core import clock
from paydesk.integrations.ports import PspStatusClient, PspStatusQuery
from paydesk.payments.enums import DepositStatus, EventSource, Kind, WithdrawalStatus
from paydesk.payments.machines import IllegalTransition
from paydesk.payments.models import Transaction
from paydesk.payments.services import transaction_record_rejected, transaction_transition

logger = logging.getLogger(__name__)

# Statuses in which the next word has to come from the PSP.
WAITING_ON_PSP: dict[str, tuple[str, ...]] = {
    Kind.DEPOSIT: (DepositStatus.INITIATED, DepositStatus.PENDING),
    Kind.WITHDRAWAL: (WithdrawalStatus.PROCESSING,),
}
_FLOW: dict[str, str] = {Kind.DEPOSIT: "deposit", Kind.WITHDRAWAL: "payout"}
DEFAULT_NORM_SECONDS = 3600
# Nothing younger than this is ever polled, whatever a PSP's norms say (keeps the candidate query selective).
MIN_AGE_SECONDS = 60


@dataclass(frozen=True, slots=True)
class SweepResult:
    stuck: int
    moved: int
    rejected: int
    unchanged: int
    errors: int
    skipped_reason: str = ""

    def as_dict(self) -> dict[str, int | str]:
        return {
            "stuck": self.stuck,
            "moved": self.moved,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "skipped_reason": self.skipped_reason,
        }


def status_client_from_settings() -> PspStatusClient | None:
    path = str(getattr(settings, "PAYDESK_PSP_STATUS_CLIENT", "") or "")
    if not path:
        return None
    factory = import_string(path)
    client = factory()
    if not isinstance(client, PspStatusClient):
        raise TypeError(f"PAYDESK_PSP_STATUS_CLIENT {path} did not produce a PspStatusClient")
    return client


def _norm(txn: Transaction) -> int:
    if txn.psp is None:
        return DEFAULT_NORM_SECONDS
    method_type = txn.method.type if txn.method is not None else ""
    return txn.psp.norm_seconds(_FLOW[txn.kind], method_type, DEFAULT_NORM_SECONDS)


def stuck_transactions(*, now: datetime, limit: int) -> list[Transaction]:
    """Transactions waiting on their PSP for longer than its norm and not asked about within that norm."""
    waiting = Q()
    for kind, statuses in WAITING_ON_PSP.items():
        waiting |= Q(kind=kind, status__in=statuses)
    candidates = (
        Transaction.objects.select_related("psp", "method")
        .filter(waiting, psp__isnull=False, psp__is_active=True)
        .filter(status_changed_at__lt=now - timedelta(seconds=MIN_AGE_SECONDS))
        .order_by(F("last_polled_at").asc(nulls_first=True), "status_changed_at", "pk")[: limit * 5]
    )
    stuck: list[Transaction] = []
    for txn in candidates:
        norm = timedelta(seconds=_norm(txn))
        if now - txn.status_changed_at < norm:
            continue
        if txn.last_polled_at is not None and now - txn.last_polled_at < norm:
            continue
        stuck.append(txn)
        if len(stuck) >= limit:
            break
    return stuck


def transaction_poll(*, txn: Transaction, client: PspStatusClient, now: datetime) -> str:
    """Ask the PSP about one transaction and record the answer; returns moved/rejected/unchanged/error."""
    assert txn.psp is not None
    query = PspStatusQuery(
        psp_code=txn.psp.code,
        adapter=txn.psp.adapter,
        kind=txn.kind,
        reference=txn.reference,
        psp_reference=txn.psp_reference,
        current_status=txn.status,
    )
    Transaction.objects.filter(pk=txn.pk).update(last_polled_at=now)
    try:
        reply = client.fetch_status(query)
    except Exception as exc:  # any failure of a remote PSP must not stop the sweep
        logger.warning("PSP %s status poll for %s failed: %s", query.psp_code, txn.reference, exc)
        return "error"
    if reply is None or reply.status is None or reply.status == txn.status:
        return "unchanged"
    key = f"poll:{txn.reference}:{reply.status}"
    payload = {"poll": {"psp": query.psp_code, "psp_status": reply.psp_status, "answer": reply.payload}}
    try:
        transaction_transition(
            reference=txn.reference,
            to_status=reply.status,
            source=EventSource.PSP_POLL,
            occurred_at=reply.occurred_at or now,
            psp_status=reply.psp_status[:64],
            payload=payload,
            idempotency_key=key,
            note=reply.reason or f"status from a poll of {query.psp_code}",
        )
    except IllegalTransition as exc:
        transaction_record_rejected(
            reference=txn.reference,
            to_status=reply.status,
            source=EventSource.PSP_POLL,
            reason=exc.message,
            occurred_at=reply.occurred_at or now,
            psp_status=reply.psp_status[:64],
            payload=payload,
            idempotency_key=key,
        )
        return "rejected"
    return "moved"


def sweep(*, client: PspStatusClient | None = None, limit: int = 100) -> SweepResult:
    client = client or status_client_from_settings()
    if client is None:
        return SweepResult(0, 0, 0, 0, 0, skipped_reason="no PSP status client configured (PAYDESK_PSP_STATUS_CLIENT)")
    now = clock.now()
    counts = {"moved": 0, "rejected": 0, "unchanged": 0, "error": 0}
    stuck = stuck_transactions(now=now, limit=limit)
    for txn in stuck:
        counts[transaction_poll(txn=txn, client=client, now=now)] += 1
    if stuck:
        logger.info("sweeper: %d stuck, %s", len(stuck), counts)
    return SweepResult(
        stuck=len(stuck),
        moved=counts["moved"],
        rejected=counts["rejected"],
        unchanged=counts["unchanged"],
        errors=counts["error"],
    )
