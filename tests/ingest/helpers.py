"""Test helpers for platform ingest: one ledger row as the platform sends it."""

from __future__ import annotations

from typing import Any


def row(reference: str, **fields: Any) -> dict[str, Any]:
    """A valid credited card deposit of 150.00 EUR for player P-1 through Stripe; ``fields`` override any column."""
    base = {
        "reference": reference,
        "kind": "deposit",
        "status": "credited",
        "player_id": "P-1",
        "amount": "150.00",
        "currency": "EUR",
        "psp": "stripe",
        "psp_reference": f"pi_{reference}",
        "method": "card",
        "created_at": "2026-05-01T12:00:00Z",
        "updated_at": "2026-05-01T12:01:00Z",
    }
    return {**base, **fields}
