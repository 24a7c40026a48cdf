"""The two reference implementations the benchmark compares ``paydesk reconcile`` with.

* ``duckdb``: a DuckDB hash join of the two CSVs on the reference columns, counting matched and unmatched rows on
  both sides: the least any reconciliation must do (read both files, join once), so the lower bound.
* ``pandas``: a straightforward pandas implementation of the same discrepancy rules (PSP reference, then merchant
  reference, duplicates, amount/currency/status checks, missing in report within the dates, fee schedule), the way
  one would write it first: object-dtype strings, ``merge`` and float amounts rounded to cents.

``python bench/reconcile/baselines.py duckdb|pandas REPORT LEDGER`` prints its counts as JSON.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def duckdb_join(report: str, ledger: str) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("CREATE TABLE r AS SELECT * FROM read_csv(?, all_varchar=true, header=true)", [report])
    con.execute("CREATE TABLE l AS SELECT * FROM read_csv(?, all_varchar=true, header=true)", [ledger])
    matched, report_only, ledger_only = con.execute(
        """
        SELECT count(*) FILTER (WHERE r.in_r AND l.in_l),
               count(*) FILTER (WHERE l.in_l IS NULL),
               count(*) FILTER (WHERE r.in_r IS NULL)
        FROM (SELECT "Psp Reference", true AS in_r FROM r) r
        FULL OUTER JOIN (SELECT psp_reference, true AS in_l FROM l) l ON r."Psp Reference" = l.psp_reference
        """
    ).fetchone()  # type: ignore[misc]
    return {"matched_rows": matched, "report_only": report_only, "ledger_only": ledger_only}


def pandas_merge(report: str, ledger: str) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    r = pd.read_csv(report, dtype=str, keep_default_na=False)
    led = pd.read_csv(ledger, dtype=str, keep_default_na=False)
    r = r[r["Type"] == "Settled"].copy()
    r["amount_minor"] = (pd.to_numeric(r["Gross Credit (GC)"]) * 100).round().astype("int64")
    r["fee_minor"] = (pd.to_numeric(r["Commission (NC)"].replace("", "0")) * 100).round().astype("int64")
    led["amount_minor"] = (pd.to_numeric(led["amount"]) * 100).round().astype("int64")
    led["created"] = pd.to_datetime(led["created_at"], utc=True)
    dup = r.duplicated(subset=["Type", "Psp Reference", "Modification Reference"], keep="first")
    lines = r[~dup]
    by_psp = lines.merge(led, left_on="Psp Reference", right_on="psp_reference", how="left", indicator=True)
    found = by_psp[by_psp["_merge"] == "both"]
    rest = lines[~lines["Psp Reference"].isin(found["Psp Reference"])]
    by_ref = rest.merge(led, left_on="Merchant Reference", right_on="reference", how="inner")
    pairs = pd.concat([found, by_ref])
    same = pairs["Gross Currency"] == pairs["currency"]
    failed = {"declined", "failed", "expired", "cancelled", "rejected"}
    booked = pd.to_datetime(r["Creation Date"]) - pd.Timedelta(hours=1)
    start = booked.min().normalize().tz_localize("UTC")
    end = booked.max().normalize().tz_localize("UTC") + pd.Timedelta(days=1)
    moved = led["status"].isin(["confirmed", "credited", "refunded", "partially_refunded", "charged_back"])
    window = (led["created"] >= start) & (led["created"] < end)
    missing_report = led[moved & window & ~led["reference"].isin(pairs["reference"])]
    card = r["Payment Method"].isin(["visa", "mc", "amex"])
    num = np.where(card, 14, 8)
    den = 1000
    expected = (r["amount_minor"].to_numpy() * 2 * num + den) // (2 * den) + np.where(card, 25, 0)
    return {
        "matched": len(pairs),
        "missing_in_ledger": len(lines) - len(pairs),
        "missing_in_report": len(missing_report),
        "amount_mismatch": int((same & (pairs["amount_minor_x"] != pairs["amount_minor_y"])).sum()),
        "currency_mismatch": int((~same).sum()),
        "status_mismatch": int(pairs["status"].isin(failed).sum()),
        "duplicate_in_report": int(dup.sum()),
        "fee_anomaly": int((r["Gross Currency"].isin(["EUR", "USD"]) & (r["fee_minor"] != expected)).sum()),
    }


if __name__ == "__main__":
    name, report_path, ledger_path = sys.argv[1:4]
    impl = {"duckdb": duckdb_join, "pandas": pandas_merge}[name]
    print(json.dumps(impl(report_path, ledger_path)))
