"""Triage wiring: what the desk does with a player's message on registration and on every later player message.

Two steps, both called from the intake service (``intake.py``), never from signals:

1. ``triage_apply`` runs inside the intake transaction, on the locked ticket, before it is saved. It is pure
   computation (about a millisecond, no I/O besides one read): it sets the ticket's language and category and raises
   its priority to triage's hint, so SLA policy choice and assignment already see them. Rules: priority is only ever
   raised (an agent's choice is never lowered); a category or language the caller gave, or an agent changed after
   triage set it, is kept; a later message replaces triage's own category only with a specific one it is confident
   about ("thanks!" does not turn a withdrawal ticket into "other").
2. ``suggest_after_commit`` runs after the intake commit (``transaction.on_commit``). It matches the message against
   the player's own transactions, links the matches (best candidate primary unless the ticket already has one; each
   link keeps its score and reasons), diagnoses the primary transaction, renders the finding's macro in the ticket's
   language, lints it against the Tone of Voice guide and stores all of it as the ticket's ``TicketSuggestion``
   (one row per ticket, replaced by each newer player message). Reads happen first; the writes take one short
   transaction that locks the ticket and records a ``ticket.triage`` audit event.

Robustness: the message is already committed before step 2, and step 1 swallows its own failures, so a triage,
matching, diagnosis or rendering failure never loses a message; it is logged, and a step that fails inside step 2
is named in ``TicketSuggestion.problem`` while the other steps still run. A reference the player typed that is not
one of their transactions is never diagnosed (it would disclose another player's payment): it gets the
"transaction not found" answer with the details to ask for.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import PaydeskError
from paydesk.investigations.diagnosis import transaction_diagnose
from paydesk.investigations.findings import Action, Diagnosis, Finding, ask_for_details, reply
from paydesk.investigations.health import PspHealth, psp_health
from paydesk.investigations.rules import NOT_FOUND_DETAILS, not_found
from paydesk.payments.enums import Kind
from paydesk.payments.models import Transaction
from paydesk.replies.render import render_category, render_finding
from paydesk.replies.tone import lint_reply
from paydesk.tickets.enums import PRIORITY_ORDER, Category
from paydesk.tickets.models import Message, Ticket, TicketSuggestion, TicketTransaction
from paydesk.tickets.services.base import label, lock_ticket
from paydesk.triage.matching import Candidate, match_transactions
from paydesk.triage.pipeline import TriageResult, triage_message

logger = logging.getLogger(__name__)

REPLY_LANGUAGES = ("en", "ru")
# A later message replaces triage's own category only when the classifier is at least this sure.
RECATEGORISE_CONFIDENCE = 0.5
# With entities in the message, link at most this many matches; with none ("most recent"), only the best one.
LINK_LIMIT = 3
# A message in Latin letters changes the ticket's language only with this many words (short ones say too little).
MIN_WORDS_FOR_LANGUAGE = 3
_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
# Categories about a specific payment: with no match, the next action is to ask for its details.
_PAYMENT_CATEGORIES = frozenset(Category.values) - {
    Category.VERIFICATION_KYC,
    Category.FEES_AND_LIMITS,
    Category.EXCHANGE_RATE,
    Category.ACCOUNT_ACCESS,
    Category.OTHER,
}

# Categories about one kind of payment, where "the most recent one" is a fair guess when the message names nothing.
_ONE_KIND_CATEGORIES = frozenset(
    {
        Category.DEPOSIT_PENDING,
        Category.DEPOSIT_FAILED,
        Category.DEPOSIT_NOT_CREDITED,
        Category.DUPLICATE_CHARGE,
        Category.WITHDRAWAL_PENDING,
        Category.WITHDRAWAL_FAILED,
        Category.WITHDRAWAL_NOT_RECEIVED,
        Category.REFUND_NOT_RECEIVED,
        Category.CHARGEBACK_DISPUTE,
    }
)

HealthCache = dict[str, Mapping[tuple[str, str], PspHealth]]
_shared_health: ContextVar[HealthCache | None] = ContextVar("paydesk_shared_psp_health", default=None)


@contextmanager
def shared_psp_health() -> Iterator[HealthCache]:
    """Within the block, PSP health is computed once per transaction kind and reused by every diagnosis.

    For batch registration (the demo seed registers hundreds of inquiries): health is one grouped query over a
    week of transactions, cheap once, wasteful per ticket.
    """
    cache: HealthCache = {}
    token = _shared_health.set(cache)
    try:
        yield cache
    finally:
        _shared_health.reset(token)


def _raise_priority(current: str, hint: str) -> str:
    if hint not in PRIORITY_ORDER:
        return current
    return hint if PRIORITY_ORDER.index(hint) > PRIORITY_ORDER.index(current) else current


def _says_language(text: str, current: str) -> bool:
    """Whether ``text`` is evidence enough to change the ticket's language ("ok" or "y" is not)."""
    return not current or bool(_CYRILLIC_RE.search(text)) or len(_WORD_RE.findall(text)) >= MIN_WORDS_FOR_LANGUAGE


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``triage_apply`` did: the result (None when triage failed) and the fields it changed, [old, new]."""

    result: TriageResult | None
    changes: dict[str, list[str]]

    def audit(self) -> dict[str, Any]:
        """For the intake service's own audit event (register or message), so the change is audited with it."""
        if self.result is None:
            return {"triage": "failed"}
        return {"triage": {"changes": self.changes, "confidence": round(self.result.confidence, 4)}}


def triage_apply(
    ticket: Ticket, text: str, *, keep_category: bool, keep_language: bool, registering: bool = False
) -> Applied:
    """Set language, category and priority on a locked ticket from ``text`` (the caller saves and audits).

    Never raises: a failure is logged and returned as ``Applied(None, {})``.
    """
    try:
        result = triage_message(text)
        previous = None
        if not registering:
            # A savepoint: should this read fail, the intake transaction (and the message) must survive it.
            with transaction.atomic():
                previous = (
                    TicketSuggestion.objects.filter(ticket_id=ticket.pk).values_list("category", "language").first()
                )
        prev_category, prev_language = previous or ("", "")
        changes: dict[str, list[str]] = {}
        if not keep_category and result.category in Category.values and result.category != ticket.category:
            fresh = not ticket.category
            ours = ticket.category == prev_category
            sure = result.category != Category.OTHER and result.confidence >= RECATEGORISE_CONFIDENCE
            if fresh or (ours and sure):
                changes["category"] = [ticket.category, result.category]
                ticket.category = result.category
        # The player's own words say which language to answer in, unless an agent set it after triage did.
        if (
            not keep_language
            and result.language != ticket.language
            and _says_language(text, ticket.language)
            and (not prev_language or ticket.language == prev_language)
        ):
            changes["language"] = [ticket.language, result.language]
            ticket.language = result.language
        priority = _raise_priority(ticket.priority, result.priority)
        if priority != ticket.priority:
            changes["priority"] = [ticket.priority, priority]
            ticket.priority = priority
        return Applied(result, changes)
    except Exception:
        logger.exception("triage of a message on ticket %s failed; the message is stored untriaged", ticket.pk)
        return Applied(None, {})


def suggest_after_commit(*, ticket_id: int, message_id: int, result: TriageResult | None) -> None:
    """``transaction.on_commit`` target: ``ticket_suggest`` that logs instead of raising."""
    try:
        ticket_suggest(ticket_id=ticket_id, message_id=message_id, result=result)
    except Exception:
        logger.exception("suggestion for ticket %s (message %s) failed; the ticket is unchanged", ticket_id, message_id)


@dataclass(frozen=True, slots=True)
class _Reply:
    diagnosis: Diagnosis | None
    finding: Finding | None
    action: Action
    text: str
    language: str
    problems: tuple[str, ...]


def _links_to_make(candidates: list[Candidate], result: TriageResult, category: str) -> tuple[list[Candidate], bool]:
    """The candidates to link, and whether they matched something the message said (not just recency).

    A message naming nothing gets its most recent payment of the kind its category is about, and only for a
    category about one kind ("where is my withdrawal"); a question about fees links nothing.
    """
    entities = result.entities
    has_entities = any(
        value is not None
        for value in (entities.amount_minor, entities.card_last4, entities.method, entities.date, entities.reference)
    )
    if has_entities:
        return candidates[:LINK_LIMIT], True
    return (candidates[:1] if category in _ONE_KIND_CATEGORIES else []), False


def _diagnose(txn: Transaction, *, claim: str, now: datetime) -> Diagnosis:
    cache = _shared_health.get()
    if cache is not None and txn.kind in (Kind.DEPOSIT, Kind.WITHDRAWAL) and txn.kind not in cache:
        cache[txn.kind] = psp_health(kind=txn.kind, now=now)
    return transaction_diagnose(reference=txn.reference, claim=claim or None, now=now, health=cache)


def _reply(*, ticket: Ticket, txn: Transaction | None, result: TriageResult, category: str, now: datetime) -> _Reply:
    lang = ticket.language if ticket.language in REPLY_LANGUAGES else "en"
    problems: list[str] = []
    diagnosis: Diagnosis | None = None
    finding: Finding | None = None
    if txn is not None:
        try:
            diagnosis = _diagnose(txn, claim=category, now=now)
            finding = diagnosis.primary
        except Exception as exc:
            logger.exception("diagnosis of %s for ticket %s failed", txn.reference, ticket.pk)
            problems.append(f"diagnosis of {txn.reference} failed: {exc}"[:200])
    elif result.entities.reference:
        # Not among the player's transactions: answer "not found" without looking it up anywhere else.
        finding = not_found(result.entities.reference)
    if finding is not None:
        action = finding.actions[0] if finding.actions else reply()
        try:
            text = render_finding(finding, transaction=txn, lang=lang)
            return _Reply(diagnosis, finding, action, text, lang, tuple(problems))
        except PaydeskError as exc:
            problems.append(f"macro {finding.code} could not be rendered: {exc.message}"[:200])
    else:
        action = ask_for_details(*NOT_FOUND_DETAILS) if category in _PAYMENT_CATEGORIES else reply()
    text = render_category(category or Category.OTHER, lang=lang, player=ticket.player)
    return _Reply(diagnosis, finding, action, text, lang, tuple(problems))


def ticket_suggest(
    *, ticket_id: int, message_id: int, result: TriageResult | None = None, now: datetime | None = None
) -> TicketSuggestion | None:
    """Match, link, diagnose and draft the reply for one player message; returns the stored suggestion.

    None when the ticket or message is gone, or a newer message's suggestion is already stored.
    """
    at = now or clock.now()
    message = Message.objects.filter(pk=message_id).values_list("body", flat=True).first()
    ticket = Ticket.objects.select_related("player").filter(pk=ticket_id).first()
    if message is None or ticket is None:
        return None
    triaged = result or triage_message(message, now=at)
    category = ticket.category or triaged.category
    problems: list[str] = []
    candidates: list[Candidate] = []
    if ticket.player is not None:
        try:
            candidates = match_transactions(player=ticket.player, entities=triaged.entities, now=at, category=category)
        except Exception as exc:
            logger.exception("matching for ticket %s failed", ticket_id)
            problems.append(f"matching failed: {exc}"[:200])
    to_link, specific = _links_to_make(candidates, triaged, category)
    primary_link = (
        TicketTransaction.objects.select_related("transaction").filter(ticket_id=ticket_id, is_primary=True).first()
    )
    # Diagnose what this message points at; a message that names nothing ("any news?") is about the primary link.
    if to_link and (specific or primary_link is None):
        primary: Transaction | None = to_link[0].transaction
    else:
        primary = primary_link.transaction if primary_link else None
    drafted = _reply(ticket=ticket, txn=primary, result=triaged, category=category, now=at)
    problems.extend(drafted.problems)
    findings = lint_reply(drafted.text, lang=drafted.language)

    with transaction.atomic():
        locked = lock_ticket(ticket_id)
        existing = TicketSuggestion.objects.filter(ticket_id=ticket_id).first()
        if existing is not None and existing.message_id is not None and existing.message_id > message_id:
            return None  # a newer message's suggestion is already there
        linked = _link_candidates(locked, to_link, at=at)
        values: dict[str, Any] = {
            "message_id": message_id,
            "language": triaged.language,
            "category": category,
            "confidence": round(triaged.confidence, 4),
            "priority_hint": triaged.priority,
            "entities": triaged.entities.as_dict(),
            "candidates": [
                {"reference": c.reference, "score": c.score, "reasons": list(c.reasons)} for c in candidates
            ],
            "transaction": primary,
            "diagnosis": drafted.diagnosis.as_dict() if drafted.diagnosis else None,
            "finding": drafted.finding.code.value if drafted.finding else "",
            "next_action": drafted.action.as_dict(),
            "next_action_text": drafted.action.describe()[:300],
            "reply_language": drafted.language,
            "reply_text": drafted.text,
            "lint": [f.as_dict() for f in findings],
            "lint_errors": sum(1 for f in findings if f.severity == "error"),
            "problem": "; ".join(problems)[:300],
            "updated_at": at,
        }
        if existing is None:
            suggestion = TicketSuggestion.objects.create(ticket=locked, created_at=at, **values)
        else:
            for field, value in values.items():
                setattr(existing, field, value)
            existing.save()
            suggestion = existing
        audit_record(
            action="ticket.triage",
            actor=None,
            actor_label="triage",
            object_type="ticket",
            object_id=label(locked),
            data={
                "message": message_id,
                "category": category,
                "linked": linked,
                "diagnosed": primary.reference if primary else None,
                "finding": values["finding"],
                "next_action": drafted.action.kind.value,
                "lint_errors": values["lint_errors"],
                "problem": values["problem"],
            },
        )
        if linked:
            # New links change the ticket (a stale form must be refused) but none of its SLA clocks: bump the
            # version without recomputing them.
            Ticket.objects.filter(pk=locked.pk).update(version=F("version") + 1, updated_at=at)
    return suggestion


def _link_candidates(ticket: Ticket, candidates: list[Candidate], *, at: datetime) -> list[str]:
    """Link the candidates (the first becomes primary when the ticket has none); returns references newly linked."""
    if not candidates:
        return []
    existing = {
        link.transaction_id: link for link in TicketTransaction.objects.filter(ticket=ticket).only("id", "is_primary")
    }
    has_primary = any(link.is_primary for link in existing.values())
    new: list[TicketTransaction] = []
    for candidate in candidates:
        txn = candidate.transaction
        if txn.pk in existing:
            continue
        new.append(
            TicketTransaction(
                ticket=ticket,
                transaction=txn,
                is_primary=not has_primary,
                linked_at=at,
                match_score=candidate.score,
                match_reasons=list(candidate.reasons),
            )
        )
        has_primary = True
    TicketTransaction.objects.bulk_create(new)
    return [link.transaction.reference for link in new]
