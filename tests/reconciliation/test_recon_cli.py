"""``paydesk reconcile``: file to file without Django, the exact JSON keys, one-line errors, the XLSX report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from paydesk.reconciliation.cli import ALLOCATOR_CONF
from tests.reconciliation.helpers import adyen_line, ledger_row, write_adyen, write_ledger


def paydesk(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env["PAYDESK_HOME"] = str(home)
    return subprocess.run(  # noqa: S603 - our own CLI with test arguments
        [sys.executable, "-m", "paydesk.cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    report = write_adyen(
        tmp_path / "settlement.csv",
        [
            adyen_line("P1", "D1", "10.00"),
            adyen_line("P2", "D2", "7.00"),
            adyen_line("P2", "D2", "7.00"),
            adyen_line("P3", '=HYPERLINK("http://x")', "3.00"),
        ],
    )
    ledger = write_ledger(
        tmp_path / "ledger.csv",
        [ledger_row("D1", "P1", "10.00"), ledger_row("D2", "P2", "7.50"), ledger_row("D9", "P9", "1.00")],
    )
    return report, ledger


def test_file_to_file_json_without_django(tmp_path: Path, files: tuple[Path, Path]) -> None:
    report, ledger = files
    home = tmp_path / "home"
    done = paydesk("reconcile", "--psp", "adyen", "--report", str(report), "--ledger", str(ledger), "--json", home=home)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary == {
        "psp": "adyen",
        "report_rows": 4,
        "ledger_rows": 3,
        "matched": 2,
        "matched_fuzzy": 0,
        "discrepancies": {
            "missing_in_ledger": 1,
            "missing_in_report": 1,
            "amount_mismatch": 1,
            "currency_mismatch": 0,
            "status_mismatch": 0,
            "duplicate_in_report": 1,
            "fee_anomaly": 0,
        },
        "totals": {"EUR": {"report_gross": "27.00", "ledger_gross": "18.50", "difference": "8.50"}},
    }
    # Importing the settings module creates PAYDESK_HOME: it was never imported.
    assert not home.exists()


def _reconcile_in_subprocess(
    tmp_path: Path, files: tuple[Path, Path], after: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the file-to-file command as the console script does, then ``after`` (which prints to stderr)."""
    report, ledger = files
    code = f"import os, sys\nfrom paydesk.cli import main\nmain(sys.argv[1:])\n{after}\n"
    drop = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "_RJEM_MALLOC_CONF"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PAYDESK_HOME=str(tmp_path / "home"), **(env_extra or {}))
    done = subprocess.run(  # noqa: S603 - our own CLI with test arguments
        [sys.executable, "-c", code, "reconcile", "--psp", "adyen", "--report", str(report), "--ledger", str(ledger),
         "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_file_to_file_loads_neither_the_orm_nor_numpy(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """The benchmark times the real command, imports included: the file path must not pay for Django or numpy."""
    after = "print(sorted(name for name in ('django.db', 'numpy') if name in sys.modules), file=sys.stderr)"

    done = _reconcile_in_subprocess(tmp_path, files, after)

    assert json.loads(done.stdout)["matched"] == 2
    assert done.stderr.splitlines()[-1] == "[]"


@pytest.mark.parametrize("own", [None, "narenas:4"])
def test_file_to_file_sets_the_allocator_option_unless_the_user_did(
    tmp_path: Path, files: tuple[Path, Path], own: str | None
) -> None:
    """Polars' jemalloc reads ``_RJEM_MALLOC_CONF`` when Polars is imported: the command sets it before then (Polars
    adds its own defaults in front), and never over an option the user gave."""
    extra = {} if own is None else {"_RJEM_MALLOC_CONF": own}

    done = _reconcile_in_subprocess(tmp_path, files, "print(os.environ['_RJEM_MALLOC_CONF'], file=sys.stderr)", extra)

    options = done.stderr.splitlines()[-1]
    if own is None:
        assert ALLOCATOR_CONF in options
    else:
        assert own in options
        assert ALLOCATOR_CONF not in options


def test_unreadable_ledger_is_one_line_naming_file_row_column(tmp_path: Path, files: tuple[Path, Path]) -> None:
    report, _ = files
    ledger = write_ledger(tmp_path / "bad.csv", [ledger_row("D1", "P1", "10.00"), ledger_row("D2", "P2", "ten")])
    done = paydesk("reconcile", "--psp", "adyen", "--report", str(report), "--ledger", str(ledger), "--json",
                   home=tmp_path / "h")  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"paydesk: error: {ledger}, row 3, column 'amount': invalid amount 'ten' for EUR: expected a plain decimal "
        "like 1234.56 (no thousands separators, commas or exponents)\n"
    )


def test_unknown_psp_and_bad_dates_are_refused(tmp_path: Path, files: tuple[Path, Path]) -> None:
    report, ledger = files
    done = paydesk("reconcile", "--psp", "klarna", "--report", str(report), "--ledger", str(ledger), home=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("paydesk: error: --psp 'klarna' is not supported")
    done = paydesk("reconcile", "--psp", "adyen", "--report", str(report), "--ledger", str(ledger), "--from",
                   "2026-13-01", home=tmp_path)  # fmt: skip
    assert done.stderr == "paydesk: error: --from '2026-13-01' is not a date (expected YYYY-MM-DD)\n"


def test_xlsx_report_reads_back_exact_and_inert(tmp_path: Path, files: tuple[Path, Path]) -> None:
    report, ledger = files
    out = tmp_path / "recon.xlsx"
    done = paydesk("reconcile", "--psp", "adyen", "--report", str(report), "--ledger", str(ledger), "--out", str(out),
                   "--json", home=tmp_path / "h")  # fmt: skip
    assert done.returncode == 0, done.stderr
    sheets = pl.read_excel(out, sheet_id=0, engine="calamine")
    assert list(sheets) == [
        "Summary", "missing_in_ledger", "missing_in_report", "amount_mismatch", "currency_mismatch",
        "status_mismatch", "duplicate_in_report", "fee_anomaly",
    ]  # fmt: skip
    amount = sheets["amount_mismatch"]
    assert amount.select("Report row", "Report amount", "Ledger amount", "Report amount (minor units)").rows() == [
        (3, 7.0, 7.5, 700)
    ]
    missing = sheets["missing_in_ledger"]
    # The merchant reference began with "=": written as text with an apostrophe, never as a formula.
    assert missing["Merchant reference"].to_list() == ['\'=HYPERLINK("http://x")']
    summary = sheets["Summary"]
    assert summary.filter(pl.col("Item") == "Discrepancies: duplicate_in_report")["Value"].to_list() == ["1"]
    with zipfile.ZipFile(out) as book:
        xml = "".join(book.read(name).decode() for name in book.namelist() if name.startswith("xl/worksheets/"))
    assert "<f>" not in xml
    assert xml.count('<pane ySplit="1"') == 8
    assert xml.count("<autoFilter") == 8


def test_django_start_up_does_not_import_polars(tmp_path: Path) -> None:
    """Every CLI command and server process sets Django up; only reconciling should pay for Polars."""
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'paydesk.config.settings'\n"
        "import django; django.setup(); print('polars' in sys.modules)"
    )
    env = {**os.environ, "PAYDESK_HOME": str(tmp_path)}

    done = subprocess.run(  # noqa: S603 - our own interpreter with fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False
    )

    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr
