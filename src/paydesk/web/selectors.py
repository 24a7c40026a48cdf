"""Reads for the console landing page: counts of the ledger by kind and status (two grouped queries)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from paydesk.payments.models import Player, Transaction


def ledger_overview() -> dict[str, Any]:
    by_status = Transaction.objects.values("kind", "status").annotate(n=Count("id")).order_by("kind", "-n", "status")
    rows: dict[str, list[tuple[str, int]]] = {}
    for row in by_status:
        rows.setdefault(row["kind"], []).append((row["status"], row["n"]))
    return {"players": Player.objects.count(), "by_kind": rows}
