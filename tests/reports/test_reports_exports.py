from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from paydesk.core.errors import ValidationError
from paydesk.reports.exports import render, table, write_file
from paydesk.reports.selectors import BACKLOG_COLUMNS, SLA_COLUMNS, Period, Report

PERIOD = Period(datetime(2024, 5, 6, tzinfo=UTC), datetime(2024, 5, 8, tzinfo=UTC))
DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd"]


def _sla_report() -> Report:
    rows = [
        {
            "dimension": "agent",
            "key": name,
            "metric": "first_response",
            "measured": 3,
            "met": 2,
            "breached": 1,
            "met_pct": 66.67,
            "p50_seconds": 600.0,
            "p90_seconds": 5640.0,
        }
        for name in [*DANGEROUS, "alice"]
    ]
    rows.append({**rows[-1], "key": "bob", "p50_seconds": None, "p90_seconds": None, "met_pct": None})
    return Report("sla", "SLA compliance", PERIOD, SLA_COLUMNS, rows)


def test_period_label_names_both_inclusive_days() -> None:
    assert PERIOD.label == "2024-05-06 to 2024-05-07"


def test_csv_is_the_table_with_inert_text() -> None:
    parsed = list(csv.reader(io.StringIO(render(_sla_report(), "csv").decode("utf-8"))))
    assert parsed[0] == ["Dimension", "Group", "Metric", "Measured", "Met", "Breached", "Met %", "p50 (s)", "p90 (s)"]
    assert [row[1] for row in parsed[1:]] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "'\tcmd",
        "'\rcmd",
        "alice",
        "bob",
    ]
    assert parsed[7] == ["agent", "alice", "first_response", "3", "2", "1", "66.67", "600.0", "5640.0"]
    assert parsed[8] == ["agent", "bob", "first_response", "3", "2", "1", "", "", ""]


def test_xlsx_has_frozen_header_autofilter_number_formats_and_no_formulas(tmp_path: Path) -> None:
    path = tmp_path / "sla.xlsx"
    write_file(_sla_report(), path, "xlsx")
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        styles = book.read("xl/styles.xml").decode()
    assert '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>' in sheet
    assert '<autoFilter ref="A3:I11"/>' in sheet
    assert "<f>" not in sheet
    assert 'formatCode="0.00"' in styles
    assert 'formatCode="#,##0.000"' in styles
    frame = pl.read_excel(path, read_options={"header_row": 2})
    assert frame.columns == [
        "Dimension",
        "Group",
        "Metric",
        "Measured",
        "Met",
        "Breached",
        "Met %",
        "p50 (s)",
        "p90 (s)",
    ]
    assert frame["Group"].to_list()[:6] == [f"'{text}" for text in DANGEROUS]
    assert frame["Measured"].to_list() == [3] * 8
    assert frame["p90 (s)"].to_list() == [5640.0] * 7 + [None]
    assert frame["Met %"].to_list() == [66.67] * 7 + [None]


def test_xlsx_of_an_empty_report_still_has_its_header(tmp_path: Path) -> None:
    path = tmp_path / "backlog.xlsx"
    write_file(Report("backlog", "Backlog by age", PERIOD, BACKLOG_COLUMNS, []), path, "xlsx")
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<autoFilter ref="A3:H4"/>', sheet)
    frame = pl.read_excel(path, read_options={"header_row": 2})
    assert frame.columns[:3] == ["Team", "Open tickets", "< 1 h"]
    assert frame.height == 0


def test_table_is_what_sheets_receives() -> None:
    values = table(_sla_report())
    assert values[0][1] == "Group"
    assert values[1][1] == '\'=HYPERLINK("http://x","y")'
    assert values[-1][6:] == [None, None, None]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown export format 'pdf'; expected one of csv, xlsx"):
        render(_sla_report(), "pdf")
    with pytest.raises(ValidationError, match="unknown export format 'ods'"):
        write_file(_sla_report(), tmp_path / "x.ods", "ods")
    assert list(tmp_path.iterdir()) == []
