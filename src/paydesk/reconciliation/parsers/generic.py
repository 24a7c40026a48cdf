"""Generic CSV/XLSX reports described by a YAML column mapping, for any PSP without a parser of its own.

A mapping names the file's columns for each normalized field and how to read them::

    psp: acmepay                # name shown in the results (default "generic")
    separator: ","              # CSV only
    sheet: Transactions         # XLSX only (default: the first sheet)
    decimal: "."                # decimal separator of amounts
    group: ","                  # thousands separator, if the file uses one
    date_format: "%Y-%m-%d %H:%M:%S"
    timezone: UTC               # zone of the dates: abbreviation or IANA name
    columns:
      psp_reference: Transaction ID
      merchant_reference: Order
      amount: Amount            # required
      currency: Currency        # required (or `currency_value: EUR` for a single-currency file)
      fee: Fee
      net: Net
      booked_at: Date
      method: Method
      type: Type
    types:                      # value of the type column -> record type
      Sale: payment
      Refund: refund
    default_type: payment       # for rows whose type is not listed (default "other")
    refunds_negative: true      # make refund/chargeback amounts negative when the file prints them unsigned

Without a mapping the column names are the normalized names themselves (``psp_reference``, ``amount``, …).
XLSX cells are read as text through fastexcel (calamine); a number typed into a cell comes back as the shortest
decimal that round-trips to it, which is what the spreadsheet shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from paydesk.reconciliation.amounts import to_minor, to_utc, ungroup
from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.parsers.base import normalize_method, read_table, require, text
from paydesk.reconciliation.schema import RecordType, conform

FIELDS = ("psp_reference", "merchant_reference", "amount", "currency", "fee", "net", "booked_at", "method", "type")


@dataclass(frozen=True)
class Mapping:
    psp: str = "generic"
    separator: str = ","
    sheet: str | None = None
    decimal: str = "."
    group: str = ""
    date_format: str = "%Y-%m-%d %H:%M:%S"
    timezone: str = "UTC"
    columns: dict[str, str] = field(default_factory=lambda: {name: name for name in FIELDS})
    currency_value: str | None = None
    types: dict[str, str] = field(default_factory=dict)
    default_type: str = RecordType.PAYMENT.value
    refunds_negative: bool = False


def load_mapping(path: str | Path) -> Mapping:
    try:
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(path, "mapping file not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReportError(path, f"cannot read the YAML mapping: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise ReportError(path, "the mapping must be a YAML object with a `columns` object")
    columns = data.get("columns")
    if not isinstance(columns, dict) or "amount" not in columns:
        raise ReportError(path, "`columns` must map at least `amount` (and `currency` or `currency_value`)")
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise ReportError(path, f"unknown field(s) in `columns`: {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    if "currency" not in columns and not data.get("currency_value"):
        raise ReportError(path, "map a `currency` column or give `currency_value`")
    types = {str(k): str(v) for k, v in (data.get("types") or {}).items()}
    allowed = {t.value for t in RecordType}
    default_type = str(data.get("default_type", RecordType.OTHER.value if types else RecordType.PAYMENT.value))
    for raw_type, record in [*types.items(), ("default_type", default_type)]:
        if record not in allowed:
            raise ReportError(
                path, f"type {raw_type!r} maps to {record!r}; expected one of {', '.join(sorted(allowed))}"
            )
    return Mapping(
        psp=str(data.get("psp", "generic")),
        separator=str(data.get("separator", ",")),
        sheet=data.get("sheet"),
        decimal=str(data.get("decimal", ".")),
        group=str(data.get("group", "")),
        date_format=str(data.get("date_format", "%Y-%m-%d %H:%M:%S")),
        timezone=str(data.get("timezone", "UTC")),
        columns={str(k): str(v) for k, v in columns.items()},
        currency_value=data.get("currency_value"),
        types=types,
        default_type=default_type,
        refunds_negative=bool(data.get("refunds_negative", False)),
    )


def _read(path: str | Path, mapping: Mapping) -> pl.DataFrame:
    if str(path).lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        try:
            frame = pl.read_excel(
                path,
                sheet_name=mapping.sheet,
                engine="calamine",
                infer_schema_length=0,
            )
        except FileNotFoundError as exc:
            raise ReportError(path, "file not found") from exc
        except Exception as exc:  # fastexcel raises its own types for broken workbooks
            raise ReportError(path, f"cannot read as a spreadsheet: {str(exc).splitlines()[0]}") from exc
        frame = frame.select(pl.all().cast(pl.String))
        return frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))
    return read_table(path, separator=mapping.separator)


def parse(path: str | Path, mapping: Mapping | None = None) -> pl.DataFrame:
    spec = mapping or Mapping()
    raw = _read(path, spec)
    cols = spec.columns
    require(raw, path, [cols[name] for name in ("amount", "currency") if name in cols])
    rows = raw["source_row"]
    if "currency" in cols:
        currency = text(raw, cols["currency"]).str.to_uppercase()
    else:
        currency = pl.Series("currency", [str(spec.currency_value).upper()] * raw.height, dtype=pl.String)

    def money(name: str) -> pl.Series | None:
        if name not in cols:
            return None
        values = text(raw, cols[name])
        if spec.group or spec.decimal != ".":
            values = ungroup(values, decimal=spec.decimal, group=spec.group or "\x00")
        return to_minor(values, currency, rows, path=path, column=cols[name])

    amount = money("amount")
    assert amount is not None
    raw_type = text(raw, cols["type"]) if "type" in cols else pl.Series([None] * raw.height, dtype=pl.String)
    kind = raw_type.replace_strict(spec.types, default=spec.default_type, return_dtype=pl.String)
    if spec.refunds_negative:
        outgoing = kind.is_in([RecordType.REFUND, RecordType.CHARGEBACK])
        amount = pl.select(pl.when(outgoing).then(-amount.abs()).otherwise(amount)).to_series()
    fee = money("fee")
    net = money("net")
    if net is None and fee is not None:
        net = amount - fee.fill_null(0)
    booked = (
        to_utc(
            text(raw, cols["booked_at"]),
            fmt=spec.date_format,
            zone=spec.timezone,
            rows=rows,
            path=path,
            column=cols["booked_at"],
        )
        if "booked_at" in cols
        else None
    )
    out = pl.DataFrame(
        {
            "record_type": kind,
            "psp_reference": text(raw, cols["psp_reference"]) if "psp_reference" in cols else None,
            "merchant_reference": text(raw, cols["merchant_reference"]) if "merchant_reference" in cols else None,
            "amount_minor": amount,
            "currency": currency,
            "fee_minor": fee,
            "net_minor": net,
            "net_currency": currency if (fee is not None or net is not None) else None,
            "booked_at": booked,
            "method": normalize_method(text(raw, cols["method"])) if "method" in cols else None,
            "raw_status": raw_type,
            "source_row": rows,
        },
        strict=False,
    ).with_columns(psp=pl.lit(spec.psp))
    return conform(out)
