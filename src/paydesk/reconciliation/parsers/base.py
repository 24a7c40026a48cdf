"""What every report parser shares: reading a file as text columns by header name, and column access.

Files are read with every column as a string (amounts are converted exactly later, never through floats). Each
data row keeps its record number in the file as ``source_row`` (the header is row 1), so every later refusal or
discrepancy points at a row a person can find.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from paydesk.reconciliation.amounts import blank_to_null
from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.schema import lookup


def read_table(path: str | Path, *, separator: str = ",") -> pl.DataFrame:
    """A headed CSV as string columns plus ``source_row``. Duplicate header names get a ``_duplicated_N`` suffix."""
    try:
        frame = _read_text_csv(path, separator=separator, raise_if_empty=False)
    except FileNotFoundError as exc:
        raise ReportError(path, "file not found") from exc
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise ReportError(path, f"cannot read as CSV: {_first_line(exc)}") from exc
    frame = frame.rename({name: name.lstrip("\ufeff").strip() for name in frame.columns})
    return frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))


def _read_text_csv(path: str | Path, **options: Any) -> pl.DataFrame:
    """Every column as text. Bytes that aren't UTF-8 become U+FFFD; a file that is valid UTF-8 (nearly all) is read
    in strict mode first, which skips the lossy decoder's extra pass."""
    kwargs = {"infer_schema": False, "truncate_ragged_lines": True, **options}
    try:
        return pl.read_csv(path, encoding="utf8", **kwargs)
    except pl.exceptions.ComputeError:
        return pl.read_csv(path, encoding="utf8-lossy", **kwargs)


def read_columns(
    path: str | Path,
    wanted: Iterable[str],
    *,
    separator: str = ",",
    vocabularies: Iterable[str] = (),
    lower: Iterable[str] = (),
    upper: Iterable[str] = (),
    unstripped: Iterable[str] = (),
) -> pl.DataFrame:
    """Only the ``wanted`` columns of a headed CSV (faster on wide reports), stripped with blanks as null.

    A wanted column the header lacks is an all-null column; ``source_row`` is added as in ``read_table``.
    ``vocabularies`` names columns of few distinct values (types, statuses, currencies): they are cleaned once per
    distinct value instead of once per row, and so are the columns named in ``lower`` and ``upper``, which are
    lower- or upper-cased as well. ``unstripped`` names columns whose reader strips them itself where its strict
    pattern fails (amounts through ``amounts.convert``): only their empty cells become null here.
    """
    names = list(dict.fromkeys(wanted))
    cases = {**dict.fromkeys(vocabularies), **dict.fromkeys(lower, "lower"), **dict.fromkeys(upper, "upper")}
    raw = set(unstripped)
    present = {_clean_name(raw): raw for raw in _raw_header(path, separator=separator)}
    if not any(name in present for name in names):
        return read_table(path, separator=separator).select(
            [pl.lit(None, pl.String).alias(name) for name in names] + [pl.col("source_row")]
        )
    try:
        frame = _read_text_csv(path, separator=separator, columns=[present[name] for name in names if name in present])
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise ReportError(path, f"cannot read as CSV: {_first_line(exc)}") from exc
    frame = frame.rename({present[name]: name for name in names if name in present})
    # Strip and blank-to-null only the columns that need it: most report columns are clean, and a million-row
    # string pass per column adds up.
    loaded = [name for name in names if name in present]
    many = [name for name in loaded if name not in cases]
    checks = frame.select(
        [pl.col(n).str.contains(r"^\s|\s$").any().alias(f"padded {n}") for n in many if n not in raw]
        + [(pl.col(n) == "").any().alias(f"empty {n}") for n in many]
    ).row(0, named=True)
    padded = {n: checks.get(f"padded {n}", False) for n in many}
    empty = {n: checks[f"empty {n}"] for n in many}
    vocabulary = {name: _vocabulary(frame[name], cases[name]) for name in loaded if name in cases}

    def clean(name: str) -> pl.Expr:
        if name not in present:
            return pl.lit(None, pl.String).alias(name)
        if name in vocabulary:
            mapping = vocabulary[name]
            return pl.col(name).replace(mapping).alias(name) if mapping else pl.col(name)
        if padded[name]:
            return blank_to_null(pl.col(name)).alias(name)
        if empty[name]:
            return pl.when(pl.col(name) != "").then(pl.col(name)).alias(name)
        return pl.col(name)

    return (
        frame.select([clean(name) for name in names])
        .with_row_index("source_row", offset=2)
        .with_columns(pl.col("source_row").cast(pl.Int64))
    )


def _vocabulary(values: pl.Series, case: str | None) -> dict[str, str | None]:
    """How each distinct value of a column of few values changes: stripped, blank to null, re-cased."""
    distinct = values.unique().drop_nulls()
    cleaned = pl.select(blank_to_null(pl.lit(distinct))).to_series()
    if case is not None:
        cleaned = cleaned.str.to_lowercase() if case == "lower" else cleaned.str.to_uppercase()
    return {old: new for old, new in zip(distinct, cleaned, strict=True) if old != new}


def read_records(path: str | Path, *, separator: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Raw CSV records with their 1-based record number, for record-prefixed formats (PayPal STL, Trustly)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for number, record in enumerate(csv.reader(handle, delimiter=separator), start=1):
                if record and any(field.strip() for field in record):
                    yield number, record
    except FileNotFoundError as exc:
        raise ReportError(path, "file not found") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReportError(path, f"cannot read as CSV: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_header(path: str | Path, *, separator: str = ",") -> list[str]:
    """The column names of a headed CSV, without a byte-order mark or padding."""
    return [_clean_name(name) for name in _raw_header(path, separator=separator)]


def _raw_header(path: str | Path, *, separator: str) -> list[str]:
    try:
        return pl.read_csv(path, separator=separator, infer_schema=False, n_rows=0, encoding="utf8-lossy").columns
    except FileNotFoundError as exc:
        raise ReportError(path, "file not found") from exc
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise ReportError(path, f"cannot read as CSV: {_first_line(exc)}") from exc


def _clean_name(name: str) -> str:
    return name.lstrip("\ufeff").strip()


def require_header(header: list[str], path: str | Path, columns: Iterable[str]) -> None:
    for name in columns:
        if name not in header:
            raise ReportError(path, "required column is missing from the header", row=1, column=name)


def require(frame: pl.DataFrame, path: str | Path, columns: Iterable[str]) -> None:
    for name in columns:
        if name not in frame.columns:
            raise ReportError(path, "required column is missing from the header", row=1, column=name)


def text(frame: pl.DataFrame, name: str) -> pl.Series:
    """Column ``name`` stripped with blanks as null; an all-null column when the header lacks it."""
    if name not in frame.columns:
        return pl.Series(name, [None] * frame.height, dtype=pl.String)
    return frame.select(blank_to_null(pl.col(name).cast(pl.String)).alias(name))[name]


def first_present(frame: pl.DataFrame, names: Iterable[str]) -> pl.Series:
    """Row-wise first non-blank value among ``names`` (columns missing from the header are skipped)."""
    present = [text(frame, name) for name in names if name in frame.columns]
    if not present:
        return pl.Series("value", [None] * frame.height, dtype=pl.String)
    return pl.select(pl.coalesce(present)).to_series()


def frame_from_records(header: list[str], rows: list[tuple[int, list[str]]]) -> pl.DataFrame:
    """Records (number, fields) under ``header`` -> string frame with ``source_row``; short rows are padded."""
    width = len(header)
    columns: dict[str, list[str | None]] = {name: [] for name in header}
    numbers: list[int] = []
    for number, fields in rows:
        numbers.append(number)
        padded = [*fields[:width], *([""] * (width - len(fields)))]
        for name, value in zip(header, padded, strict=True):
            columns[name].append(value)
    frame = pl.DataFrame({name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()})
    return frame.with_columns(source_row=pl.Series("source_row", numbers, dtype=pl.Int64))


def unique_header(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for raw in names:
        name = raw.lstrip("\ufeff").strip()
        if name in seen:
            seen[name] += 1
            name = f"{name}_duplicated_{seen[name] - 1}"
        else:
            seen[name] = 0
        result.append(name)
    return result


_METHODS: dict[str, str] = {
    **dict.fromkeys(
        [
            "card",
            "visa",
            "mc",
            "mastercard",
            "amex",
            "maestro",
            "discover",
            "diners",
            "jcb",
            "cup",
            "nyce",
            "cartebancaire",
            "bcmc",
            "elo",
            "hipercard",
            "mir",
            "applepay",
            "googlepay",
            "vi",
            "md",
            "credit card",
            "debit card",
            "credit",
            "debit",
        ],
        "card",
    ),
    **dict.fromkeys(
        [
            "bank_transfer",
            "ach",
            "ideal",
            "directebanking",
            "sepadirectdebit",
            "sepa",
            "giropay",
            "trustly",
            "bank",
            "banktransfer",
            "ticket",
            "pix",
            "boleto",
            "openbanking",
            "us_bank_account",
            "sofort",
        ],
        "bank_transfer",
    ),
    **dict.fromkeys(
        ["e_wallet", "paypal", "skrill", "neteller", "paysafecard", "alipay", "wechatpay", "stripe_account", "wallet"],
        "e_wallet",
    ),
    **dict.fromkeys(["crypto", "btc", "usdt", "eth"], "crypto"),
    "sbp": "sbp",
}


def map_distinct(values: pl.Series, function: Callable[[str | None], str | None]) -> pl.Series:
    """Apply ``function`` once per distinct value (report vocabularies are tiny; the rows are not)."""
    distinct = values.unique().to_list()
    mapping = {value: function(value) for value in distinct if value is not None}
    result = values.to_frame().select(lookup(pl.col(values.name), mapping).alias(values.name)).to_series()
    if None in distinct and function(None) is not None:
        result = result.fill_null(function(None))
    return result


def _method_of(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    return _METHODS.get(lowered, lowered)


def normalize_method(values: pl.Series) -> pl.Series:
    """PSP method names -> our method types (card, bank_transfer, e_wallet, crypto, sbp); unknown kept lowercased."""
    return map_distinct(values.cast(pl.String), _method_of).alias("method")
