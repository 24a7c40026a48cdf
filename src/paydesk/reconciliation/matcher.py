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

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from paydesk.core.money import format_minor
from paydesk.reconciliation.fees import FeeSchedule
from paydesk.reconciliation.schema import MATCHED_TYPES, SUMMARIZED_TYPES, DiscrepancyType, RecordType

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


LINE_FIELDS = (
    "rid", "source_row", "record_type", "psp_reference", "merchant_reference", "amount_minor", "currency",
    "raw_status", "family",
)  # fmt: skip
LEDGER_FIELDS = ("lid", "ledger_reference", "ledger_amount_minor", "ledger_currency", "ledger_status", "family")


def _keep(frame: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
    """``frame.filter(condition)``, without copying every column when every row stays."""
    mask = frame.select(condition.fill_null(False).alias("keep"))["keep"]
    return frame if mask.all() else frame.filter(mask)


def _join_stage(
    pool: pl.DataFrame,
    ledger: pl.DataFrame,
    *,
    report_key: str,
    ledger_key: str,
    parent: bool,
    stage: str,
) -> pl.DataFrame:
    """Pairs of one stage. Ledger keys are unique within a PSP (reference; PSP reference, as in the database),
    so a line finds at most one ledger row per stage."""
    left = pool.filter(pl.col(report_key).is_not_null())
    if parent:
        left = left.filter(pl.col("family") != "pay")
    families = ["pay"] if parent else left["family"].unique().to_list()
    right = _keep(
        ledger.select(*LEDGER_FIELDS, pl.col(ledger_key).alias("__key")).filter(pl.col("__key").is_not_null()),
        pl.col("family").is_in(families),
    )
    joined = left.select(*LINE_FIELDS, pl.col(report_key).alias("__key")).join(
        right, on="__key", how="inner", suffix="_ledger"
    )
    if not parent:
        joined = joined.filter(pl.col("family") == pl.col("family_ledger"))
    return joined.select(
        *LINE_FIELDS[:-1],
        *LEDGER_FIELDS[:-1],
        pl.lit(stage).alias("stage"),
        pl.lit("parent" if parent else "own").alias("relation"),
    )


def _fuzzy(pool: pl.DataFrame, ledger: pl.DataFrame, window: timedelta) -> pl.DataFrame:
    left = pool.filter(pl.col("booked_at").is_not_null()).select(
        "rid", "currency", pl.col("amount_minor").abs().alias("abs_amount"), "family", "booked_at", "method"
    )
    right = ledger.select(
        "lid",
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
    unique = joined.filter((pl.len().over("rid") == 1) & (pl.len().over("lid") == 1)).select("rid", "lid")
    return (
        unique.join(pool.select(*LINE_FIELDS[:-1]), on="rid")
        .join(ledger.select(*LEDGER_FIELDS[:-1]), on="lid")
        .select(*LINE_FIELDS[:-1], *LEDGER_FIELDS[:-1], pl.lit("fuzzy").alias("stage"), pl.lit("own").alias("relation"))
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

    ``ledger_psp`` is the PSP code in the ledger (defaults to ``psp``); other PSPs' rows are ignored.
    """
    opts = options or MatchOptions()
    code = (ledger_psp or psp).lower()
    rep = report.with_row_index("rid")
    lines = _keep(rep, pl.col("record_type").is_in(MATCHED_TYPES)).with_columns(
        family=pl.col("record_type").replace_strict(TYPE_FAMILY, return_dtype=pl.String)
    )
    led = (
        _keep(ledger, pl.col("psp") == code)
        .with_row_index("lid")
        .with_columns(
            family=pl.col("kind").replace_strict(KIND_FAMILY, default=None, return_dtype=pl.String),
            ledger_reference=pl.col("reference"),
            ledger_amount_minor=pl.col("amount_minor"),
            ledger_currency=pl.col("currency"),
            ledger_status=pl.col("status"),
        )
    )

    first = pl.struct("record_type", "psp_reference", "modification_reference").is_first_distinct()
    lines = lines.with_columns(duplicate=pl.col("psp_reference").is_not_null() & ~first)
    pool = _keep(lines, ~pl.col("duplicate"))

    # Matched flags by row index (numpy scatter): cheaper than anti-joins and unique() on a million rows.
    line_done = np.zeros(rep.height, dtype=bool)
    ledger_done = np.zeros(led.height, dtype=bool)
    pairs_parts: list[pl.DataFrame] = []
    stages = (
        ("modification_reference", "psp_reference", False, "psp_reference"),
        ("psp_reference", "psp_reference", False, "psp_reference"),
        ("psp_reference", "psp_reference", True, "psp_reference"),
        ("merchant_reference", "reference", False, "merchant_reference"),
        ("merchant_reference", "reference", True, "merchant_reference"),
    )
    remaining = pool
    for report_key, ledger_key, parent, stage in stages:
        if remaining.is_empty():
            break
        found = _join_stage(remaining, led, report_key=report_key, ledger_key=ledger_key, parent=parent, stage=stage)
        if found.height:
            pairs_parts.append(found)
            line_done[found["rid"].to_numpy()] = True
            ledger_done[found["lid"].to_numpy()] = True
            remaining = remaining.filter(~pl.Series(line_done).gather(remaining["rid"]))
    empty_pairs = _join_stage(pool.clear(), led.clear(), report_key="psp_reference", ledger_key="psp_reference",
                              parent=False, stage="none")  # fmt: skip
    by_reference = pl.concat(pairs_parts) if pairs_parts else empty_pairs
    fuzzy = empty_pairs
    if remaining.height:
        fuzzy = _fuzzy(remaining, led.filter(~pl.Series(ledger_done)), opts.fuzzy_window)
        if fuzzy.height:
            line_done[fuzzy["rid"].to_numpy()] = True
            ledger_done[fuzzy["lid"].to_numpy()] = True
            remaining = remaining.filter(~pl.Series(line_done).gather(remaining["rid"]))
    pairs = pl.concat([by_reference, fuzzy])

    # Window of missing_in_report: --from/--to, else the report's first and last booking dates.
    booked = lines["booked_at"].drop_nulls()
    date_from = opts.date_from or (booked.min().date() if booked.len() else None)  # type: ignore[union-attr]
    date_to = opts.date_to or (booked.max().date() if booked.len() else None)  # type: ignore[union-attr]
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
    matched = pl.Series("matched", ledger_done)
    missing_in_report = led.filter(candidate & ~matched)
    scoped_ledger = led.filter(candidate | matched)

    same_currency = pl.col("currency") == pl.col("ledger_currency")
    amount = pl.col("amount_minor").abs()
    own = pl.col("relation") == "own"
    flags = pairs.with_columns(
        currency_mismatch=~same_currency,
        amount_mismatch=same_currency
        & pl.when(own).then(amount != pl.col("ledger_amount_minor")).otherwise(amount > pl.col("ledger_amount_minor")),
        status_mismatch=pl.when(own)
        .then(pl.col("ledger_status").is_in(FAILED_STATUSES))
        .otherwise(
            pl.col("record_type").is_in([RecordType.REFUND, RecordType.CHARGEBACK])
            & ~pl.col("ledger_status").is_in(REVERSED_DEPOSIT_STATUSES)
        ),
    )

    def report_side(frame: pl.DataFrame, kind: DiscrepancyType, detail: pl.Expr) -> pl.DataFrame:
        return frame.select(
            pl.lit(kind.value).alias("type"),
            pl.col("source_row").alias("report_row"),
            "record_type",
            "psp_reference",
            "merchant_reference",
            (pl.col("ledger_reference") if "ledger_reference" in frame.columns else pl.lit(None, pl.String)).alias(
                "ledger_reference"
            ),
            pl.col("currency").alias("report_currency"),
            pl.col("amount_minor").alias("report_amount_minor"),
            (pl.col("ledger_currency") if "ledger_currency" in frame.columns else pl.lit(None, pl.String)).alias(
                "ledger_currency"
            ),
            (pl.col("ledger_amount_minor") if "ledger_amount_minor" in frame.columns else pl.lit(None, pl.Int64)).alias(
                "ledger_amount_minor"
            ),
            pl.col("raw_status").alias("report_status"),
            (pl.col("ledger_status") if "ledger_status" in frame.columns else pl.lit(None, pl.String)).alias(
                "ledger_status"
            ),
            (pl.col("fee_minor") if "fee_minor" in frame.columns else pl.lit(None, pl.Int64)).alias("fee_minor"),
            (pl.col("expected_fee_minor") if "expected_fee_minor" in frame.columns else pl.lit(None, pl.Int64)).alias(
                "expected_fee_minor"
            ),
            detail.alias("detail"),
        ).cast(DISCREPANCY_COLUMNS)  # type: ignore[arg-type]

    parts = [
        report_side(
            lines.filter(pl.col("duplicate")),
            DiscrepancyType.DUPLICATE_IN_REPORT,
            pl.lit("same booking appears earlier in the report"),
        ),
        report_side(remaining, DiscrepancyType.MISSING_IN_LEDGER, pl.lit("no ledger transaction matches")),
        report_side(
            flags.filter("currency_mismatch"),
            DiscrepancyType.CURRENCY_MISMATCH,
            pl.format("matched by {} ({})", "stage", "relation"),
        ),
        report_side(
            flags.filter("amount_mismatch"),
            DiscrepancyType.AMOUNT_MISMATCH,
            pl.format("matched by {} ({})", "stage", "relation"),
        ),
        report_side(
            flags.filter("status_mismatch"),
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
    if opts.fees is not None:
        priced = rep.filter(
            (pl.col("record_type") == RecordType.PAYMENT)
            & pl.col("fee_minor").is_not_null()
            & (pl.col("net_currency") == pl.col("currency"))
        )
        priced = priced.with_columns(expected_fee_minor=opts.fees.expected(priced)).filter(
            pl.col("expected_fee_minor").is_not_null()
            & ((pl.col("fee_minor") - pl.col("expected_fee_minor")).abs() > opts.fees.tolerance_minor)
        )
        parts.append(report_side(priced, DiscrepancyType.FEE_ANOMALY, pl.lit("fee differs from the contract schedule")))
    discrepancies = pl.concat(parts).sort(["type", "report_row"], nulls_last=True)

    report_totals = lines.group_by("currency").agg(pl.col("amount_minor").sum().alias("report_gross"))
    sign = pl.when(pl.col("kind") == "deposit").then(1).otherwise(-1)
    ledger_totals = scoped_ledger.group_by("currency").agg((pl.col("amount_minor") * sign).sum().alias("ledger_gross"))
    totals_frame = report_totals.join(ledger_totals, on="currency", how="full", coalesce=True).fill_null(0)
    totals = {
        str(row["currency"]): {
            "report_gross": int(row["report_gross"]),
            "ledger_gross": int(row["ledger_gross"]),
            "difference": int(row["report_gross"]) - int(row["ledger_gross"]),
        }
        for row in totals_frame.filter(pl.col("currency").is_not_null()).iter_rows(named=True)
    }
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
    return ReconResult(
        psp=psp,
        report_rows=report.height,
        ledger_rows=scoped_ledger.height,
        matched=by_reference.height,
        matched_fuzzy=fuzzy.height,
        discrepancies=discrepancies,
        totals=totals,
        summarized=summarized,
        window=(date_from, date_to),
        pairs=pairs,
    )
