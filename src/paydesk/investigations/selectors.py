"""Reads for a diagnosis: the transaction with its timeline, children and possible duplicate siblings.

A fixed number of queries whatever the history's length: one for the transaction (player, method, PSP and parent
joined), one for its timeline, one for its children (refunds, chargebacks) and, for deposits, one for siblings (the
same player's deposits of the same amount close in time). A reference is our transaction reference or, failing
that, a PSP reference; a PSP reference shared by two PSPs is ambiguous and matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch, Q

from paydesk.payments.enums import DepositStatus, Kind
from paydesk.payments.models import Transaction, TransactionEvent

# A double charge is a double submit or a cashier retry: seconds apart. Two equal deposits minutes apart are far more
# often two sessions (the default world had 8 such pairs among 37,000 good deposits with a 5-minute window).
DUPLICATE_WINDOW = timedelta(seconds=60)
# Deposits in these statuses took the player's money (or did, before a refund or chargeback).
MONEY_TAKEN: frozenset[str] = frozenset(
    {
        DepositStatus.CONFIRMED,
        DepositStatus.CREDITED,
        DepositStatus.REFUNDED,
        DepositStatus.PARTIALLY_REFUNDED,
        DepositStatus.CHARGED_BACK,
    }
)


@dataclass(frozen=True, slots=True)
class Investigation:
    transaction: Transaction
    events: tuple[TransactionEvent, ...]
    children: tuple[Transaction, ...]
    siblings: tuple[Transaction, ...]


def transaction_find(*, reference: str) -> Transaction | None:
    ref = reference.strip()
    if not ref:
        return None
    matches = list(
        Transaction.objects.select_related("player", "method", "psp", "parent")
        .prefetch_related(
            Prefetch("events", queryset=TransactionEvent.objects.order_by("occurred_at", "id")),
            Prefetch("children", queryset=Transaction.objects.order_by("created_at", "id")),
        )
        .filter(Q(reference=ref) | Q(psp_reference=ref))[:3]
    )
    exact = [t for t in matches if t.reference == ref]
    if exact:
        return exact[0]
    return matches[0] if len(matches) == 1 else None


def investigation_get(*, reference: str) -> Investigation | None:
    """Everything a diagnosis reads about one transaction, or None when the reference matches none."""
    txn = transaction_find(reference=reference)
    if txn is None:
        return None
    siblings: list[Transaction] = []
    if txn.kind == Kind.DEPOSIT:
        siblings = list(
            Transaction.objects.filter(
                player_id=txn.player_id,
                kind=Kind.DEPOSIT,
                amount_minor=txn.amount_minor,
                currency=txn.currency,
                method_id=txn.method_id,
                status__in=MONEY_TAKEN,
                created_at__gte=txn.created_at - DUPLICATE_WINDOW,
                created_at__lte=txn.created_at + DUPLICATE_WINDOW,
            )
            .exclude(pk=txn.pk)
            .order_by("created_at", "id")
        )
    return Investigation(
        transaction=txn,
        events=tuple(txn.events.all()),
        children=tuple(txn.children.all()),
        siblings=tuple(siblings),
    )
