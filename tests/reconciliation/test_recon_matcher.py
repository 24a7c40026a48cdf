"""The matcher: each discrepancy type on a small report and ledger, the match stages, totals and the window."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import polars as pl

from paydesk.reconciliation.fees import FeeRule, FeeSchedule
from paydesk.reconciliation.ledger import read_ledger_csv
from paydesk.reconciliation.matcher import MatchOptions, ReconResult, reconcile
from paydesk.reconciliation.parsers import parse_report
from tests.reconciliation.helpers import adyen_line, ledger_row, write_adyen, write_ledger

ZERO = {
    "missing_in_ledger": 0,
    "missing_in_report": 0,
    "amount_mismatch": 0,
    "currency_mismatch": 0,
    "status_mismatch": 0,
    "duplicate_in_report": 0,
    "fee_anomaly": 0,
}


def run(tmp_path: Path, lines: list[list[str]], ledger: list[list[str]], **options: object) -> ReconResult:
    report = parse_report("adyen", write_adyen(tmp_path / "report.csv", lines))
    frame = read_ledger_csv(write_ledger(tmp_path / "ledger.csv", ledger))
    return reconcile(report, frame, psp="adyen", options=MatchOptions(**options))  # type: ignore[arg-type]


def test_clean_match_by_psp_reference(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "D2", "5.50")],
        [ledger_row("D1", "P1", "10.00"), ledger_row("D2", "P2", "5.50")],
    )
    assert result.summary() == {
        "psp": "adyen",
        "report_rows": 2,
        "ledger_rows": 2,
        "matched": 2,
        "matched_fuzzy": 0,
        "discrepancies": ZERO,
        "totals": {"EUR": {"report_gross": "15.50", "ledger_gross": "15.50", "difference": "0.00"}},
    }


def test_each_discrepancy_type_once(tmp_path: Path) -> None:
    lines = [
        adyen_line("P1", "D1", "10.00"),  # clean
        adyen_line("P2", "D2", "7.00"),  # amount: ledger says 7.01
        adyen_line("P3", "D3", "3.00", currency="USD"),  # currency: ledger says EUR
        adyen_line("P4", "D4", "4.00"),  # status: ledger failed
        adyen_line("P1", "D1", "10.00"),  # duplicate of the first line
        adyen_line("P9", "NOPE", "9.99"),  # missing in ledger
        adyen_line("P1", "D1", "10.00", type="Refunded", modification="R1"),  # refund while ledger still credited
    ]
    ledger = [
        ledger_row("D1", "P1", "10.00"),
        ledger_row("D2", "P2", "7.01"),
        ledger_row("D3", "P3", "3.00"),
        ledger_row("D4", "P4", "4.00", status="failed"),
        ledger_row("D5", "P5", "1.00"),  # missing in report
        ledger_row("D6", "P6", "1.00", status="declined"),  # no money moved: not missing
        ledger_row("D7", "P7", "1.00", created="2026-03-05T00:00:00Z"),  # outside the report's dates
        ledger_row("O1", "P8", "1.00", psp="stripe"),  # another PSP
    ]
    result = run(tmp_path, lines, ledger)
    assert result.counts() == {
        "missing_in_ledger": 1,
        "missing_in_report": 1,
        "amount_mismatch": 1,
        "currency_mismatch": 1,
        "status_mismatch": 2,
        "duplicate_in_report": 1,
        "fee_anomaly": 0,
    }
    rows = dict.fromkeys(result.discrepancies.select("type", "report_row", "ledger_reference").iter_rows())
    assert set(rows) == {
        ("amount_mismatch", 3, "D2"),
        ("currency_mismatch", 4, "D3"),
        ("status_mismatch", 5, "D4"),
        ("status_mismatch", 8, "D1"),
        ("duplicate_in_report", 6, None),
        ("missing_in_ledger", 7, None),
        ("missing_in_report", None, "D5"),
    }
    assert result.matched == 5
    assert result.window == (date(2026, 3, 2), date(2026, 3, 2))
    # Report: 10 + 7 + 4 + 10 + 9.99 - 10 EUR; ledger in scope: D1, D2, D4, D5 (D3 is USD in the report only).
    assert result.summary()["totals"] == {
        "EUR": {"report_gross": "30.99", "ledger_gross": "25.01", "difference": "5.98"},
        "USD": {"report_gross": "3.00", "ledger_gross": "0.00", "difference": "3.00"},
    }


def test_refund_matches_its_own_ledger_refund_first(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [adyen_line("P1", "D1", "10.00"), adyen_line("P1", "D1", "4.00", type="Refunded", modification="R1")],
        [
            ledger_row("D1", "P1", "10.00", status="partially_refunded"),
            ledger_row("F1", "R1", "4.00", kind="refund", status="succeeded"),
        ],
    )
    assert result.counts() == ZERO
    assert sorted(result.pairs["stage"].to_list()) == ["psp_reference", "psp_reference"]
    assert result.summary()["totals"]["EUR"]["difference"] == "0.00"


def test_merchant_reference_then_fuzzy(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [
            adyen_line("UNKNOWN1", "D1", "10.00"),  # PSP ref unknown to the ledger, our reference is right
            adyen_line("UNKNOWN2", "x", "12.34", created="2026-03-02 12:00:00"),  # only amount/time/method fit
            adyen_line("UNKNOWN3", "y", "5.00"),  # two ledger candidates: never guessed
        ],
        [
            ledger_row("D1", "", "10.00"),
            ledger_row("D2", "", "12.34", created="2026-03-02T10:30:00Z"),
            ledger_row("D3", "", "5.00"),
            ledger_row("D4", "", "5.00"),
        ],
    )
    assert (result.matched, result.matched_fuzzy) == (1, 1)
    assert result.counts()["missing_in_ledger"] == 1
    assert result.counts()["missing_in_report"] == 2
    assert sorted(result.pairs["stage"].to_list()) == ["fuzzy", "merchant_reference"]


def test_fuzzy_refuses_other_method_and_far_times(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [adyen_line("U1", "x", "12.34", method="ideal"), adyen_line("U2", "y", "8.00")],
        [ledger_row("D1", "", "12.34", method="card"), ledger_row("D2", "", "8.00", created="2026-02-20T00:00:00Z")],
    )
    assert result.matched_fuzzy == 0
    assert result.counts()["missing_in_ledger"] == 2


def test_from_to_override_the_window(tmp_path: Path) -> None:
    ledger = [ledger_row("D1", "P1", "1.00"), ledger_row("D7", "P7", "1.00", created="2026-03-05T23:59:59Z")]
    narrow = run(tmp_path, [adyen_line("P1", "D1", "1.00")], ledger)
    wide = run(tmp_path, [adyen_line("P1", "D1", "1.00")], ledger, date_to=date(2026, 3, 5))
    assert narrow.counts()["missing_in_report"] == 0
    assert wide.counts()["missing_in_report"] == 1
    assert wide.window == (date(2026, 3, 2), date(2026, 3, 5))


def test_fee_anomaly_with_contract_fees(tmp_path: Path) -> None:
    schedule = FeeSchedule(rules=(FeeRule(method="card", currency="EUR", rate=Fraction(15, 1000), fixed_minor=10),))
    lines = [
        adyen_line("P1", "D1", "100.00", commission="1.60"),  # 1.5% + 0.10 = 1.60: as agreed
        adyen_line("P2", "D2", "100.00", commission="1.61"),  # a cent more
        adyen_line("P3", "D3", "0.33", commission="0.11"),  # 0.00495 -> 0.00 (half-up) + 0.10 = 0.10
    ]
    ledger = [ledger_row("D1", "P1", "100.00"), ledger_row("D2", "P2", "100.00"), ledger_row("D3", "P3", "0.33")]
    result = run(tmp_path, lines, ledger, fees=schedule)
    anomalies = result.discrepancies.filter(pl.col("type") == "fee_anomaly")
    assert anomalies.select("report_row", "fee_minor", "expected_fee_minor").rows() == [(3, 161, 160), (4, 11, 10)]
    assert run(tmp_path, lines, ledger).counts()["fee_anomaly"] == 0


def test_fee_and_payout_lines_are_summarized_not_matched(shared_data: Path, tmp_path: Path) -> None:
    report = parse_report("adyen", shared_data / "psp_reports/smashpig/adyen__settlement_detail_report_refund.csv")
    empty = read_ledger_csv(write_ledger(tmp_path / "l.csv", []))
    result = reconcile(report, empty, psp="adyen")
    assert result.counts()["missing_in_ledger"] == 1  # the refund only
    assert result.summarized.select("record_type", "currency", "lines", "amount_minor").rows() == [
        ("fee", "USD", 1, -180),
        ("payout", "USD", 1, -403),
    ]


def test_pairs_are_row_positions_in_the_given_frames(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [
            adyen_line("P1", "D1", "10.00"),
            adyen_line("P2", "D2", "5.00"),
            adyen_line("P1", "D1", "4.00", type="Refunded", modification="R1"),
        ],
        [
            ledger_row("O1", "P9", "1.00", psp="stripe"),
            ledger_row("D1", "P1", "10.00", status="partially_refunded"),
            ledger_row("D2", "P2", "5.00"),
            ledger_row("F1", "R1", "4.00", kind="refund", status="succeeded"),
        ],
    )
    assert result.pairs.sort("rid").rows() == [
        (0, 1, "psp_reference", "own"),
        (1, 2, "psp_reference", "own"),
        (2, 3, "psp_reference", "own"),
    ]


def test_duplicate_is_the_same_booking_not_the_same_psp_reference(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [
            adyen_line("P1", "D1", "10.00"),
            adyen_line("P1", "D1", "4.00", type="Refunded", modification="R1"),
            adyen_line("P1", "D1", "4.00", type="Refunded", modification="R1"),  # the same refund again
            adyen_line("P1", "D1", "1.00", type="Refunded", modification="R2"),  # another refund of P1
            adyen_line("", "D9", "2.00"),  # no PSP reference: never a duplicate
            adyen_line("", "D9", "2.00"),
        ],
        [
            ledger_row("D1", "P1", "10.00", status="partially_refunded"),
            ledger_row("F1", "R1", "4.00", kind="refund", status="succeeded"),
            ledger_row("F2", "R2", "1.00", kind="refund", status="succeeded"),
        ],
    )
    duplicates = result.discrepancies.filter(pl.col("type") == "duplicate_in_report")
    assert duplicates.select("report_row", "psp_reference").rows() == [(4, "P1")]
    assert result.matched == 3
