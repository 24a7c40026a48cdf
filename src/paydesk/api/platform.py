"""Platform ingest API: ``POST /api/v1/platform/transactions`` — bulk upsert of ledger rows by reference.

Token auth with the ingest role (platform or admin). Each row is checked on its own: the answer lists the errors by
row number (1 = the first row of the request) and the valid rows are applied.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from paydesk.api.auth import require
from paydesk.core.errors import ValidationError
from paydesk.core.roles import Capability
from paydesk.payments.ingest import COLUMNS, MAX_ROWS_PER_REQUEST, transactions_ingest

router = Router(tags=["platform"])


class IngestIn(Schema):
    rows: list[dict[str, Any]] = Field(
        description=(
            "Ledger rows with the columns of the ledger CSV: "
            + ", ".join(COLUMNS)
            + ". amount is a decimal string in major units (never a float); times are ISO 8601 (UTC when no offset)."
            f" At most {MAX_ROWS_PER_REQUEST} rows per request."
        ),
        examples=[
            [
                {
                    "reference": "D-10001",
                    "kind": "deposit",
                    "status": "credited",
                    "player_id": "P-1001",
                    "amount": "150.00",
                    "currency": "EUR",
                    "psp": "stripe",
                    "psp_reference": "pi_3Q0abc",
                    "method": "card",
                    "created_at": "2026-05-01T12:00:00Z",
                    "updated_at": "2026-05-01T12:01:10Z",
                }
            ]
        ],
    )


class RowErrorOut(Schema):
    row: int
    reference: str
    field: str
    message: str


class IngestOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    players_created: int
    rejected: int
    errors: list[RowErrorOut]


@router.post("/transactions", response=IngestOut, summary="Bulk upsert ledger rows from the casino platform")
def ingest(request: HttpRequest, payload: IngestIn) -> dict[str, Any]:
    user = require(request, Capability.INGEST_PLATFORM)
    if len(payload.rows) > MAX_ROWS_PER_REQUEST:
        raise ValidationError(f"{len(payload.rows)} rows in one request; at most {MAX_ROWS_PER_REQUEST}")
    if not payload.rows:
        raise ValidationError("no rows to ingest")
    return transactions_ingest(rows=payload.rows, acting_user=user).as_dict()
