"""dLocal reports: the settlement report (``ROW_TYPE`` sections) and the older semicolon-separated report.

Settlement report: a ``ROW_TYPE`` row names the columns of the rows under it; ``HEADER`` rows are the batch totals
(settlement currency, transfer) and detail rows are CAPTURE/PAYMENT/REFUND/CHARGEBACK/ADJUSTMENT/SETTLEMENT_FEE.
The transaction amount is the local amount in the local currency (what the player paid, what our ledger holds).
dLocal prints the USD gross, fee and net of a payment converted at its FX rate with up to six decimals, which no
USD amount in cents can hold exactly: those rows keep ``fee_minor``/``net_minor`` null rather than round.
Lines with no local currency (adjustments, settlement fees) are booked in the settlement currency.

Older report: ``Net Amount (local)`` in ``currency`` is the amount; ``Amount (USD)`` and ``Fee`` are in USD.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paydesk.reconciliation.amounts import convert, to_minor, to_utc
from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.parsers.base import (
    frame_from_records,
    normalize_method,
    read_records,
    read_table,
    require,
    text,
    unique_header,
)
from paydesk.reconciliation.schema import RecordType, conform, empty_report

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
SETTLEMENT_TYPES: dict[str, str] = {
    "CAPTURE": RecordType.PAYMENT,
    "PAYMENT": RecordType.PAYMENT,
    "REFUND": RecordType.REFUND,
    "CHARGEBACK": RecordType.CHARGEBACK,
    "CHARGEBACK_REVERSAL": RecordType.CHARGEBACK_REVERSAL,
    "ADJUSTMENT": RecordType.FEE,
    "SETTLEMENT_FEE": RecordType.FEE,
    "FEE": RecordType.FEE,
}
REPORT_TYPES: dict[str, str] = {
    "payment": RecordType.PAYMENT,
    "refund": RecordType.REFUND,
    "chargeback": RecordType.CHARGEBACK,
    "chargebacks": RecordType.CHARGEBACK,
    "chargeback reversal": RecordType.CHARGEBACK_REVERSAL,
    "refund processing fee": RecordType.FEE,
    "chargeback processing fee": RecordType.FEE,
    "credit note": RecordType.OTHER,
    "debit note": RecordType.FEE,
}
# Statuses of the older report under which nothing has settled yet.
UNSETTLED = ("cancelled", "in process", "reimbursed", "waiting details")


def parse_settlement(path: str | Path) -> pl.DataFrame:
    header: list[str] | None = None
    settlement_currency: str | None = None
    body: list[tuple[int, list[str]]] = []
    detail_header: list[str] | None = None
    for number, record in read_records(path):
        row_type = record[0].strip()
        if row_type == "ROW_TYPE":
            header = unique_header([name for name in record if name.strip()] or record)
            continue
        if header is None:
            raise ReportError(path, "data row before any ROW_TYPE header row", row=number)
        if row_type == "HEADER":
            values = dict(zip(header, record, strict=False))
            settlement_currency = (values.get("SETTLEMENT_CURRENCY") or "").strip().upper() or settlement_currency
            continue
        detail_header = header
        body.append((number, record))
    if not body or detail_header is None:
        return empty_report()
    raw = frame_from_records(detail_header, body)
    require(raw, path, ("ROW_TYPE", "LOCAL_AMOUNT", "LOCAL_CURRENCY", "GROSS_AMOUNT", "CREATION_DATE"))
    rows = raw["source_row"]
    settle = pl.Series("c", [settlement_currency] * raw.height, dtype=pl.String)
    local_cur = text(raw, "LOCAL_CURRENCY").str.to_uppercase()
    local = to_minor(text(raw, "LOCAL_AMOUNT"), local_cur, rows, path=path, column="LOCAL_AMOUNT")
    has_local = local_cur.is_not_null()
    # Settlement-currency figures are exact or null: dLocal prints FX-converted USD with up to six decimals.
    settled = convert(
        pl.DataFrame(
            {
                "GROSS_AMOUNT": text(raw, "GROSS_AMOUNT"),
                "FEE_AMOUNT": text(raw, "FEE_AMOUNT"),
                "NET_AMOUNT": text(raw, "NET_AMOUNT"),
                "settlement_currency": settle,
                "source_row": rows,
            }
        ),
        {
            "gross": ("GROSS_AMOUNT", "settlement_currency"),
            "fee": ("FEE_AMOUNT", "settlement_currency"),
            "net": ("NET_AMOUNT", "settlement_currency"),
        },
        path=path,
        inexact_as_null=True,
    )
    gross_settle, fee_settle, net_settle = settled["gross"], settled["fee"], settled["net"]
    kind = text(raw, "ROW_TYPE").str.to_uppercase()
    out = pl.DataFrame(
        {
            "record_type": kind.replace_strict(
                SETTLEMENT_TYPES, default=RecordType.OTHER.value, return_dtype=pl.String
            ),
            "psp_reference": text(raw, "DLOCAL_TRANSACTION_ID"),
            "merchant_reference": text(raw, "TRANSACTION_ID"),
            "amount_minor": pl.select(pl.when(has_local).then(local).otherwise(gross_settle)).to_series(),
            "currency": pl.select(pl.when(has_local).then(local_cur).otherwise(settle)).to_series(),
            # dLocal prints fees as negative amounts; a fee we paid is a positive cost.
            "fee_minor": -fee_settle,
            "net_minor": net_settle,
            "net_currency": settle,
            "booked_at": to_utc(
                text(raw, "CREATION_DATE"), fmt=DATE_FORMAT, zone="UTC", rows=rows, path=path, column="CREATION_DATE"
            ),
            "method": normalize_method(text(raw, "PAYMENT_TYPE")),
            "raw_status": pl.select(pl.coalesce(text(raw, "STATUS"), kind)).to_series(),
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("dlocal"))
    return conform(out)


def parse_report(path: str | Path) -> pl.DataFrame:
    raw = read_table(path, separator=";")
    require(raw, path, ("Type", "Creation date", "Reference", "Net Amount (local)", "currency", "Status"))
    rows = raw["source_row"]
    currency = text(raw, "currency").str.to_uppercase()
    usd = pl.Series("c", ["USD"] * raw.height, dtype=pl.String)
    kind = (
        text(raw, "Type")
        .str.to_lowercase()
        .replace_strict(REPORT_TYPES, default=RecordType.OTHER.value, return_dtype=pl.String)
    )
    status = text(raw, "Status").str.to_lowercase()
    kind = pl.select(pl.when(status.is_in(UNSETTLED)).then(pl.lit(RecordType.OTHER.value)).otherwise(kind)).to_series()
    reversal = kind.is_in([RecordType.REFUND, RecordType.CHARGEBACK, RecordType.CHARGEBACK_REVERSAL])
    amount = to_minor(text(raw, "Net Amount (local)"), currency, rows, path=path, column="Net Amount (local)")
    usd_amount = to_minor(text(raw, "Amount (USD)"), usd, rows, path=path, column="Amount (USD)")
    fee = to_minor(text(raw, "Fee"), usd, rows, path=path, column="Fee")
    out = pl.DataFrame(
        {
            "record_type": kind,
            "psp_reference": pl.select(
                pl.when(reversal).then(text(raw, "Transaction Reference")).otherwise(text(raw, "Reference"))
            ).to_series(),
            "modification_reference": pl.select(pl.when(reversal).then(text(raw, "Reference"))).to_series(),
            "merchant_reference": pl.select(
                pl.when(reversal).then(text(raw, "Transaction Invoice")).otherwise(text(raw, "Invoice"))
            ).to_series(),
            "amount_minor": pl.select(pl.when(reversal).then(-amount.abs()).otherwise(amount)).to_series(),
            "currency": currency,
            "fee_minor": fee,
            "net_minor": pl.select(pl.when(usd_amount.is_not_null()).then(usd_amount - fee.fill_null(0))).to_series(),
            "net_currency": pl.select(pl.when(usd_amount.is_not_null()).then(usd)).to_series(),
            "booked_at": to_utc(
                text(raw, "Creation date"), fmt=DATE_FORMAT, zone="UTC", rows=rows, path=path, column="Creation date"
            ),
            "method": normalize_method(text(raw, "Payment Method Type")),
            "raw_status": text(raw, "Status"),
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("dlocal"))
    return conform(out)


def parse(path: str | Path) -> pl.DataFrame:
    for _, record in read_records(path):
        if record[0].strip() == "ROW_TYPE":
            return parse_settlement(path)
        break
    return parse_report(path)
