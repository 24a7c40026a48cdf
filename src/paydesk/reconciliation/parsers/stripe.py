"""Stripe reports: itemized balance change / payout reconciliation ("settlement") and payments activity.

All three share Stripe's column names (``reporting_category``, ``gross``, ``fee``, ``net``, ``currency``,
``created`` in UTC), so one parser reads any of them, with whatever optional columns the user selected. The PSP
reference is the payment intent (what Stripe webhooks carry), else the charge, else the balance source; for a
refund or dispute the source (``re_…``, ``du_…``) is kept as the modification reference.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paydesk.reconciliation.amounts import to_minor, to_utc
from paydesk.reconciliation.parsers.base import first_present, normalize_method, read_table, require, text
from paydesk.reconciliation.schema import RecordType, conform

CATEGORIES: dict[str, str] = {
    "charge": RecordType.PAYMENT,
    "payment": RecordType.PAYMENT,
    "refund": RecordType.REFUND,
    "refund_failure": RecordType.REFUND,
    "payment_reversal": RecordType.REFUND,
    "dispute": RecordType.CHARGEBACK,
    "dispute_reversal": RecordType.CHARGEBACK_REVERSAL,
    "fee": RecordType.FEE,
    "network_cost": RecordType.FEE,
    "tax": RecordType.FEE,
    "stripe_fee": RecordType.FEE,
    "payout": RecordType.PAYOUT,
    "payout_reversal": RecordType.PAYOUT,
}
MERCHANT_REFERENCE_COLUMNS = (
    "payment_metadata[reference]",
    "payment_metadata[order_id]",
    "payment_metadata[external_identifier]",
    "payment_metadata[orchestrator_tx_ref]",
    "payment_metadata[gr4vy_tx_ref]",
)


def parse(path: str | Path) -> pl.DataFrame:
    raw = read_table(path)
    require(raw, path, ("reporting_category", "gross", "currency", "created"))
    rows = raw["source_row"]
    currency = text(raw, "currency").str.to_uppercase()
    category = text(raw, "reporting_category").str.to_lowercase()
    kind = category.replace_strict(CATEGORIES, default=RecordType.OTHER.value, return_dtype=pl.String)
    psp_reference = first_present(raw, ["payment_intent_id", "charge_id", "source_id"])
    source = text(raw, "source_id")
    reversal = kind.is_in([RecordType.REFUND, RecordType.CHARGEBACK, RecordType.CHARGEBACK_REVERSAL])
    out = pl.DataFrame(
        {
            "record_type": kind,
            "psp_reference": psp_reference,
            "modification_reference": pl.select(pl.when(reversal & (source != psp_reference)).then(source)).to_series(),
            "merchant_reference": first_present(raw, MERCHANT_REFERENCE_COLUMNS),
            "amount_minor": to_minor(text(raw, "gross"), currency, rows, path=path, column="gross"),
            "currency": currency,
            "fee_minor": to_minor(text(raw, "fee"), currency, rows, path=path, column="fee"),
            "net_minor": to_minor(text(raw, "net"), currency, rows, path=path, column="net"),
            "net_currency": currency,
            "booked_at": to_utc(
                text(raw, "created"), fmt="%Y-%m-%d %H:%M:%S", zone="UTC", rows=rows, path=path, column="created"
            ),
            "method": normalize_method(first_present(raw, ["payment_method_type"])),
            "raw_status": category,
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("stripe"))
    return conform(out)
