"""Adyen reports: "Settlement details" (one row per booking in a batch) and "Payments accounting" (one row per
status change of a payment).

Columns are found by header name: Adyen reorders them between report versions and account settings. Gross is in
the transaction currency (credit minus debit); net and the fee components (commission, markup, scheme fees,
interchange) are in the settlement currency. Fee, payout, invoice and balance lines carry no gross amount: their
amount is the net booking in the settlement currency. In the accounting report only ``Settled``, refund and
chargeback rows move money; the lifecycle rows (Received, Authorised, SentForSettle…) are kept as ``other``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paydesk.reconciliation.amounts import convert, to_utc
from paydesk.reconciliation.parsers.base import (
    map_distinct,
    normalize_method,
    read_columns,
    read_header,
    require_header,
)
from paydesk.reconciliation.schema import RecordType, conform

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
FEE_COMPONENTS_NC = ("Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)")
FEE_COMPONENTS_SC = ("Commission (SC)", "Markup (SC)", "Scheme Fees (SC)", "Interchange (SC)")


def _record_type_of(raw: str | None) -> str:
    t = "".join(ch for ch in (raw or "").lower() if ch.isalpha())
    if "chargeback" in t:
        return RecordType.CHARGEBACK_REVERSAL if "reversed" in t else RecordType.CHARGEBACK
    if t.startswith("refunded") and "reversed" not in t:
        return RecordType.REFUND
    if t.startswith("settled"):
        return RecordType.PAYMENT
    if "payout" in t:
        return RecordType.PAYOUT
    if t.startswith("invoice"):
        return RecordType.INVOICE
    if t in {"fee", "fees", "misccosts", "paymentcost", "handlingcost", "reservecost"}:
        return RecordType.FEE
    return RecordType.OTHER


def record_type(raw: pl.Series) -> pl.Series:
    """Adyen booking/record type -> our record type (decided once per distinct value)."""
    return map_distinct(raw, _record_type_of).alias("record_type")


def _sum_nullable(frame: pl.DataFrame, names: tuple[str, ...]) -> pl.Expr:
    """Sum treating null as 0, but null when every part is null. (A part null throughout changes neither, and is
    left out: most reports fill one or two of the fee columns.)"""
    parts = [n for n in names if frame[n].null_count() < frame.height]
    if len(parts) <= 1:
        return pl.col(parts[0]) if parts else pl.lit(None, pl.Int64)
    return pl.when(pl.any_horizontal([pl.col(n).is_not_null() for n in parts])).then(
        pl.sum_horizontal([pl.col(n).fill_null(0) for n in parts])
    )


def _signed(frame: pl.DataFrame, credit: str, debit: str) -> pl.Expr:
    """Credit minus debit, null when both are; just the one column when the other is null throughout."""
    if frame[debit].null_count() == frame.height:
        return pl.col(credit)
    if frame[credit].null_count() == frame.height:
        return -pl.col(debit)
    return pl.when(pl.col(credit).is_not_null() | pl.col(debit).is_not_null()).then(
        pl.col(credit).fill_null(0) - pl.col(debit).fill_null(0)
    )


SETTLEMENT_COLUMNS = (
    "Psp Reference", "Merchant Reference", "Payment Method", "Creation Date", "TimeZone", "Type",
    "Modification Reference", "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Net Currency",
    "Net Debit (NC)", "Net Credit (NC)", *FEE_COMPONENTS_NC, "Booking Date", "Booking Date TimeZone",
)  # fmt: skip


SETTLEMENT_AMOUNTS = (
    "Gross Debit (GC)", "Gross Credit (GC)", "Net Debit (NC)", "Net Credit (NC)", *FEE_COMPONENTS_NC,
)  # fmt: skip


def parse_settlement_details(path: str | Path, *, header: list[str]) -> pl.DataFrame:
    require_header(header, path, ("Type", "Gross Currency", "Net Currency", "Creation Date"))
    raw = read_columns(
        path,
        SETTLEMENT_COLUMNS,
        vocabularies=("Payment Method", "TimeZone", "Type", "Booking Date TimeZone"),
        upper=("Gross Currency", "Net Currency"),
        unstripped=SETTLEMENT_AMOUNTS,
    )
    fee_outputs = tuple(f"fee_{i}" for i in range(len(FEE_COMPONENTS_NC)))
    raw = convert(
        raw,
        {
            "gc": ("Gross Credit (GC)", "Gross Currency"),
            "gd": ("Gross Debit (GC)", "Gross Currency"),
            "nc": ("Net Credit (NC)", "Net Currency"),
            "nd": ("Net Debit (NC)", "Net Currency"),
            **{out: (name, "Net Currency") for out, name in zip(fee_outputs, FEE_COMPONENTS_NC, strict=True)},
        },
        path=path,
    )
    rows = raw["source_row"]
    created = to_utc(
        raw["Creation Date"], fmt=DATE_FORMAT, zone=raw["TimeZone"], rows=rows, path=path, column="Creation Date"
    )
    booked = created
    # Booking date when the report has it (when the line hit the batch), else the creation date.
    if "Booking Date" in header:
        booking = to_utc(
            raw["Booking Date"], fmt=DATE_FORMAT, zone=raw["Booking Date TimeZone"], rows=rows, path=path,
            column="Booking Date",
        )  # fmt: skip
        booked = pl.select(pl.coalesce(booking, created)).to_series()
    kind = record_type(raw["Type"])
    raw = raw.with_columns(gross=_signed(raw, "gc", "gd"), net=_signed(raw, "nc", "nd"))
    out = raw.select(
        pl.lit("adyen").alias("psp"),
        pl.lit(kind).alias("record_type"),
        pl.col("Psp Reference").alias("psp_reference"),
        # Only a real modification id: Adyen repeats the PSP reference or writes free text on fee lines.
        pl.when(pl.lit(kind).is_in([RecordType.REFUND, RecordType.CHARGEBACK, RecordType.CHARGEBACK_REVERSAL]))
        .then(pl.col("Modification Reference"))
        .alias("modification_reference"),
        pl.col("Merchant Reference").alias("merchant_reference"),
        # Lines without a gross amount (fees, payouts, balance transfers) are booked in the settlement currency.
        pl.coalesce("gross", "net").alias("amount_minor"),
        pl.when(pl.col("gross").is_not_null())
        .then(pl.col("Gross Currency"))
        .otherwise(pl.col("Net Currency"))
        .alias("currency"),
        _sum_nullable(raw, fee_outputs).alias("fee_minor"),
        pl.col("net").alias("net_minor"),
        pl.col("Net Currency").alias("net_currency"),
        pl.lit(booked).alias("booked_at"),
        pl.lit(normalize_method(raw["Payment Method"])).alias("method"),
        pl.col("Type").alias("raw_status"),
        "source_row",
    )
    return conform(out)


ACCOUNTING_COLUMNS = (
    "Psp Reference", "Merchant Reference", "Payment Method", "Booking Date", "TimeZone", "Record Type",
    "Modification Psp Reference", "Main Currency", "Main Amount", "Settlement Currency", "Payable (SC)",
    *FEE_COMPONENTS_SC,
)  # fmt: skip


ACCOUNTING_AMOUNTS = ("Main Amount", "Payable (SC)", *FEE_COMPONENTS_SC)


def parse_accounting(path: str | Path, *, header: list[str]) -> pl.DataFrame:
    require_header(header, path, ("Record Type", "Main Currency", "Main Amount", "Booking Date"))
    raw = read_columns(
        path,
        ACCOUNTING_COLUMNS,
        vocabularies=("Payment Method", "TimeZone", "Record Type"),
        upper=("Main Currency", "Settlement Currency"),
        unstripped=ACCOUNTING_AMOUNTS,
    )
    fee_outputs = tuple(f"fee_{i}" for i in range(len(FEE_COMPONENTS_SC)))
    raw = convert(
        raw,
        {
            "main": ("Main Amount", "Main Currency"),
            "payable": ("Payable (SC)", "Settlement Currency"),
            **{out: (name, "Settlement Currency") for out, name in zip(fee_outputs, FEE_COMPONENTS_SC, strict=True)},
        },
        path=path,
    )
    rows = raw["source_row"]
    kind = record_type(raw["Record Type"])
    # Main Amount is unsigned; refunds and chargebacks take money back.
    outgoing = pl.lit(kind).is_in([RecordType.REFUND, RecordType.CHARGEBACK])
    out = raw.select(
        pl.lit("adyen").alias("psp"),
        pl.lit(kind).alias("record_type"),
        pl.col("Psp Reference").alias("psp_reference"),
        pl.when(outgoing | (pl.lit(kind) == RecordType.CHARGEBACK_REVERSAL))
        .then(pl.col("Modification Psp Reference"))
        .alias("modification_reference"),
        pl.col("Merchant Reference").alias("merchant_reference"),
        pl.when(outgoing).then(-pl.col("main").abs()).otherwise(pl.col("main")).alias("amount_minor"),
        pl.col("Main Currency").alias("currency"),
        _sum_nullable(raw, fee_outputs).alias("fee_minor"),
        pl.col("payable").alias("net_minor"),
        pl.col("Settlement Currency").alias("net_currency"),
        pl.lit(
            to_utc(
                raw["Booking Date"], fmt=DATE_FORMAT, zone=raw["TimeZone"], rows=rows, path=path, column="Booking Date"
            )
        ).alias("booked_at"),
        pl.lit(normalize_method(raw["Payment Method"])).alias("method"),
        pl.col("Record Type").alias("raw_status"),
        "source_row",
    )
    return conform(out)


def parse(path: str | Path) -> pl.DataFrame:
    """Either Adyen report, told apart by its header."""
    header = read_header(path)
    if "Record Type" in header:
        return parse_accounting(path, header=header)
    return parse_settlement_details(path, header=header)
