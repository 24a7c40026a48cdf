"""Builders of small Adyen settlement-details reports and ledger CSVs for reconciliation tests."""

from __future__ import annotations

import csv
from pathlib import Path

ADYEN_HEADER = [
    "Company Account", "Merchant Account", "Psp Reference", "Merchant Reference", "Payment Method", "Creation Date",
    "TimeZone", "Type", "Modification Reference", "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)",
    "Exchange Rate", "Net Currency", "Net Debit (NC)", "Net Credit (NC)", "Commission (NC)", "Markup (NC)",
    "Scheme Fees (NC)", "Interchange (NC)", "Payment Method Variant", "Modification Merchant Reference",
    "Batch Number",
]  # fmt: skip
LEDGER_HEADER = [
    "reference", "kind", "status", "player_id", "amount", "currency", "psp", "psp_reference", "method",
    "created_at", "updated_at",
]  # fmt: skip


def adyen_line(
    psp_ref: str,
    merchant_ref: str,
    amount: str,
    *,
    type: str = "Settled",
    currency: str = "EUR",
    commission: str = "",
    method: str = "visa",
    created: str = "2026-03-02 10:00:00",
    modification: str = "",
) -> list[str]:
    debit = type in {"Refunded", "Chargeback"}
    gross_debit, gross_credit = (amount, "") if debit else ("", amount)
    return [
        "Co", "Acct", psp_ref, merchant_ref, method, created, "CET", type, modification or f"M{psp_ref}", currency,
        gross_debit, gross_credit, "1", currency, gross_debit, gross_credit, commission, "", "", "", method, "", "7",
    ]  # fmt: skip


def write_adyen(path: Path, lines: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ADYEN_HEADER)
        writer.writerows(lines)
    return path


def ledger_row(
    reference: str,
    psp_ref: str,
    amount: str,
    *,
    kind: str = "deposit",
    status: str = "credited",
    currency: str = "EUR",
    psp: str = "adyen",
    created: str = "2026-03-02T09:00:00Z",
    method: str = "card",
) -> list[str]:
    return [reference, kind, status, "p1", amount, currency, psp, psp_ref, method, created, created]


def write_ledger(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LEDGER_HEADER)
        writer.writerows(rows)
    return path
