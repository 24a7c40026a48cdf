"""Checkout.com reports: settlement breakdown (one row per payment action in a payout) and payouts.

Gross is in the processing currency when there is one, else in the holding currency; deductions (fees) and net are
in the holding currency. Lines with no gross amount (a zero-amount charge, voids, network-token and account-updater
charges) are fee lines: they only cost money.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paydesk.reconciliation.amounts import to_minor, to_utc
from paydesk.reconciliation.parsers.base import normalize_method, read_table, require, text
from paydesk.reconciliation.schema import RecordType, conform

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"
TYPES: dict[str, str] = {
    "charge": RecordType.PAYMENT,
    "capture": RecordType.PAYMENT,
    "refund": RecordType.REFUND,
    "chargeback": RecordType.CHARGEBACK,
    "chargeback reversal": RecordType.CHARGEBACK_REVERSAL,
    "merchant payout": RecordType.PAYOUT,
    "payout": RecordType.PAYOUT,
}


def parse_breakdown(path: str | Path, *, frame: pl.DataFrame) -> pl.DataFrame:
    raw = frame
    require(raw, path, ("Type", "Holding Currency", "Gross In Holding Currency", "Processed On"))
    rows = raw["source_row"]
    holding = text(raw, "Holding Currency").str.to_uppercase()
    processing = text(raw, "Processing Currency").str.to_uppercase()
    gross_processing = to_minor(
        text(raw, "Gross In Processing Currency"), processing, rows, path=path, column="Gross In Processing Currency"
    )
    gross_holding = to_minor(
        text(raw, "Gross In Holding Currency"), holding, rows, path=path, column="Gross In Holding Currency"
    )
    deduction = to_minor(
        text(raw, "Deduction In Holding Currency"), holding, rows, path=path, column="Deduction In Holding Currency"
    )
    raw_type = text(raw, "Type")
    use_processing = processing.is_not_null() & gross_processing.is_not_null()
    gross = pl.select(pl.when(use_processing).then(gross_processing).otherwise(gross_holding)).to_series()
    mapped = raw_type.str.to_lowercase().replace_strict(TYPES, default=RecordType.FEE.value, return_dtype=pl.String)
    kind = pl.select(
        pl.when((mapped == RecordType.PAYMENT) & (gross.fill_null(0) == 0))
        .then(pl.lit(RecordType.FEE.value))
        .otherwise(mapped)
    ).to_series()
    out = pl.DataFrame(
        {
            "record_type": kind,
            "psp_reference": text(raw, "Payment ID"),
            "merchant_reference": text(raw, "Reference"),
            "amount_minor": gross,
            "currency": pl.select(pl.when(use_processing).then(processing).otherwise(holding)).to_series(),
            "fee_minor": -deduction,
            "net_minor": to_minor(
                text(raw, "Net In Holding Currency"), holding, rows, path=path, column="Net In Holding Currency"
            ),
            "net_currency": holding,
            "booked_at": to_utc(
                text(raw, "Processed On"), fmt=DATE_FORMAT, zone="UTC", rows=rows, path=path, column="Processed On"
            ),
            "method": normalize_method(text(raw, "Payment Method")),
            "raw_status": raw_type,
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("checkout"))
    return conform(out)


def parse_payouts(path: str | Path, *, frame: pl.DataFrame) -> pl.DataFrame:
    raw = frame
    require(raw, path, ("Payout ID", "Holding Currency", "Payout Amount", "Payout Date"))
    rows = raw["source_row"]
    holding = text(raw, "Holding Currency").str.to_uppercase()
    payout_fee = to_minor(text(raw, "Merchant Payout Fees"), holding, rows, path=path, column="Merchant Payout Fees")
    out = pl.DataFrame(
        {
            "record_type": pl.repeat(RecordType.PAYOUT.value, raw.height, eager=True),
            "psp_reference": text(raw, "Payout ID"),
            "amount_minor": to_minor(text(raw, "Payout Amount"), holding, rows, path=path, column="Payout Amount"),
            "currency": holding,
            "fee_minor": -payout_fee,
            "net_currency": holding,
            "booked_at": to_utc(
                text(raw, "Payout Date"), fmt=DATE_FORMAT, zone="UTC", rows=rows, path=path, column="Payout Date"
            ),
            "raw_status": pl.repeat("Payout", raw.height, eager=True),
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("checkout"))
    return conform(out)


def parse(path: str | Path) -> pl.DataFrame:
    raw = read_table(path)
    if "Payout Amount" in raw.columns:
        return parse_payouts(path, frame=raw)
    return parse_breakdown(path, frame=raw)
