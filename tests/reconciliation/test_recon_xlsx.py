"""Formula-injection guard and exact money cells of the reconciliation workbook."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from paydesk.reconciliation.matcher import DISCREPANCY_COLUMNS, ReconResult
from paydesk.reconciliation.xlsx import exact_number, safe_text, write_report


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_dangerous_text_is_prefixed(text: str) -> None:
    assert safe_text(text) == "'" + text


def test_plain_text_is_untouched() -> None:
    assert safe_text("CM1000028854") == "CM1000028854"
    assert safe_text("a=b") == "a=b"


def test_numbers_only_when_they_round_trip() -> None:
    assert exact_number(123456, "EUR") == 1234.56
    assert exact_number(-1, "BTC") == -0.00000001
    assert exact_number(999_999_999_999_999, "EUR") == 9999999999999.99  # 15 digits
    assert exact_number(1_000_000_000_000_000, "EUR") is None  # 16 digits: written as text
    assert exact_number(123456789_12345678, "BTC") is None


def test_long_amount_is_written_as_exact_text(tmp_path: Path) -> None:
    row = dict.fromkeys(DISCREPANCY_COLUMNS)
    row.update(
        type="missing_in_ledger", report_row=2, report_currency="BTC", report_amount_minor=-123456789012345678,
        psp_reference="-5", detail="x",
    )  # fmt: skip
    result = ReconResult(
        psp="adyen",
        report_rows=1,
        ledger_rows=0,
        matched=0,
        matched_fuzzy=0,
        discrepancies=pl.DataFrame([row], schema=DISCREPANCY_COLUMNS),
        totals={"BTC": {"report_gross": -123456789012345678, "ledger_gross": 0, "difference": -123456789012345678}},
        summarized=pl.DataFrame(),
        window=(date(2026, 1, 1), date(2026, 1, 1)),
        pairs=pl.DataFrame(),
    )
    out = tmp_path / "r.xlsx"
    write_report(result, out)
    sheet = pl.read_excel(out, sheet_name="missing_in_ledger", engine="calamine")
    assert sheet["Report amount"].to_list() == ["'-1234567890.12345678"]
    assert sheet["Report amount (minor units)"].to_list() == ["'-123456789012345678"]
    assert sheet["PSP reference"].to_list() == ["'-5"]


def test_workbook_opens_in_libreoffice(tmp_path: Path) -> None:
    """LibreOffice (headless) converts the workbook to PDF: the file is a spreadsheet it can open and render."""
    import shutil
    import subprocess

    from tests.conftest import need

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    need(soffice is not None, "LibreOffice (soffice) is not installed")
    assert soffice is not None
    row = dict.fromkeys(DISCREPANCY_COLUMNS)
    row.update(
        type="amount_mismatch", report_row=3, report_currency="EUR", report_amount_minor=700, ledger_currency="EUR",
        ledger_amount_minor=750, psp_reference="=cmd|' /C calc'!A0", detail="x",
    )  # fmt: skip
    result = ReconResult(
        psp="adyen",
        report_rows=1,
        ledger_rows=1,
        matched=1,
        matched_fuzzy=0,
        discrepancies=pl.DataFrame([row], schema=DISCREPANCY_COLUMNS),
        totals={"EUR": {"report_gross": 700, "ledger_gross": 750, "difference": -50}},
        summarized=pl.DataFrame(),
        window=(date(2026, 3, 2), date(2026, 3, 2)),
        pairs=pl.DataFrame(),
    )
    book = tmp_path / "recon.xlsx"
    write_report(result, book)
    done = subprocess.run(  # noqa: S603 - a fixed LibreOffice command line
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(book)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    pdf = tmp_path / "recon.pdf"
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf.stat().st_size > 1000
