"""Exact, vectorized conversion of report text to money and time.

Money: a decimal string in major units becomes integer minor units with the exponent of its row's currency from
``paydesk.core.money``, by string arithmetic on whole columns (no floats anywhere, so a million rows take
milliseconds). The rule is ``money.parse_minor``'s: a value with more decimals than its currency has, a value that
is not a plain decimal, or an unknown currency is refused, and the refusal names the file, the row and the column,
with ``parse_minor``'s own message for the offending value. Time: local timestamps with a zone abbreviation, a
UTC offset or an IANA zone become timezone-aware UTC.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from paydesk.core.money import MoneyError, currency_exponent, parse_minor
from paydesk.reconciliation.errors import ReportError

# Plain decimals; a bare fraction (".11", Adyen) is read as 0.11.
_WIDE_SCALE = 18
_PLAIN = r"^-?(?:[0-9]{1,20}(?:\.[0-9]{1,18})?|\.[0-9]{1,18})$"
# int64 holds 18 digits safely; more is refused rather than wrapped.
_MAX_DIGITS = 18

# Zone abbreviations PSP reports print beside local times (Adyen "TimeZone", PayPal activity "TimeZone"). Fixed
# offsets, because the abbreviation already says whether summer time applied.
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def ungroup(values: pl.Series, *, decimal: str, group: str) -> pl.Series:
    """``"1,653.75"`` -> ``"1653.75"`` (or ``"4.626,81"`` -> ``"4626.81"``) where the grouping is well formed.

    A value whose separators don't follow the declared locale is left as it is, so ``to_minor`` refuses it with its
    row and column instead of guessing.
    """
    d, g = _re_escape(decimal), _re_escape(group)
    pattern = rf"^-?\d{{1,3}}(?:{g}\d{{3}})+(?:{d}\d+)?$|^-?\d+(?:{d}\d+)?$"
    stripped = values.str.strip_chars()
    cleaned = stripped.str.replace_all(group, "", literal=True).str.replace(decimal, ".", literal=True)
    return pl.select(pl.when(stripped.str.contains(pattern)).then(cleaned).otherwise(stripped)).to_series()


def _re_escape(text: str) -> str:
    return "".join("\\" + ch if not ch.isalnum() else ch for ch in text)


def implied_decimals(values: pl.Series, places: int) -> pl.Series:
    """Integer amounts with implied decimals (PayPal STL/TRR report cents): ``"5200"`` -> ``"52.00"``."""
    stripped = values.str.strip_chars()
    negative = stripped.str.starts_with("-")
    digits = stripped.str.strip_prefix("-").str.pad_start(places + 1, "0")
    text = digits.str.slice(0, digits.str.len_chars() - places) + "." + digits.str.slice(-places)
    text = pl.select(pl.when(negative).then("-" + text).otherwise(text)).to_series()
    return pl.select(
        pl.when(stripped.str.contains(r"^-?\d+$")).then(text).when(stripped == "").then(None).otherwise(stripped)
    ).to_series()


def _exponents(frame: pl.DataFrame, currency_columns: set[str]) -> tuple[dict[str, int], set[str]]:
    """The exponent of every known currency in these columns, and the columns that also hold an unknown one."""
    exponents: dict[str, int] = {}
    unknown: set[str] = set()
    for name in currency_columns:
        for code in frame[name].unique().to_list():
            if code is None or code in exponents:
                continue
            try:
                exponents[code] = currency_exponent(code)
            except MoneyError:
                unknown.add(name)  # refused below, only if an amount is actually in this currency
    return exponents, unknown


def convert(
    frame: pl.DataFrame,
    amounts: dict[str, tuple[str, str]],
    *,
    path: str | Path,
    row_column: str = "source_row",
    inexact_as_null: bool = False,
) -> pl.DataFrame:
    """Add Int64 minor-unit columns to ``frame``: ``{output: (amount column, currency column)}``, all at once.

    With ``inexact_as_null`` a well-formed value that can't be held exactly becomes null instead of being refused
    (for PSP columns known to carry FX-converted sub-unit figures, such as dLocal's USD fees).

    Currency columns must already be stripped with blanks as null (``text`` does that); amount columns must have
    blanks as null, and are stripped here when they need more than the fast path. Integer math
    only: ``"12.3"`` in EUR is the digits 123 with one decimal, times 10**(2 - 1) = 1230. A value with more
    decimals than its currency is exact only if the extra digits are zeros; otherwise it is refused, never
    rounded. A zero with no currency (Checkout.com fee-only lines) says nothing and becomes null. A refusal names
    the file, the row and the column, with ``money.parse_minor``'s own message for the value.
    """
    exponents, unknown = _exponents(frame, {currency for _, currency in amounts.values()})
    scales = sorted(set(exponents.values()), reverse=True)
    present = frame.select([pl.col(value).is_not_null().any().alias(out) for out, (value, _) in amounts.items()])
    blank = [out for out, any_value in present.row(0, named=True).items() if not any_value]
    usual = {out: amounts[out] for out in amounts if out not in blank and amounts[out][1] not in unknown}
    fast = _already_exact(frame, usual, scales)
    if fast:
        # Every value has at most its currency's decimals and fits: the decimal cast is exact, and its integer is
        # the amount in minor units. (Strict, so a value that somehow didn't parse raises instead of becoming null.)
        k = scales[0]
        frame = frame.with_columns(
            [pl.col(amounts[out][0]).cast(pl.Decimal(38, k)).to_physical().cast(pl.Int64).alias(out) for out in fast]
        )
    # Polars decimals do the digit work: a value read at 18 decimals equals itself read at the currency's exponent
    # only when nothing was cut off. (Decimal casts truncate, so that comparison is the no-rounding check.)
    wide = pl.Decimal(38, _WIDE_SCALE)
    steps: list[list[pl.Expr]] = [[], [], []]
    for out, (value_column, currency_column) in amounts.items():
        if out in blank or out in fast:
            continue
        value = blank_to_null(pl.col(value_column))
        currency = pl.col(currency_column)
        if frame.select((currency.is_null() & value.is_not_null()).any()).item():
            value = pl.when(currency.is_null() & value.str.contains(r"^-?0*\.?0*$")).then(None).otherwise(value)
        steps[0] += [
            value.alias(f"{out}__v"),
            currency.replace_strict(exponents, default=None, return_dtype=pl.Int64).alias(f"{out}__e"),
        ]
        v, e = pl.col(f"{out}__v"), pl.col(f"{out}__e")
        minor: pl.Expr = pl.lit(None, pl.Int64)
        exact: pl.Expr = pl.lit(False)
        scales = sorted(set(exponents.values()), reverse=True)
        for k in scales:
            # The decimal's integer is the amount in minor units; casting it (not multiplying) turns a value too big
            # for Int64 into null, refused below by name, instead of a Decimal overflow error.
            narrow = v.cast(pl.Decimal(38, k), strict=False)
            if len(scales) == 1:  # one exponent for every currency here (the usual case): no per-row branch
                minor = narrow.to_physical().cast(pl.Int64, strict=False)
                exact = narrow == v.cast(wide, strict=False)
                break
            minor = pl.when(e == k).then(narrow.to_physical().cast(pl.Int64, strict=False)).otherwise(minor)
            exact = pl.when(e == k).then(narrow == v.cast(wide, strict=False)).otherwise(exact)
        steps[1] += [minor.alias(out), exact.alias(f"{out}__x"), v.str.contains(_PLAIN).alias(f"{out}__ok")]
        steps[2] += [
            (
                v.is_not_null()
                & (
                    ~pl.col(f"{out}__ok").fill_null(False)
                    | e.is_null()
                    | pl.col(out).is_null()
                    | ~pl.col(f"{out}__x").fill_null(False)
                    | (pl.col(out).abs() >= 10**_MAX_DIGITS)
                )
            ).alias(f"{out}__bad")
        ]
    work = frame
    for step in steps:
        if step:
            work = work.with_columns(step)
    computed = [out for out in amounts if out not in blank and out not in fast]
    if inexact_as_null:
        # Only well-formed decimals in a known currency may become null; anything malformed is still refused.
        work = work.with_columns(
            [pl.when(~pl.col(f"{out}__bad")).then(pl.col(out)).alias(out) for out in computed]
            + [
                (
                    pl.col(f"{out}__bad") & (~pl.col(f"{out}__ok").fill_null(False) | pl.col(f"{out}__e").is_null())
                ).alias(f"{out}__bad")
                for out in computed
            ]
        )
    failed = (
        work.select([pl.col(f"{out}__bad").any().alias(out) for out in computed]).row(0, named=True) if computed else {}
    )
    for out, bad in failed.items():
        if bad:
            value_column, currency_column = amounts[out]
            offender = work.filter(pl.col(f"{out}__bad")).row(0, named=True)
            _raise_for(
                {"r": offender[row_column], "v": offender[f"{out}__v"], "c": offender[currency_column]},
                path=path,
                column=value_column,
            )
    temporary = [f"{out}__{part}" for out in computed for part in ("v", "e", "x", "ok", "bad")]
    return work.drop(temporary).with_columns([pl.lit(None, pl.Int64).alias(out) for out in blank])


def _already_exact(frame: pl.DataFrame, amounts: dict[str, tuple[str, str]], scales: list[int]) -> list[str]:
    """The outputs whose every value is a plain decimal with at most its currency's decimals, that fits int64.

    That is the usual report, and it needs one pattern check and one cast. It applies when every currency of the
    file has the same exponent (``amounts`` holds only columns whose currencies are all known); a value with
    trailing zeros beyond it (``"1.230"`` in EUR) or without a currency sends the whole column through the
    general conversion, which decides and names the row.
    """
    if len(scales) != 1 or not amounts or scales[0] >= _MAX_DIGITS:
        return []
    k = scales[0]
    exact = (
        rf"^-?(?:[0-9]{{1,{_MAX_DIGITS - k}}}(?:\.[0-9]{{1,{k}}})?|\.[0-9]{{1,{k}}})$"
        if k
        else rf"^-?[0-9]{{1,{_MAX_DIGITS}}}$"
    )
    slow = frame.select(
        [
            (pl.col(value).is_not_null() & (pl.col(currency).is_null() | ~pl.col(value).str.contains(exact)))
            .any()
            .alias(out)
            for out, (value, currency) in amounts.items()
        ]
    ).row(0, named=True)
    return [out for out, any_slow in slow.items() if not any_slow]


def to_minor(
    values: pl.Series,
    currencies: pl.Series | str | None,
    rows: pl.Series,
    *,
    path: str | Path,
    column: str,
) -> pl.Series:
    """Decimal strings (major units) -> Int64 minor units of each row's currency; blank -> null."""
    frame = pl.DataFrame(
        {
            column: values.cast(pl.String),
            "__currency": currencies
            if isinstance(currencies, pl.Series)
            else pl.repeat(currencies, len(values), eager=True),
            "__row": rows,
        }
    ).with_columns(
        blank_to_null(pl.col(column)),
        blank_to_null(pl.col("__currency").cast(pl.String)).str.to_uppercase(),
    )
    converted = convert(frame, {"__minor": (column, "__currency")}, path=path, row_column="__row")
    return converted["__minor"].alias(values.name)


def _raise_for(offender: dict[str, object], *, path: str | Path, column: str) -> None:
    row = offender["r"]
    value = str(offender["v"])
    code = offender["c"]
    assert isinstance(row, int)
    if code is None:
        raise ReportError(path, f"amount {value!r} has no currency", row=row, column=column)
    try:
        parse_minor(value, str(code))
    except MoneyError as exc:
        raise ReportError(path, exc.message, row=row, column=column) from exc
    raise ReportError(path, f"amount {value!r} is too large (more than {_MAX_DIGITS} digits)", row=row, column=column)


def to_utc(
    values: pl.Series,
    *,
    fmt: str,
    zone: pl.Series | str,
    rows: pl.Series,
    path: str | Path,
    column: str,
) -> pl.Series:
    """Local timestamps -> UTC. ``zone`` per row or for all rows: an abbreviation (PST), or an IANA name.

    A ``fmt`` containing ``%z`` carries its own offset and ignores ``zone``. Blank -> null; unparsable -> refused.
    ``values`` and a ``zone`` column come stripped with blanks as null (``text`` and ``read_columns`` give them so).
    """
    values = values.cast(pl.String)
    if "%z" in fmt:
        parsed = values.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False, cache=False)
    else:
        naive = values.str.strptime(pl.Datetime("us"), fmt, strict=False, cache=False)
        if isinstance(zone, str):
            zones = pl.repeat(zone.strip() or None, len(values), dtype=pl.String, eager=True)
            names: list[str | None] = [zone.strip() or None] if values.is_not_null().any() else []
        else:
            zones = zone.cast(pl.String)
            names = zones.filter(values.is_not_null()).unique().to_list()
        frame = pl.DataFrame({"t": naive, "z": zones, "r": rows})
        if len(names) == 1:  # one zone for the whole file (the usual case): no per-row choice
            result = _zone_expr(pl.col("t"), names[0], frame=frame, path=path, column=column)
        else:
            result = pl.lit(None, pl.Datetime("us", "UTC"))
            for name in names:
                condition = pl.col("z").is_null() if name is None else pl.col("z") == name
                branch = _zone_expr(pl.col("t"), name, frame=frame, path=path, column=column)
                result = pl.when(condition).then(branch).otherwise(result)
        parsed = frame.with_columns(result.alias("t"))["t"]
    offenders = values.is_not_null() & parsed.is_null()
    if offenders.any():
        index = offenders.arg_true()[0]
        raise ReportError(path, f"cannot read date {values[index]!r} (expected {fmt})", row=rows[index], column=column)
    return parsed.alias(values.name)


def _zone_expr(naive: pl.Expr, name: str | None, *, frame: pl.DataFrame, path: str | Path, column: str) -> pl.Expr:
    if name is None:
        return naive.dt.replace_time_zone("UTC")
    upper = name.upper()
    if upper in ZONE_ABBREVIATIONS:
        return (naive - pl.duration(minutes=ZONE_ABBREVIATIONS[upper])).dt.replace_time_zone("UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        row = frame.filter(pl.col("z") == name)["r"][0]
        raise ReportError(path, f"unknown time zone {name!r}", row=row, column=column) from exc
    return naive.dt.replace_time_zone(name, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
