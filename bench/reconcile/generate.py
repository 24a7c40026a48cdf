"""Deterministic benchmark data: a ledger CSV and an Adyen settlement-details report with known discrepancies.

``python bench/reconcile/generate.py --rows 1000000 --out DIR`` writes ``ledger.csv``, ``report.csv``, ``fees.yaml``
and ``expected.json`` (the injected count of every discrepancy type). The same ``--seed`` gives byte-identical
files. About 1% of each type is injected, on disjoint rows:

* amount_mismatch: the report is one cent above the ledger;
* currency_mismatch: the report says USD where the ledger says EUR (same amount);
* status_mismatch: the ledger says ``failed`` for a line the report settled;
* duplicate_in_report: a clean line appears a second time;
* missing_in_ledger: report lines in GBP with references the ledger doesn't have (no GBP ledger row is free, so no
  fuzzy match can claim them);
* missing_in_report: credited ledger deposits within the report's dates that the report lacks;
* fee_anomaly: a commission five cents above the contract schedule (1.4% + 0.25 for cards, 0.8% for bank).

Filler ledger rows (declined, so no money moved) make both files exactly ``--rows`` long.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

START = datetime(2026, 3, 1, tzinfo=UTC)
SECONDS = 6 * 24 * 3600
CARD_RATE = (14, 1000)
BANK_RATE = (8, 1000)
CARD_FIXED = 25


def contract_fee(amount: np.ndarray, card: np.ndarray) -> np.ndarray:
    num = np.where(card, CARD_RATE[0], BANK_RATE[0])
    den = np.where(card, CARD_RATE[1], BANK_RATE[1])
    return (amount * 2 * num + den) // (2 * den) + np.where(card, CARD_FIXED, 0)


def ids(prefix: str, count: int, width: int) -> pl.Series:
    return pl.select(pl.lit(prefix) + pl.int_range(0, count).cast(pl.String).str.zfill(width)).to_series()


def decimal(minor: pl.Expr) -> pl.Expr:
    """Integer cents -> "12.34" (exact string arithmetic)."""
    whole = (minor // 100).cast(pl.String)
    cents = (minor % 100).cast(pl.String).str.zfill(2)
    return whole + "." + cents


def generate(rows: int, seed: int, out: Path) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    k = max(rows // 100, 1)
    base = rows - 2 * k - 2
    filler = rows - base - k
    amount = rng.integers(100, 50_000, size=base, dtype=np.int64)
    currency = np.where(rng.random(base) < 0.7, "EUR", "USD")
    card = rng.random(base) < 0.8
    offset = rng.integers(0, SECONDS, size=base)
    order = rng.permutation(base)
    cut = [order[i * k : (i + 1) * k] for i in range(5)]
    amount_bad, currency_bad, status_bad, fee_bad, dup_source = cut

    ledger_currency = currency.copy()
    ledger_currency[currency_bad] = "EUR"
    report_currency = currency.copy()
    report_currency[currency_bad] = "USD"
    report_amount = amount.copy()
    report_amount[amount_bad] += 1
    status = np.full(base, "credited", dtype=object)
    status[status_bad] = "failed"
    fee = contract_fee(report_amount, card)
    fee[fee_bad] += 5

    created = pl.Series(offset, dtype=pl.Int64)
    ledger = pl.DataFrame(
        {
            "reference": ids("D", base, 8),
            "kind": ["deposit"] * base,
            "status": status.astype(str),
            "player_id": (pl.Series(rng.integers(1, 200_000, size=base))).cast(pl.String),
            "amount_minor": amount,
            "currency": ledger_currency,
            "psp": ["adyen"] * base,
            "psp_reference": ids("", base, 16),
            "method": np.where(card, "card", "bank_transfer"),
            "created_s": created,
        }
    )
    missing_report = pl.DataFrame(
        {
            "reference": ids("M", k, 8),
            "kind": ["deposit"] * k,
            "status": ["credited"] * k,
            "player_id": ["1"] * k,
            "amount_minor": rng.integers(100, 50_000, size=k, dtype=np.int64),
            "currency": np.where(rng.random(k) < 0.5, "EUR", "USD"),
            "psp": ["adyen"] * k,
            "psp_reference": ids("9", k, 15),
            "method": ["card"] * k,
            "created_s": rng.integers(24 * 3600, SECONDS - 24 * 3600, size=k),
        }
    )
    fillers = pl.DataFrame(
        {
            "reference": ids("F", filler, 8),
            "kind": ["deposit"] * filler,
            "status": ["declined"] * filler,
            "player_id": ["2"] * filler,
            "amount_minor": rng.integers(100, 50_000, size=filler, dtype=np.int64),
            "currency": ["EUR"] * filler,
            "psp": ["adyen"] * filler,
            "psp_reference": ids("8", filler, 15),
            "method": ["card"] * filler,
            "created_s": rng.integers(0, SECONDS, size=filler),
        }
    )
    start = pl.lit(START)
    full_ledger = (
        pl.concat([ledger, missing_report, fillers])
        .with_columns(created=start + pl.duration(seconds=pl.col("created_s")))
        .select(
            "reference",
            "kind",
            "status",
            "player_id",
            decimal(pl.col("amount_minor")).alias("amount"),
            "currency",
            "psp",
            "psp_reference",
            "method",
            pl.col("created").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("created_at"),
            pl.col("created").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("updated_at"),
        )
    )
    full_ledger = full_ledger.sample(fraction=1.0, shuffle=True, seed=seed)

    # Report lines: booked (CET) ten minutes after the ledger created them.
    lines = pl.DataFrame(
        {
            "psp": ledger["psp_reference"],
            "merchant": ledger["reference"],
            "method": np.where(card, "visa", "ideal"),
            "created_s": created + 600,
            "currency": report_currency,
            "gross": report_amount,
            "fee": fee,
        }
    )
    missing_ledger = pl.DataFrame(
        {
            "psp": ids("7", k, 15),
            "merchant": ids("X", k, 8),
            "method": ["visa"] * k,
            "created_s": rng.integers(0, SECONDS, size=k),
            "currency": ["GBP"] * k,
            "gross": rng.integers(100, 50_000, size=k, dtype=np.int64),
        }
    ).with_columns(fee=pl.lit(0, pl.Int64))
    duplicates = lines[dup_source]
    report = pl.concat([lines, duplicates, missing_ledger]).sample(fraction=1.0, shuffle=True, seed=seed + 1)
    local = (start + pl.duration(seconds=pl.col("created_s") + 3600)).dt.strftime("%Y-%m-%d %H:%M:%S")
    body = report.select(
        pl.lit("Company").alias("Company Account"),
        pl.lit("CasinoEUR").alias("Merchant Account"),
        pl.col("psp").alias("Psp Reference"),
        pl.col("merchant").alias("Merchant Reference"),
        pl.col("method").alias("Payment Method"),
        local.alias("Creation Date"),
        pl.lit("CET").alias("TimeZone"),
        pl.lit("Settled").alias("Type"),
        ("C" + pl.col("psp")).alias("Modification Reference"),
        pl.col("currency").alias("Gross Currency"),
        pl.lit("").alias("Gross Debit (GC)"),
        decimal(pl.col("gross")).alias("Gross Credit (GC)"),
        pl.lit("1").alias("Exchange Rate"),
        pl.col("currency").alias("Net Currency"),
        pl.lit("").alias("Net Debit (NC)"),
        decimal(pl.col("gross") - pl.col("fee")).alias("Net Credit (NC)"),
        decimal(pl.col("fee")).alias("Commission (NC)"),
        pl.lit("").alias("Markup (NC)"),
        pl.lit("").alias("Scheme Fees (NC)"),
        pl.lit("").alias("Interchange (NC)"),
        pl.col("method").alias("Payment Method Variant"),
        pl.lit("").alias("Modification Merchant Reference"),
        pl.lit("42").alias("Batch Number"),
    )
    tail = pl.DataFrame(
        [
            [
                "Company",
                "CasinoEUR",
                "",
                "",
                "",
                "2026-03-07 23:00:00",
                "CET",
                "Fee",
                "Fees",
                "",
                "",
                "",
                "",
                "EUR",
                "12.34",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "42",
            ],
            [
                "Company",
                "CasinoEUR",
                "",
                "",
                "",
                "2026-03-07 23:00:00",
                "CET",
                "MerchantPayout",
                "TX1 batch 42",
                "",
                "",
                "",
                "",
                "EUR",
                "1000.00",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "42",
            ],
        ],
        schema=body.columns,
        orient="row",
    )
    out.mkdir(parents=True, exist_ok=True)
    pl.concat([body, tail]).write_csv(out / "report.csv")
    full_ledger.write_csv(out / "ledger.csv")
    (out / "fees.yaml").write_text(
        "tolerance_minor: 0\nrules:\n"
        "  - {method: card, percent: '1.4', fixed: '0.25', currency: EUR}\n"
        "  - {method: card, percent: '1.4', fixed: '0.25', currency: USD}\n"
        "  - {method: bank_transfer, percent: '0.8'}\n"
    )
    expected = {
        "report_rows": rows,
        "ledger_rows": base + k,
        "matched": base,
        "matched_fuzzy": 0,
        "missing_in_ledger": k,
        "missing_in_report": k,
        "amount_mismatch": k,
        "currency_mismatch": k,
        "status_mismatch": k,
        "duplicate_in_report": k,
        "fee_anomaly": k,
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "paydesk-bench-reconcile")
    args = parser.parse_args()
    print(json.dumps(generate(args.rows, args.seed, args.out)))


if __name__ == "__main__":
    main()
