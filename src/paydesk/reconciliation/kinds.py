"""Reconciliation's vocabularies: record types and discrepancy types.

Kept apart from ``schema`` (which builds Polars frames) so the models and everything Django loads at start-up use
them without importing Polars (~0.13 s and ~40 MB per process that never reconciles).
"""

from __future__ import annotations

from enum import StrEnum


class RecordType(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    CHARGEBACK_REVERSAL = "chargeback_reversal"
    FEE = "fee"
    PAYOUT = "payout"
    INVOICE = "invoice"
    OTHER = "other"


# Lines that move a player's money and are matched one by one against the ledger.
MATCHED_TYPES: tuple[str, ...] = (
    RecordType.PAYMENT,
    RecordType.REFUND,
    RecordType.CHARGEBACK,
    RecordType.CHARGEBACK_REVERSAL,
)
# Lines between the PSP and the merchant: summarized per currency, never matched.
SUMMARIZED_TYPES: tuple[str, ...] = (RecordType.FEE, RecordType.PAYOUT, RecordType.INVOICE, RecordType.OTHER)


class DiscrepancyType(StrEnum):
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_IN_REPORT = "missing_in_report"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    DUPLICATE_IN_REPORT = "duplicate_in_report"
    FEE_ANOMALY = "fee_anomaly"
