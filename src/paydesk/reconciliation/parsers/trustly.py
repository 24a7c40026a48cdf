"""Trustly settlement files: headerless, record-prefixed (H header, I settlement item, T transaction, F funder
payout, L trailer); the column order of each record type is fixed by Trustly's reporting reference.

``I`` items are settled money: a Sale/Capture is a payment, a Refund a refund, and an ACH Return (R-codes such as
R08) a chargeback; their ``fee`` is charged as a negative number. ``T`` rows (the P11KREC recurring file) list
transactions without settling them and are kept as ``other``; ``F`` rows are payouts to the merchant.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paydesk.reconciliation.amounts import to_minor, to_utc
from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.parsers.base import frame_from_records, read_records, text
from paydesk.reconciliation.schema import RecordType, conform, empty_report

ITEM_COLUMNS = [
    "record_type", "transaction_id", "created_at", "original_transaction_id", "merchant_id", "payment_type",
    "payment_provider_type", "payment_provider_id", "account_number", "merchant_reference", "transaction_type",
    "transaction_status", "updated_at", "processed_at", "currency", "amount", "trace_id", "reason", "batch_id",
    "settlement_batch_transaction_type", "original_merchant_reference", "payment_provider_transaction_id", "fee",
]  # fmt: skip
TRANSACTION_COLUMNS = [
    "record_type", "transaction_id", "created_at", "original_transaction_id", "merchant_id", "payment_type",
    "payment_provider_type", "payment_provider_id", "account_number", "merchant_reference", "transaction_type",
    "transaction_status", "processed_at", "currency", "amount", "recurring_start_date", "recurring_end_date",
    "recurring_frequency", "recurring_frequency_unit_type", "recurring_currency", "recurring_amount",
    "recurring_is_automatic", "payment_provider_transaction_id",
]  # fmt: skip
FUNDER_COLUMNS = ["record_type", "funder_name", "unused", "trace_id", "currency", "amount", "days", "created_at"]
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"


def parse(path: str | Path) -> pl.DataFrame:
    groups: dict[str, list[tuple[int, list[str]]]] = {"I": [], "T": [], "F": []}
    for number, record in read_records(path):
        prefix = record[0].strip()
        if prefix in groups:
            groups[prefix].append((number, record))
        elif prefix not in {"H", "L"}:
            raise ReportError(path, f"unknown record type {prefix!r}", row=number, column="record type")
    frames = []
    if groups["I"]:
        frames.append(_items(path, frame_from_records(ITEM_COLUMNS, groups["I"]), settled=True))
    if groups["T"]:
        frames.append(_items(path, frame_from_records(TRANSACTION_COLUMNS, groups["T"]), settled=False))
    if groups["F"]:
        frames.append(_funders(path, frame_from_records(FUNDER_COLUMNS, groups["F"])))
    return pl.concat(frames).sort("source_row") if frames else empty_report()


def _items(path: str | Path, raw: pl.DataFrame, *, settled: bool) -> pl.DataFrame:
    rows = raw["source_row"]
    currency = text(raw, "currency").str.to_uppercase()
    amount = to_minor(text(raw, "amount"), currency, rows, path=path, column="amount")
    fee = to_minor(text(raw, "fee"), currency, rows, path=path, column="fee")
    batch_type = text(raw, "settlement_batch_transaction_type").fill_null("").str.to_lowercase()
    txn_type = text(raw, "transaction_type").fill_null("").str.to_lowercase()
    kind = (
        pl.when(pl.lit(not settled))
        .then(pl.lit(RecordType.OTHER.value))
        .when((batch_type == "refund") | ((batch_type == "") & (txn_type == "refund")))
        .then(pl.lit(RecordType.REFUND.value))
        .when(batch_type == "return")
        .then(pl.lit(RecordType.CHARGEBACK.value))
        .when((batch_type == "sale") | ((batch_type == "") & (txn_type == "capture")))
        .then(pl.lit(RecordType.PAYMENT.value))
        .otherwise(pl.lit(RecordType.OTHER.value))
    )
    record_type = pl.select(kind).to_series()
    reversal = record_type.is_in([RecordType.REFUND, RecordType.CHARGEBACK])
    own_id = text(raw, "transaction_id")
    out = pl.DataFrame(
        {
            "record_type": record_type,
            # A refund or return points at the payment it reverses; its own id is the modification reference.
            "psp_reference": pl.select(
                pl.when(reversal).then(pl.coalesce(text(raw, "original_transaction_id"), own_id)).otherwise(own_id)
            ).to_series(),
            "modification_reference": pl.select(pl.when(reversal).then(own_id)).to_series(),
            "merchant_reference": text(raw, "merchant_reference"),
            "amount_minor": amount,
            "currency": currency,
            "fee_minor": -fee if settled else fee,
            "net_minor": amount + fee.fill_null(0),
            "net_currency": currency,
            "booked_at": to_utc(
                text(raw, "created_at"), fmt=DATE_FORMAT, zone="UTC", rows=rows, path=path, column="created_at"
            ),
            "method": pl.Series(["bank_transfer"] * raw.height, dtype=pl.String),
            "raw_status": pl.select(
                pl.concat_str([text(raw, "transaction_type"), text(raw, "transaction_status")], separator="/")
            ).to_series(),
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("trustly"))
    return conform(out)


def _funders(path: str | Path, raw: pl.DataFrame) -> pl.DataFrame:
    rows = raw["source_row"]
    currency = text(raw, "currency").str.to_uppercase()
    amount = to_minor(text(raw, "amount"), currency, rows, path=path, column="amount")
    out = pl.DataFrame(
        {
            "record_type": pl.Series([RecordType.PAYOUT.value] * raw.height, dtype=pl.String),
            "psp_reference": text(raw, "trace_id"),
            "amount_minor": amount,
            "currency": currency,
            "net_minor": amount,
            "net_currency": currency,
            "booked_at": to_utc(
                text(raw, "created_at"), fmt=DATE_FORMAT, zone="UTC", rows=rows, path=path, column="created_at"
            ),
            "raw_status": pl.Series(["F"] * raw.height, dtype=pl.String),
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("trustly"))
    return conform(out)
