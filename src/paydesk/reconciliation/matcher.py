"""The matcher: pairs each money line of a PSP report with a ledger transaction and names every difference.

Order of evidence, strongest first; a line matched at one stage is not looked at again:

1. PSP reference: the line's own modification id (a refund's or chargeback's) against a ledger refund/chargeback,
   then its PSP reference against a ledger transaction of the same family (payment -> deposit/withdrawal, refund
   -> refund, chargeback/reversal -> chargeback), then a refund/chargeback line against the deposit it reverses.
2. Merchant reference (our transaction reference), in the same order.
3. Fuzzy (flagged ``matched_fuzzy``): same currency, same absolute amount, same family, booked within a time
   window of the ledger's creation, same method when both sides know it; accepted only when the pair is unique
   both ways, so a fuzzy match is never a guess between two candidates.

Discrepancies: ``duplicate_in_report`` (the same booking again: same type, PSP reference and modification id;
only the first is matched), ``missing_in_ledger`` (no match at any stage), ``currency_mismatch``,
``amount_mismatch`` (own match: amounts differ; reversal matched to its deposit: more reversed than paid),
``status_mismatch`` (settled in the report but failed/declined/expired/cancelled/rejected in the ledger, or refunded/
charged back in the report while the ledger deposit is not), ``missing_in_report`` (ledger rows of the PSP with
money moved, created within the window, that no line matched) and ``fee_anomaly`` (with a fee schedule). Fee,
payout, invoice and other lines are summarized per type and currency, not matched.

Everything is whole-frame Polars work; no Python loop runs per row.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from paydesk.core.money import format_minor
from paydesk.reconciliation.fees import FeeSchedule
from paydesk.reconciliation.schema import MATCHED_TYPES, SUMMARIZED_TYPES, DiscrepancyType, RecordType, lookup

# Ledger kind -> family; report record type -> family of its own ledger transaction.
KIND_FAMILY = {"deposit": "pay", "withdrawal": "pay", "refund": "refund", "chargeback": "chargeback"}
TYPE_FAMILY = {
    RecordType.PAYMENT.value: "pay",
    RecordType.REFUND.value: "refund",
    RecordType.CHARGEBACK.value: "chargeback",
    RecordType.CHARGEBACK_REVERSAL.value: "chargeback",
}
FAILED_STATUSES = ("declined", "failed", "expired", "cancelled", "rejected")
REVERSED_DEPOSIT_STATUSES = ("refunded", "partially_refunded", "charged_back")
MONEY_MOVED: dict[str, tuple[str, ...]] = {
    "deposit": ("confirmed", "credited", "refunded", "partially_refunded", "charged_back"),
    "withdrawal": ("paid", "returned"),
    "refund": ("succeeded", "reversed"),
    "chargeback": ("needs_response", "under_review", "won", "lost", "accepted", "expired"),
}
DISCREPANCY_COLUMNS: dict[str, pl.DataType] = {
    "type": pl.String(),
    "report_row": pl.Int64(),
    "record_type": pl.String(),
    "psp_reference": pl.String(),
    "merchant_reference": pl.String(),
    "ledger_reference": pl.String(),
    "report_currency": pl.String(),
    "report_amount_minor": pl.Int64(),
    "ledger_currency": pl.String(),
    "ledger_amount_minor": pl.Int64(),
    "report_status": pl.String(),
    "ledger_status": pl.String(),
    "fee_minor": pl.Int64(),
    "expected_fee_minor": pl.Int64(),
    "detail": pl.String(),
}


@dataclass(frozen=True)
class MatchOptions:
    date_from: date | None = None
    date_to: date | None = None
    fuzzy_window: timedelta = timedelta(days=3)
    fees: FeeSchedule | None = None


@dataclass
class ReconResult:
    psp: str
    report_rows: int
    ledger_rows: int
    matched: int
    matched_fuzzy: int
    discrepancies: pl.DataFrame
    totals: dict[str, dict[str, int]]
    summarized: pl.DataFrame
    window: tuple[date | None, date | None]
    pairs: pl.DataFrame = field(repr=False)

    def counts(self) -> dict[str, int]:
        found = dict(self.discrepancies.group_by("type").len().iter_rows())
        return {t.value: int(found.get(t.value, 0)) for t in DiscrepancyType}

    def summary(self) -> dict[str, Any]:
        """The JSON summary of ``paydesk reconcile --json``: exactly these keys."""
        return {
            "psp": self.psp,
            "report_rows": self.report_rows,
            "ledger_rows": self.ledger_rows,
            "matched": self.matched,
            "matched_fuzzy": self.matched_fuzzy,
            "discrepancies": self.counts(),
            "totals": {
                currency: {
                    "report_gross": format_minor(values["report_gross"], currency),
                    "ledger_gross": format_minor(values["ledger_gross"], currency),
                    "difference": format_minor(values["difference"], currency),
                }
                for currency, values in sorted(self.totals.items())
            },
        }


# The ledger columns a pair's discrepancy row carries, and their names there.
LEDGER_SIDE = {"reference": "ledger_reference", "amount_minor": "ledger_amount_minor", "currency": "ledger_currency",
               "status": "ledger_status"}  # fmt: skip


def _keep(frame: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
    """``frame.filter(condition)``, without copying every column when every row stays."""
    mask = frame.select(condition.fill_null(False).alias("keep"))["keep"]
    return frame if mask.all() else frame.filter(mask)


def _repeats(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Series:
    """True on each row whose ``columns`` equal an earlier row's (nulls equal each other).

    Rows are told apart by a hash of the first column: a row whose hash no earlier row has is a first. Only the rows
    sharing a hash (the repeats, other rows with the same first value, and the rare collision) are compared by value.
    """
    hashed = frame[columns[0]].hash()
    later = ~hashed.is_first_distinct()
    if not later.any():
        return later
    shared = hashed.is_in(hashed.filter(later).implode())
    exact = frame.select(columns).filter(shared).select(pl.struct(columns).is_first_distinct())[:, 0]
    return later.scatter(shared.arg_true(), ~exact)


def _candidates(lines: pl.DataFrame, key: str, ledger_keys: pl.DataFrame) -> pl.DataFrame:
    """(rid, family, pos, ledger_family) of every line whose ``key`` equals a ledger key (null keys never match).

    Only row numbers and families go through the join: carrying wide string columns through a million-row join
    costs more than the join itself, and only the few discrepancy rows need them later.
    """
    keyed = lines.select("rid", "family", pl.col(key).alias("__key"))
    if keyed["__key"].null_count():
        keyed = keyed.filter(pl.col("__key").is_not_null())
    if keyed.is_empty():  # the join would still hash every ledger key to find nothing
        ledger_keys = ledger_keys.clear()
    return keyed.join(ledger_keys, on="__key", how="inner").drop("__key")


def _take(candidates: pl.DataFrame, condition: pl.Expr, done: pl.Series, *, stage: str, own: bool) -> pl.DataFrame:
    """The pairs of one stage: candidates meeting ``condition`` whose line no earlier stage matched (marked now)."""
    found = candidates.filter(condition)
    if found.height:
        found = found.filter(~done.gather(found["rid"]))
        done.scatter(found["rid"], True)
    return found.select("rid", "pos", stage=pl.lit(stage), own=pl.lit(own))


def _fuzzy(lines: pl.DataFrame, ledger: pl.DataFrame, window: timedelta) -> pl.DataFrame:
    left = lines.filter(pl.col("booked_at").is_not_null()).select(
        "rid", "currency", pl.col("amount_minor").abs().alias("abs_amount"), "family", "booked_at", "method"
    )
    right = ledger.select(
        "pos",
        "currency",
        pl.col("amount_minor").alias("abs_amount"),
        "family",
        "created_at",
        pl.col("method").alias("ledger_method"),
    )
    joined = left.join(right, on=["currency", "abs_amount", "family"], how="inner").filter(
        ((pl.col("booked_at") - pl.col("created_at")).abs() <= window)
        & (
            pl.col("method").is_null()
            | pl.col("ledger_method").is_null()
            | (pl.col("method") == pl.col("ledger_method"))
        )
    )
    unique = joined.filter((pl.len().over("rid") == 1) & (pl.len().over("pos") == 1))
    return unique.select("rid", "pos", stage=pl.lit("fuzzy"), own=pl.lit(True))


def _pair_rows(rep: pl.DataFrame, led: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Report columns of each pair's line beside its ledger transaction's, for the few pairs that are reported.

    The fee stays out, as before: a pair's discrepancy is about amount, currency or status, not the fee.
    """
    ledger_side = led.select([pl.col(name).gather(pairs["pos"]).alias(alias) for name, alias in LEDGER_SIDE.items()])
    return pl.concat(
        [rep.select(pl.all().exclude("fee_minor").gather(pairs["rid"])), ledger_side, pairs.select("stage", "own")],
        how="horizontal",
    )


@dataclass(frozen=True)
class _ReportAlone:
    fee_anomalies: pl.DataFrame | None
    totals: pl.DataFrame
    summarized: pl.DataFrame
    booked: tuple[datetime | None, datetime | None]


def _report_alone(rep: pl.DataFrame, fees: FeeSchedule | None) -> _ReportAlone:
    """Fee anomalies (with a schedule), gross per currency of the matched lines, the summarized lines, and the first
    and last booking of a matched line: everything that needs the report only."""
    line = pl.col("record_type").is_in(MATCHED_TYPES)
    anomalies = None
    if fees is not None:
        priced = rep.select("rid", "amount_minor", "currency", "method", "fee_minor").filter(
            rep.select(
                (pl.col("record_type") == RecordType.PAYMENT)
                & pl.col("fee_minor").is_not_null()
                & (pl.col("net_currency") == pl.col("currency"))
            ).to_series()
        )
        priced = priced.with_columns(expected_fee_minor=fees.expected(priced)).filter(
            pl.col("expected_fee_minor").is_not_null()
            & ((pl.col("fee_minor") - pl.col("expected_fee_minor")).abs() > fees.tolerance_minor)
        )
        anomalies = rep.select(pl.all().gather(priced["rid"])).with_columns(priced["expected_fee_minor"])
    totals = (
        rep.select("currency", "amount_minor", line.alias("line"))
        .filter("line")
        .group_by("currency")
        .agg(pl.col("amount_minor").sum().alias("report_gross"))
    )
    summarized = (
        rep.filter(pl.col("record_type").is_in(SUMMARIZED_TYPES))
        .group_by("record_type", "currency")
        .agg(
            pl.len().alias("lines"),
            pl.col("amount_minor").sum().alias("amount_minor"),
            pl.col("fee_minor").sum().alias("fee_minor"),
            pl.col("net_minor").sum().alias("net_minor"),
        )
        .sort("record_type", "currency", nulls_last=True)
    )
    booked = rep.select(pl.col("booked_at").filter(line)).to_series()
    first, last = booked.min(), booked.max()
    return _ReportAlone(
        fee_anomalies=anomalies,
        totals=totals,
        summarized=summarized,
        booked=(first if isinstance(first, datetime) else None, last if isinstance(last, datetime) else None),
    )


def reconcile(
    report: pl.DataFrame,
    ledger: pl.DataFrame,
    *,
    psp: str,
    ledger_psp: str | None = None,
    options: MatchOptions | None = None,
) -> ReconResult:
    """Match ``report`` (normalized report frame) against ``ledger`` (ledger frame) for PSP ``psp``.

    ``ledger_psp`` is the PSP code in the ledger (defaults to ``psp``); other PSPs' rows are ignored. In
    ``pairs``, ``rid`` and ``lid`` are row positions in ``report`` and ``ledger`` as given.
    """
    opts = options or MatchOptions()
    # Work stays on row numbers: report rows by ``rid``, ledger rows of the PSP by ``pos``. Wide frames are only
    # filtered or gathered for what is reported (discrepancies, a handful of rows).
    rep = report.with_row_index("rid").with_columns(family=lookup(pl.col("record_type"), TYPE_FAMILY))
    # What reads the report alone (fees, its totals and summaries, its booking dates) is worked out beside the
    # matching: Polars releases the GIL, so the two share the machine's cores.
    with ThreadPoolExecutor(max_workers=1) as beside:
        alone = beside.submit(_report_alone, rep, opts.fees)
        return _match(rep, ledger, alone, psp=psp, ledger_psp=(ledger_psp or psp).lower(), opts=opts)


def _match(
    rep: pl.DataFrame,
    ledger: pl.DataFrame,
    alone: Future[_ReportAlone],
    *,
    psp: str,
    ledger_psp: str,
    opts: MatchOptions,
) -> ReconResult:
    """The matching of ``reconcile``; ``alone`` brings what it needs from the report alone."""
    led = (
        _keep(ledger.with_row_index("lid"), pl.col("psp") == ledger_psp)
        .with_row_index("pos")
        .with_columns(family=lookup(pl.col("kind"), KIND_FAMILY))
    )
    is_line = pl.col("record_type").is_in(MATCHED_TYPES)
    repeat = _repeats(rep, ("psp_reference", "record_type", "modification_reference"))
    marks = rep.select(line=is_line, duplicate=is_line & pl.col("psp_reference").is_not_null() & repeat)
    line, duplicate = marks["line"], marks["duplicate"]
    pool = line & ~duplicate
    pool_rows = rep.select("rid", "family", "psp_reference", "modification_reference", "merchant_reference").filter(
        pool
    )

    # Matched flags by row number (scatter and gather): cheaper than anti-joins and unique() on a million rows.
    line_done = pl.repeat(False, rep.height, eager=True)
    by_psp_reference = led.select(
        "pos", pl.col("family").alias("ledger_family"), pl.col("psp_reference").alias("__key")
    )
    same_family = pl.col("family") == pl.col("ledger_family")
    parent = (pl.col("family") != "pay") & (pl.col("ledger_family") == "pay")
    by_reference_parts = [
        _take(
            _candidates(pool_rows, "modification_reference", by_psp_reference),
            same_family,
            line_done,
            stage="psp_reference",
            own=True,
        )
    ]
    psp_candidates = _candidates(pool_rows, "psp_reference", by_psp_reference)
    by_reference_parts += [
        _take(psp_candidates, same_family, line_done, stage="psp_reference", own=True),
        _take(psp_candidates, parent, line_done, stage="psp_reference", own=False),
    ]
    rest = pool_rows.filter(~line_done.gather(pool_rows["rid"]))
    if rest.height:
        merchant_candidates = _candidates(
            rest, "merchant_reference", led.select("pos", pl.col("family").alias("ledger_family"), __key="reference")
        )
        by_reference_parts += [
            _take(merchant_candidates, same_family, line_done, stage="merchant_reference", own=True),
            _take(merchant_candidates, parent, line_done, stage="merchant_reference", own=False),
        ]
    by_reference = pl.concat(by_reference_parts)
    ledger_done = pl.repeat(False, led.height, eager=True).scatter(by_reference["pos"], True)

    fuzzy = by_reference.clear()
    remaining = pool & ~line_done
    if remaining.any():
        fuzzy = _fuzzy(rep.filter(remaining), led.filter(~ledger_done), opts.fuzzy_window)
        line_done.scatter(fuzzy["rid"], True)
        ledger_done.scatter(fuzzy["pos"], True)
        remaining = pool & ~line_done
    pairs = pl.concat([by_reference, fuzzy])

    # Window of missing_in_report: --from/--to, else the report's first and last booking dates.
    report_only = alone.result()
    first_booked, last_booked = report_only.booked
    date_from = opts.date_from or (first_booked.date() if first_booked is not None else None)
    date_to = opts.date_to or (last_booked.date() if last_booked is not None else None)
    moved = pl.lit(False)
    for kind, statuses in MONEY_MOVED.items():
        moved = moved | ((pl.col("kind") == kind) & pl.col("status").is_in(statuses))
    in_window = pl.lit(True)
    if date_from is not None:
        in_window = in_window & (pl.col("created_at") >= datetime.combine(date_from, datetime.min.time(), UTC))
    if date_to is not None:
        in_window = in_window & (
            pl.col("created_at") < datetime.combine(date_to + timedelta(days=1), datetime.min.time(), UTC)
        )
    candidate = led.select(moved & in_window)[:, 0]
    missing_in_report = led.filter(candidate & ~ledger_done)
    in_scope = candidate | ledger_done

    # Each pair's flags from a few narrow columns gathered by row number (currencies as one shared Enum).
    currencies = pl.Enum(
        sorted(set(rep["currency"].unique().drop_nulls()) | set(led["currency"].unique().drop_nulls()))
    )
    line_side = rep.select(
        pl.col("amount_minor").abs().gather(pairs["rid"]).alias("amount"),
        pl.col("currency").cast(currencies).gather(pairs["rid"]).alias("currency"),
        pl.col("record_type").is_in([RecordType.REFUND, RecordType.CHARGEBACK]).gather(pairs["rid"]).alias("reversal"),
    )
    ledger_side = led.select(
        pl.col("amount_minor").gather(pairs["pos"]).alias("ledger_amount"),
        pl.col("currency").cast(currencies).gather(pairs["pos"]).alias("ledger_currency"),
        pl.col("status").is_in(FAILED_STATUSES).gather(pairs["pos"]).alias("failed"),
        (~pl.col("status").is_in(REVERSED_DEPOSIT_STATUSES)).gather(pairs["pos"]).alias("not_reversed"),
    )
    same_currency = pl.col("currency") == pl.col("ledger_currency")
    own = pl.col("own")
    flags = pl.concat([pairs, line_side, ledger_side], how="horizontal").select(
        currency_mismatch=~same_currency,
        amount_mismatch=same_currency
        & pl.when(own)
        .then(pl.col("amount") != pl.col("ledger_amount"))
        .otherwise(pl.col("amount") > pl.col("ledger_amount")),
        status_mismatch=pl.when(own).then(pl.col("failed")).otherwise(pl.col("reversal") & pl.col("not_reversed")),
    )

    def report_side(frame: pl.DataFrame, kind: DiscrepancyType, detail: pl.Expr) -> pl.DataFrame:
        def column(name: str) -> pl.Expr:
            return pl.col(name) if name in frame.columns else pl.lit(None)

        return frame.select(
            pl.lit(kind.value).alias("type"),
            pl.col("source_row").alias("report_row"),
            "record_type",
            "psp_reference",
            "merchant_reference",
            column("ledger_reference").alias("ledger_reference"),
            pl.col("currency").alias("report_currency"),
            pl.col("amount_minor").alias("report_amount_minor"),
            column("ledger_currency").alias("ledger_currency"),
            column("ledger_amount_minor").alias("ledger_amount_minor"),
            pl.col("raw_status").alias("report_status"),
            column("ledger_status").alias("ledger_status"),
            column("fee_minor").alias("fee_minor"),
            column("expected_fee_minor").alias("expected_fee_minor"),
            detail.alias("detail"),
        ).cast(DISCREPANCY_COLUMNS)  # type: ignore[arg-type]

    def flagged(name: str) -> pl.DataFrame:
        return _pair_rows(rep, led, pairs.filter(flags[name]))

    how = pl.format("matched by {} ({})", "stage", pl.when("own").then(pl.lit("own")).otherwise(pl.lit("parent")))
    parts = [
        report_side(
            rep.filter(duplicate),
            DiscrepancyType.DUPLICATE_IN_REPORT,
            pl.lit("same booking appears earlier in the report"),
        ),
        report_side(rep.filter(remaining), DiscrepancyType.MISSING_IN_LEDGER, pl.lit("no ledger transaction matches")),
        report_side(flagged("currency_mismatch"), DiscrepancyType.CURRENCY_MISMATCH, how),
        report_side(flagged("amount_mismatch"), DiscrepancyType.AMOUNT_MISMATCH, how),
        report_side(
            flagged("status_mismatch"),
            DiscrepancyType.STATUS_MISMATCH,
            pl.format("{} in the report, {} in the ledger", "record_type", "ledger_status"),
        ),
        missing_in_report.select(
            pl.lit(DiscrepancyType.MISSING_IN_REPORT.value).alias("type"),
            pl.lit(None, pl.Int64).alias("report_row"),
            pl.lit(None, pl.String).alias("record_type"),
            "psp_reference",
            pl.lit(None, pl.String).alias("merchant_reference"),
            pl.col("reference").alias("ledger_reference"),
            pl.lit(None, pl.String).alias("report_currency"),
            pl.lit(None, pl.Int64).alias("report_amount_minor"),
            pl.col("currency").alias("ledger_currency"),
            pl.col("amount_minor").alias("ledger_amount_minor"),
            pl.lit(None, pl.String).alias("report_status"),
            pl.col("status").alias("ledger_status"),
            pl.lit(None, pl.Int64).alias("fee_minor"),
            pl.lit(None, pl.Int64).alias("expected_fee_minor"),
            pl.format("{} {} created {}", "kind", "status", pl.col("created_at").dt.strftime("%Y-%m-%d")).alias(
                "detail"
            ),
        ).cast(DISCREPANCY_COLUMNS),  # type: ignore[arg-type]
    ]
    if report_only.fee_anomalies is not None:
        parts.append(
            report_side(
                report_only.fee_anomalies,
                DiscrepancyType.FEE_ANOMALY,
                pl.lit("fee differs from the contract schedule"),
            )
        )
    discrepancies = pl.concat(parts).sort(["type", "report_row", "ledger_reference"], nulls_last=True)

    report_totals = report_only.totals
    sign = pl.when(pl.col("kind") == "deposit").then(1).otherwise(-1)
    ledger_totals = (
        led.select("currency", (pl.col("amount_minor") * sign).alias("signed"))
        .filter(in_scope)
        .group_by("currency")
        .agg(pl.col("signed").sum().alias("ledger_gross"))
    )
    totals_frame = report_totals.join(ledger_totals, on="currency", how="full", coalesce=True).fill_null(0)
    totals = {
        str(row["currency"]): {
            "report_gross": int(row["report_gross"]),
            "ledger_gross": int(row["ledger_gross"]),
            "difference": int(row["report_gross"]) - int(row["ledger_gross"]),
        }
        for row in totals_frame.filter(pl.col("currency").is_not_null()).sort("currency").iter_rows(named=True)
    }
    return ReconResult(
        psp=psp,
        report_rows=rep.height,
        ledger_rows=int(in_scope.sum()),
        matched=by_reference.height,
        matched_fuzzy=fuzzy.height,
        discrepancies=discrepancies,
        totals=totals,
        summarized=report_only.summarized,
        window=(date_from, date_to),
        pairs=pairs.select(
            "rid",
            led["lid"].gather(pairs["pos"]).alias("lid"),
            "stage",
            relation=pl.when("own").then(pl.lit("own")).otherwise(pl.lit("parent")),
        ),
    )
