"""Read API for the ledger: one transaction with its timeline, and search by player or PSP reference."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from paydesk.api.auth import require
from paydesk.core.money import format_minor
from paydesk.core.roles import Capability
from paydesk.payments import selectors
from paydesk.payments.models import Transaction, TransactionEvent

router = Router(tags=["transactions"])


class EventOut(Schema):
    id: int
    occurred_at: datetime
    recorded_at: datetime
    source: str
    from_status: str
    to_status: str
    psp_status: str
    applied: bool
    note: str
    payload: dict[str, Any]


class TransactionOut(Schema):
    reference: str
    kind: str
    status: str
    psp_status: str
    dispute_stage: str
    amount_minor: int
    amount: str
    currency: str
    player: str
    method: str | None
    psp: str | None
    psp_reference: str | None
    parent: str | None
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]


class TransactionDetailOut(TransactionOut):
    timeline: list[EventOut]


def _out(txn: Transaction) -> dict[str, Any]:
    return {
        "reference": txn.reference,
        "kind": txn.kind,
        "status": txn.status,
        "psp_status": txn.psp_status,
        "dispute_stage": txn.dispute_stage,
        "amount_minor": txn.amount_minor,
        "amount": format_minor(txn.amount_minor, txn.currency),
        "currency": txn.currency,
        "player": txn.player.external_id,
        "method": str(txn.method) if txn.method else None,
        "psp": txn.psp.code if txn.psp else None,
        "psp_reference": txn.psp_reference,
        "parent": txn.parent.reference if txn.parent else None,
        "created_at": txn.created_at,
        "updated_at": txn.updated_at,
        "metadata": txn.metadata,
    }


def _event(event: TransactionEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "source": event.source,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "psp_status": event.psp_status,
        "applied": event.applied,
        "note": event.note,
        "payload": event.payload,
    }


@router.get("", response=list[TransactionOut], summary="Search transactions by player or PSP reference")
def search(
    request: HttpRequest,
    player: str | None = None,
    psp_reference: str | None = None,
    psp: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    require(request, Capability.READ_LEDGER)
    found = selectors.transaction_search(
        player=player, psp_reference=psp_reference, psp=psp, kind=kind, status=status, limit=limit
    )
    return [_out(txn) for txn in found]


@router.get("/{reference}", response=TransactionDetailOut, summary="One transaction with its full timeline")
def detail(request: HttpRequest, reference: str) -> dict[str, Any]:
    require(request, Capability.READ_LEDGER)
    txn = selectors.transaction_get(reference=reference)
    return {**_out(txn), "timeline": [_event(e) for e in txn.events.all()]}
