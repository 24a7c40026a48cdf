"""Transaction matching: which of the player's transactions a message is about, ranked, with the reasons.

Read-only. Rules it protects:
- only the player's own transactions are ever candidates (a reference that belongs to someone else matches nothing,
  so a message can't be used to look up another player's payment);
- a bounded number of queries whatever the message says: at most one for an explicit reference and one for the
  player's recent transactions (capped at ``RECENT_LIMIT`` rows), methods and PSPs joined in;
- every candidate carries the reasons it scored, so an agent can see why it was linked.
Models are imported inside the function: importing the triage package must not need Django's app registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from paydesk.triage.entities import Entities

if TYPE_CHECKING:
    from paydesk.payments.models import Player, Transaction

RECENT_DAYS = 90
RECENT_LIMIT = 200
MAX_CANDIDATES = 5

_KIND_FOR_CATEGORY = {
    "deposit_pending": "deposit",
    "deposit_failed": "deposit",
    "deposit_not_credited": "deposit",
    "duplicate_charge": "deposit",
    "bonus_wagering": "deposit",
    "withdrawal_pending": "withdrawal",
    "withdrawal_failed": "withdrawal",
    "withdrawal_not_received": "withdrawal",
    "refund_request": "deposit",
    "refund_not_received": "refund",
    "chargeback_dispute": "chargeback",
}

SCORE_REFERENCE = 100
SCORE_AMOUNT = 40
SCORE_LAST4 = 25
SCORE_METHOD = 10
SCORE_KIND = 10
SCORE_DATE = {0: 15, 1: 10, 2: 6, 3: 6}
SCORE_CURRENCY = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    transaction: Transaction
    score: int
    reasons: tuple[str, ...]

    @property
    def reference(self) -> str:
        return self.transaction.reference


def _score(
    txn: Transaction, *, entities: Entities, kind: str | None, reference_hit: bool
) -> tuple[int, list[str], bool]:
    """Score, reasons, and whether anything specific (reference, amount, card, date) matched."""
    score = 0
    reasons: list[str] = []
    specific = reference_hit
    if reference_hit:
        score += SCORE_REFERENCE
        reasons.append(f"reference {entities.reference} matches exactly")
    if entities.amount_minor is not None and entities.currency == txn.currency:
        if txn.amount_minor == entities.amount_minor:
            score += SCORE_AMOUNT
            reasons.append(f"amount {entities.amount_minor} {txn.currency} (minor units) matches")
            specific = True
        else:
            score += SCORE_CURRENCY
            reasons.append(f"same currency {txn.currency}")
    method = txn.method
    if entities.card_last4 and method is not None and method.last4 == entities.card_last4:
        score += SCORE_LAST4
        reasons.append(f"card ending {entities.card_last4}")
        specific = True
    if entities.method and method is not None and method.type == entities.method:
        score += SCORE_METHOD
        reasons.append(f"method {entities.method}")
    if entities.date is not None:
        days = abs((txn.created_at.date() - entities.date).days)
        if days in SCORE_DATE:
            score += SCORE_DATE[days]
            reasons.append("same day as the date mentioned" if days == 0 else f"{days} day(s) from the date mentioned")
            specific = True
    if kind and txn.kind == kind:
        score += SCORE_KIND
        reasons.append(f"a {kind}, as the message is about")
    return score, reasons, specific


def match_transactions(
    *, player: Player, entities: Entities, now: datetime, category: str | None = None
) -> list[Candidate]:
    """The player's transactions that the message may be about, best first (at most ``MAX_CANDIDATES``).

    With no entity at all, the most recent transactions of the kind the category implies are returned with the
    reason "most recent"; with entities, only transactions that match at least one of them.
    """
    from django.db.models import Q

    from paydesk.payments.models import Transaction

    kind = _KIND_FOR_CATEGORY.get(category or "")
    base = Transaction.objects.filter(player=player).select_related("method", "psp")
    by_reference: dict[int, Transaction] = {}
    if entities.reference:
        ref = entities.reference
        for txn in base.filter(Q(reference__iexact=ref) | Q(psp_reference=ref))[:5]:
            by_reference[txn.pk] = txn
    since = now - timedelta(days=RECENT_DAYS)
    if entities.date is not None:
        mentioned = datetime.combine(entities.date, datetime.min.time(), tzinfo=now.tzinfo) - timedelta(days=7)
        since = min(since, mentioned)
    window = base.filter(created_at__gte=since, created_at__lte=now + timedelta(days=1)).order_by("-created_at")
    recent = list(window[:RECENT_LIMIT])
    pool = {**{t.pk: t for t in recent}, **by_reference}
    has_entities = any(
        value is not None
        for value in (entities.amount_minor, entities.card_last4, entities.method, entities.date, entities.reference)
    )
    scored: list[Candidate] = []
    for txn in pool.values():
        score, reasons, specific = _score(txn, entities=entities, kind=kind, reference_hit=txn.pk in by_reference)
        if not has_entities:
            if kind and txn.kind != kind:
                continue
            reasons.append("most recent" if not reasons else "recent")
        elif not specific:
            continue  # only the kind, currency or method type in common: not a match
        scored.append(Candidate(transaction=txn, score=score, reasons=tuple(reasons)))
    scored.sort(key=lambda c: (-c.score, -c.transaction.created_at.timestamp(), c.transaction.pk))
    return scored[:MAX_CANDIDATES]
