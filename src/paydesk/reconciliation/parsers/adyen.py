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

from paydesk.reconciliation.amounts import to_minor, to_utc
from paydesk.reconciliation.parsers.base import first_present, normalize_method, read_table, require, text
from paydesk.reconciliation.schema import RecordType, conform

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
FEE_COMPONENTS_NC = ("Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)")
FEE_COMPONENTS_SC = ("Commission (SC)", "Markup (SC)", "Scheme Fees (SC)", "Interchange (SC)")


def record_type(raw: pl.Series) -> pl.Series:
    """Adyen booking/record type -> our record type."""
    t = raw.str.to_lowercase().str.replace_all(r"[^a-z]", "")
    expr = (
        pl.when(t.str.contains("reversed") & t.str.contains("chargeback"))
        .then(pl.lit(RecordType.CHARGEBACK_REVERSAL.value))
        .when(t.str.contains("chargeback"))
        .then(pl.lit(RecordType.CHARGEBACK.value))
        .when(t.str.starts_with("refunded") & ~t.str.contains("reversed"))
        .then(pl.lit(RecordType.REFUND.value))
        .when(t.str.starts_with("settled"))
        .then(pl.lit(RecordType.PAYMENT.value))
        .when(t.str.contains("payout"))
        .then(pl.lit(RecordType.PAYOUT.value))
        .when(t.str.starts_with("invoice"))
        .then(pl.lit(RecordType.INVOICE.value))
        .when(t.is_in(["fee", "misccosts", "paymentcost", "handlingcost", "reservecost", "fees"]))
        .then(pl.lit(RecordType.FEE.value))
        .otherwise(pl.lit(RecordType.OTHER.value))
    )
    return pl.select(expr).to_series().alias("record_type")


def _sum_nullable(series: list[pl.Series]) -> pl.Series:
    """Sum treating null as 0, but null when every part is null."""
    any_present = pl.any_horizontal([s.is_not_null() for s in series])
    total = pl.sum_horizontal([s.fill_null(0) for s in series])
    return pl.select(pl.when(any_present).then(total).otherwise(None)).to_series()


def parse_settlement_details(path: str | Path, *, frame: pl.DataFrame | None = None) -> pl.DataFrame:
    raw = read_table(path) if frame is None else frame
    require(raw, path, ("Type", "Gross Currency", "Net Currency", "Creation Date"))
    rows = raw["source_row"]
    gross_cur = text(raw, "Gross Currency").str.to_uppercase()
    net_cur = text(raw, "Net Currency").str.to_uppercase()
    gross_credit = to_minor(text(raw, "Gross Credit (GC)"), gross_cur, rows, path=path, column="Gross Credit (GC)")
    gross_debit = to_minor(text(raw, "Gross Debit (GC)"), gross_cur, rows, path=path, column="Gross Debit (GC)")
    net_credit = to_minor(text(raw, "Net Credit (NC)"), net_cur, rows, path=path, column="Net Credit (NC)")
    net_debit = to_minor(text(raw, "Net Debit (NC)"), net_cur, rows, path=path, column="Net Debit (NC)")
    fees = [to_minor(text(raw, name), net_cur, rows, path=path, column=name) for name in FEE_COMPONENTS_NC]
    gross = pl.select(
        pl.when(gross_credit.is_not_null() | gross_debit.is_not_null()).then(
            gross_credit.fill_null(0) - gross_debit.fill_null(0)
        )
    ).to_series()
    net = pl.select(
        pl.when(net_credit.is_not_null() | net_debit.is_not_null()).then(
            net_credit.fill_null(0) - net_debit.fill_null(0)
        )
    ).to_series()
    # Booking date when the report has it (when the line hit the batch), else the creation date.
    has_booking = "Booking Date" in raw.columns
    created = to_utc(
        text(raw, "Creation Date"),
        fmt=DATE_FORMAT,
        zone=text(raw, "TimeZone"),
        rows=rows,
        path=path,
        column="Creation Date",
    )
    booked = created
    if has_booking:
        booking = to_utc(
            text(raw, "Booking Date"),
            fmt=DATE_FORMAT,
            zone=text(raw, "Booking Date TimeZone"),
            rows=rows,
            path=path,
            column="Booking Date",
        )
        booked = pl.select(pl.coalesce(booking, created)).to_series()
    out = pl.DataFrame(
        {
            "record_type": record_type(text(raw, "Type")),
            "psp_reference": text(raw, "Psp Reference"),
            "modification_reference": text(raw, "Modification Reference"),
            "merchant_reference": text(raw, "Merchant Reference"),
            "gross": gross,
            "gross_currency": gross_cur,
            "fee_minor": _sum_nullable(fees),
            "net_minor": net,
            "net_currency": net_cur,
            "booked_at": booked,
            "method": normalize_method(text(raw, "Payment Method")),
            "raw_status": text(raw, "Type"),
            "source_row": rows,
        }
    ).with_columns(
        # Lines without a gross amount (fees, payouts, balance transfers) are booked in the settlement currency.
        amount_minor=pl.coalesce("gross", "net_minor"),
        currency=pl.when(pl.col("gross").is_not_null()).then("gross_currency").otherwise("net_currency"),
        # Only a real modification id: Adyen repeats the PSP reference or writes free text on fee lines.
        modification_reference=pl.when(
            pl.col("record_type").is_in([RecordType.REFUND, RecordType.CHARGEBACK, RecordType.CHARGEBACK_REVERSAL])
        ).then("modification_reference"),
        psp=pl.lit("adyen"),
    )
    return conform(out)


def parse_accounting(path: str | Path, *, frame: pl.DataFrame | None = None) -> pl.DataFrame:
    raw = read_table(path) if frame is None else frame
    require(raw, path, ("Record Type", "Main Currency", "Main Amount", "Booking Date"))
    rows = raw["source_row"]
    kind = record_type(text(raw, "Record Type"))
    main_cur = text(raw, "Main Currency").str.to_uppercase()
    settle_cur = text(raw, "Settlement Currency").str.to_uppercase()
    main = to_minor(text(raw, "Main Amount"), main_cur, rows, path=path, column="Main Amount")
    payable = to_minor(text(raw, "Payable (SC)"), settle_cur, rows, path=path, column="Payable (SC)")
    fees = [to_minor(text(raw, name), settle_cur, rows, path=path, column=name) for name in FEE_COMPONENTS_SC]
    # Main Amount is unsigned; refunds and chargebacks take money back.
    outgoing = kind.is_in([RecordType.REFUND, RecordType.CHARGEBACK])
    signed = pl.select(pl.when(outgoing).then(-main.abs()).otherwise(main)).to_series()
    out = pl.DataFrame(
        {
            "record_type": kind,
            "psp_reference": text(raw, "Psp Reference"),
            "modification_reference": pl.select(
                pl.when(outgoing | (kind == RecordType.CHARGEBACK_REVERSAL)).then(
                    first_present(raw, ["Modification Psp Reference"])
                )
            ).to_series(),
            "merchant_reference": text(raw, "Merchant Reference"),
            "amount_minor": signed,
            "currency": main_cur,
            "fee_minor": _sum_nullable(fees),
            "net_minor": payable,
            "net_currency": settle_cur,
            "booked_at": to_utc(
                text(raw, "Booking Date"),
                fmt=DATE_FORMAT,
                zone=text(raw, "TimeZone"),
                rows=rows,
                path=path,
                column="Booking Date",
            ),
            "method": normalize_method(text(raw, "Payment Method")),
            "raw_status": text(raw, "Record Type"),
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("adyen"))
    return conform(out)


def parse(path: str | Path) -> pl.DataFrame:
    """Either Adyen report, told apart by its header."""
    raw = read_table(path)
    if "Record Type" in raw.columns:
        return parse_accounting(path, frame=raw)
    return parse_settlement_details(path, frame=raw)
