"""PayPal reports: the SFTP Settlement (STL) and Transaction Detail (TRR) reports, the Subscription report (SAR),
and the Activity and monthly Statement CSV downloads (English and Spanish).

STL/TRR/SAR are record-prefixed: ``RH``/``FH``/``SH`` open the report, file and section, ``CH`` carries the column
names for the ``SB`` body rows that follow, and ``SF``/``SC``/``RF``/``RC``/``FF`` are footers and totals (skipped).
Their amounts are integers in hundredths with a separate debit/credit flag (``"CR",5200,"AUD"`` is +52.00 AUD;
PayPal writes ¥150 as 15000). The T-code (transaction event code) says what a row is. A TRR row whose
``Transactional Status`` is not ``S`` (success) moved no money and is kept as ``other``.

The Activity and Statement downloads carry signed decimal amounts with locale grouping ("1,653.75"; Spanish
"4.626,81") and local times with the zone beside them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paydesk.reconciliation.amounts import implied_decimals, to_minor, to_utc, ungroup
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

PREFIXES = frozenset({"RH", "FH", "SH", "CH", "SB", "SF", "SC", "RF", "RC", "FF"})

T_CODES: dict[str, str] = {
    "T0100": RecordType.FEE,
    "T0104": RecordType.FEE,
    "T0106": RecordType.FEE,
    "T0113": RecordType.FEE,
    "T1108": RecordType.FEE,
    "T1109": RecordType.FEE,
    "T0200": RecordType.OTHER,
    "T0201": RecordType.OTHER,
    "T0400": RecordType.PAYOUT,
    "T0401": RecordType.PAYOUT,
    "T0403": RecordType.PAYOUT,
    "T1106": RecordType.CHARGEBACK,
    "T1107": RecordType.REFUND,
    "T1201": RecordType.CHARGEBACK,
    "T1202": RecordType.CHARGEBACK_REVERSAL,
}
# Other T00xx codes are payments of one kind or another (express checkout, recurring, preapproved, mass pay...).
PAYMENT_PREFIX = "T00"


def is_record_prefixed(path: str | Path) -> bool:
    for _, record in read_records(path):
        return record[0].strip() in PREFIXES
    return False


def parse_prefixed(path: str | Path) -> pl.DataFrame:
    header: list[str] | None = None
    sections: list[tuple[list[str], list[tuple[int, list[str]]]]] = []
    for number, record in read_records(path):
        prefix = record[0].strip()
        if prefix == "CH":
            header = unique_header(record[1:])
            sections.append((header, []))
        elif prefix == "SB":
            if header is None:
                raise ReportError(path, "body row (SB) before any column header row (CH)", row=number)
            sections[-1][1].append((number, record[1:]))
        elif prefix not in PREFIXES:
            raise ReportError(path, f"unknown record prefix {prefix!r}", row=number, column="record type")
    frames = [_body(path, frame_from_records(h, body)) for h, body in sections if body]
    return pl.concat(frames) if frames else empty_report()


def _signed(values: pl.Series, flags: pl.Series) -> pl.Series:
    return pl.select(pl.when(flags.str.to_uppercase() == "DR").then(-values).otherwise(values)).to_series()


def _body(path: str | Path, raw: pl.DataFrame) -> pl.DataFrame:
    rows = raw["source_row"]
    if "Subscription ID" in raw.columns:
        # Subscription events (sign-up, cancel...): no money moves in this report.
        out = pl.DataFrame(
            {
                "record_type": pl.repeat(RecordType.OTHER.value, raw.height, eager=True),
                "psp_reference": text(raw, "Subscription ID"),
                "merchant_reference": text(raw, "Subscription Custom Field"),
                "currency": text(raw, "Subscription Currency").str.to_uppercase(),
                "booked_at": to_utc(
                    text(raw, "Subscription Creation Date"),
                    fmt="%Y/%m/%d %H:%M:%S %z",
                    zone="UTC",
                    rows=rows,
                    path=path,
                    column="Subscription Creation Date",
                ),
                "raw_status": text(raw, "Subscription Action Type"),
                "source_row": rows,
            }
        ).with_columns(psp=pl.lit("paypal"))
        return conform(out)
    require(
        raw,
        path,
        ("Transaction ID", "Transaction Event Code", "Gross Transaction Amount", "Gross Transaction Currency"),
    )
    code = text(raw, "Transaction Event Code").str.to_uppercase()
    currency = text(raw, "Gross Transaction Currency").str.to_uppercase()
    fee_currency = text(raw, "Fee Currency").str.to_uppercase()
    gross = to_minor(
        implied_decimals(text(raw, "Gross Transaction Amount"), 2),
        currency,
        rows,
        path=path,
        column="Gross Transaction Amount",
    )
    fee = to_minor(implied_decimals(text(raw, "Fee Amount"), 2), fee_currency, rows, path=path, column="Fee Amount")
    gross = _signed(gross, text(raw, "Transaction Debit or Credit").fill_null(""))
    # A debited fee is a cost (positive fee); a credited fee is a fee given back.
    fee = pl.select(
        pl.when(text(raw, "Fee Debit or Credit").fill_null("").str.to_uppercase() == "CR").then(-fee).otherwise(fee)
    ).to_series()
    status = text(raw, "Transactional Status")
    mapped = code.replace_strict(T_CODES, default=None, return_dtype=pl.String)
    kind = pl.select(
        pl.when(status.is_not_null() & (status.str.to_uppercase() != "S"))
        .then(pl.lit(RecordType.OTHER.value))
        .when(mapped.is_not_null())
        .then(mapped)
        .when(code.str.starts_with(PAYMENT_PREFIX))
        .then(pl.lit(RecordType.PAYMENT.value))
        .otherwise(pl.lit(RecordType.OTHER.value))
    ).to_series()
    reversal = kind.is_in([RecordType.REFUND, RecordType.CHARGEBACK, RecordType.CHARGEBACK_REVERSAL])
    txn_id = text(raw, "Transaction ID")
    parent = pl.select(
        pl.when(text(raw, "PayPal Reference ID Type").fill_null("TXN").str.to_uppercase() == "TXN").then(
            text(raw, "PayPal Reference ID")
        )
    ).to_series()
    same_currency = fee_currency.is_null() | (fee_currency == currency)
    out = pl.DataFrame(
        {
            "record_type": kind,
            # A refund or chargeback points at the payment it reverses; its own id is the modification reference.
            "psp_reference": pl.select(
                pl.when(reversal & parent.is_not_null()).then(parent).otherwise(txn_id)
            ).to_series(),
            "modification_reference": pl.select(pl.when(reversal).then(txn_id)).to_series(),
            "merchant_reference": text(raw, "Invoice ID"),
            "amount_minor": gross,
            "currency": currency,
            "fee_minor": fee,
            "net_minor": pl.select(pl.when(same_currency).then(gross - fee.fill_null(0))).to_series(),
            "net_currency": pl.select(pl.when(same_currency).then(currency).otherwise(fee_currency)).to_series(),
            "booked_at": to_utc(
                text(raw, "Transaction Initiation Date"),
                fmt="%Y/%m/%d %H:%M:%S %z",
                zone="UTC",
                rows=rows,
                path=path,
                column="Transaction Initiation Date",
            ),
            "method": normalize_method(pl.Series("m", ["paypal"] * raw.height, dtype=pl.String)),
            "raw_status": code,
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("paypal"))
    return conform(out)


# Activity / statement downloads: description or type text -> record type (English and Spanish words).
_DOWNLOAD_TYPES: tuple[tuple[str, str], ...] = (
    ("reversal of general account hold", RecordType.OTHER),
    ("currency conversion", RecordType.OTHER),
    ("conversión de divisa", RecordType.OTHER),
    ("hold", RecordType.OTHER),
    ("release", RecordType.OTHER),
    ("retención", RecordType.OTHER),
    ("withdrawal", RecordType.PAYOUT),
    ("retirada", RecordType.PAYOUT),
    ("transferencia", RecordType.PAYOUT),
    ("chargeback reversal", RecordType.CHARGEBACK_REVERSAL),
    ("chargeback", RecordType.CHARGEBACK),
    ("refund", RecordType.REFUND),
    ("reembolso", RecordType.REFUND),
    ("fee", RecordType.FEE),
    ("comisión", RecordType.FEE),
    ("payment", RecordType.PAYMENT),
    ("pago", RecordType.PAYMENT),
)

# (language, columns) of the two downloads; the Spanish statement uses decimal commas and dot grouping.
_DOWNLOADS: dict[str, dict[str, str]] = {
    "activity_en": {
        "date": "Date",
        "time": "Time",
        "zone": "TimeZone",
        "type": "Type",
        "status": "Status",
        "currency": "Currency",
        "gross": "Gross",
        "fee": "Fee",
        "net": "Net",
        "id": "Transaction ID",
        "invoice": "Invoice Number",
        "reference": "Reference Txn ID",
        "date_format": "%d/%m/%Y",
        "decimal": ".",
        "group": ",",
    },
    "statement_en": {
        "date": "Date",
        "time": "Time",
        "zone": "Time Zone",
        "type": "Description",
        "status": "",
        "currency": "Currency",
        "gross": "Gross",
        "fee": "Fee",
        "net": "Net",
        "id": "Transaction ID",
        "invoice": "Invoice ID",
        "reference": "Reference Txn ID",
        "date_format": "%m/%d/%Y",
        "decimal": ".",
        "group": ",",
    },
    "statement_es": {
        "date": "Fecha",
        "time": "Hora",
        "zone": "Zona horaria",
        "type": "Descripción",
        "status": "",
        "currency": "Divisa",
        "gross": "Bruto",
        "fee": "Comisión",
        "net": "Neto",
        "id": "Id. de transacción",
        "invoice": "Id. de factura",
        "reference": "Id. de referencia de trans.",
        "date_format": "%d/%m/%Y",
        "decimal": ",",
        "group": ".",
    },
}


def parse_download(path: str | Path, *, frame: pl.DataFrame | None = None) -> pl.DataFrame:
    raw = read_table(path) if frame is None else frame
    layout = next(
        (
            spec
            for spec in _DOWNLOADS.values()
            if all(spec[key] in raw.columns for key in ("date", "type", "gross", "currency"))
            and (spec["zone"] in raw.columns)
        ),
        None,
    )
    if layout is None:
        raise ReportError(path, "not a PayPal activity or statement download (unknown header)", row=1)
    rows = raw["source_row"]
    currency = text(raw, layout["currency"]).str.to_uppercase()

    def money(key: str) -> pl.Series:
        values = ungroup(text(raw, layout[key]), decimal=layout["decimal"], group=layout["group"])
        return to_minor(values, currency, rows, path=path, column=layout[key])

    description = text(raw, layout["type"]).fill_null("")
    lowered = description.str.to_lowercase()
    kind: pl.Expr = pl.lit(RecordType.OTHER.value)
    for needle, record in reversed(_DOWNLOAD_TYPES):
        kind = pl.when(lowered.str.contains(needle, literal=True)).then(pl.lit(str(record))).otherwise(kind)
    status = text(raw, layout["status"]) if layout["status"] else pl.Series([None] * raw.height, dtype=pl.String)
    kind_series = pl.select(
        pl.when(status.is_not_null() & ~status.str.to_lowercase().is_in(["completed", "completado"]))
        .then(pl.lit(RecordType.OTHER.value))
        .otherwise(kind)
    ).to_series()
    stamp = text(raw, layout["date"]) + " " + text(raw, layout["time"]).fill_null("00:00:00")
    fee = money("fee")
    out = pl.DataFrame(
        {
            "record_type": kind_series,
            "psp_reference": text(raw, layout["id"]),
            "merchant_reference": text(raw, layout["invoice"]),
            "amount_minor": money("gross"),
            "currency": currency,
            # Downloads print fees as negative numbers; a fee we paid is a positive cost.
            "fee_minor": -fee,
            "net_minor": money("net"),
            "net_currency": currency,
            "booked_at": to_utc(
                stamp,
                fmt=layout["date_format"] + " %H:%M:%S",
                zone=text(raw, layout["zone"]),
                rows=rows,
                path=path,
                column=layout["date"],
            ),
            "method": pl.Series(["e_wallet"] * raw.height, dtype=pl.String),
            "raw_status": description,
            "source_row": rows,
        }
    ).with_columns(psp=pl.lit("paypal"))
    return conform(out)


def parse(path: str | Path) -> pl.DataFrame:
    if is_record_prefixed(path):
        return parse_prefixed(path)
    return parse_download(path)
