"""Ports: the Protocols integrations implement and the frozen dataclasses they take and return.

Adapters never see ORM objects and never write to the database; the payments domain turns what they return into
ledger moves. That keeps every PSP's quirks (field names, status vocabularies, signature schemes) inside its own
folder under ``integrations/psp/`` and lets tests swap a fake in at this boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class SignatureError(Exception):
    """The request is not provably from the PSP (missing/garbled header, wrong signature, stale timestamp)."""


class MalformedEvent(Exception):
    """The body was authentic (or could not be checked) but is not an event we can read."""


@dataclass(frozen=True, slots=True)
class RawPspEvent:
    """One event cut out of a verified webhook body, keyed for storage before any processing.

    ``key`` is the PSP's own identity of the event (Stripe event id; Adyen pspReference, eventCode, success and
    originalReference; generic event id); ``body`` is the exact text to keep and to map later.
    """

    key: str
    event_type: str
    body: str


@dataclass(frozen=True, slots=True)
class PspUpdate:
    """What one PSP event says about one of our transactions, in ledger terms.

    ``kind`` is the kind of the transaction the update is about. For refunds and chargebacks that transaction is a
    child of a deposit: ``parent_reference``/``parent_psp_reference`` find the deposit when the child is not known
    yet, and the child is then created under it. ``status`` is a status of ``kind``'s state machine (None: the event
    carries no status change, only information). ``stage`` is a chargeback stage.
    """

    kind: str
    status: str | None
    psp_status: str
    occurred_at: datetime | None
    reference: str | None = None
    psp_reference: str | None = None
    parent_reference: str | None = None
    parent_psp_reference: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    stage: str | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PspStatusQuery:
    """Ask a PSP where one payment stands (the sweeper's question about a stuck transaction)."""

    psp_code: str
    adapter: str
    kind: str
    reference: str
    psp_reference: str | None
    current_status: str


@dataclass(frozen=True, slots=True)
class PspStatusReply:
    """The PSP's answer: its raw status and the status of our machine it means (None: no news)."""

    psp_status: str
    status: str | None
    occurred_at: datetime | None = None
    reason: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class PspStatusClient(Protocol):
    def fetch_status(self, query: PspStatusQuery) -> PspStatusReply | None:
        """Current status of the payment, or None when the PSP does not know it (or cannot be reached)."""
        ...
