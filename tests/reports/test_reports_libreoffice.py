"""The exports open in LibreOffice: a real SLA workbook converts to PDF, and LibreOffice reads back the same cells
(numbers as numbers, hostile text still inert). CI installs ``libreoffice-calc-nogui``; locally the test skips
when ``soffice`` is absent."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from paydesk.reports.exports import render, write_file
from paydesk.reports.selectors import SLA_COLUMNS, Report, sla_compliance
from tests.conftest import need
from tests.reports.conftest import Desk


def _soffice(tmp_path: Path, target: str, source: Path) -> Path:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    need(binary is not None, "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    assert binary is not None
    out = tmp_path / f"out-{target}"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            binary,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out / f"{source.stem}.{target.split(':')[0]}"


@pytest.mark.django_db
def test_sla_workbook_converts_to_pdf_and_reads_back_in_libreoffice(desk: Desk, tmp_path: Path) -> None:
    report = sla_compliance(period=desk.period)
    hostile = {**report.rows[0], "dimension": "agent", "key": '=HYPERLINK("http://evil","x")'}
    report = Report(report.name, report.title, report.period, SLA_COLUMNS, [*report.rows, hostile])
    workbook = tmp_path / "sla.xlsx"
    write_file(report, workbook, "xlsx")

    pdf = _soffice(tmp_path, "pdf", workbook).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1

    # LibreOffice's own CSV of our workbook: the table below the title block, cell for cell.
    with _soffice(tmp_path, "csv", workbook).open(newline="", encoding="utf-8") as stream:
        seen = list(csv.reader(stream))
    assert seen[0][0] == "SLA compliance"
    assert seen[1][0] == "Period (UTC): 2024-05-06 to 2024-05-06"
    table = [row[: len(SLA_COLUMNS)] for row in seen[2:]]
    expected = list(csv.reader(render(report, "csv").decode().splitlines()))
    assert table[0] == expected[0]
    assert table[1][:7] == ["all", "all", "first_response", "3", "2", "1", "66.67"]
    assert [row[1] for row in table[1:]] == [row[1] for row in expected[1:]]
    assert table[-1][1] == '\'=HYPERLINK("http://evil","x")'
    assert len(table) == len(expected)
