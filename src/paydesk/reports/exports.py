"""Report files: CSV and XLSX (XlsxWriter), the same cells in both, and the table Google Sheets receives.

Rules protected:

* Text is inert everywhere. Every text cell goes through ``safe_text`` (the reconciliation workbook's rule: text
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe), so a team name or
  agent login like ``=HYPERLINK(…)`` never runs as a formula in Excel, LibreOffice or Sheets, also after a CSV round
  trip. XLSX text is written with ``write_string`` and the workbook never converts strings to formulas or numbers.
* Numbers stay numbers: counts as integers, percentages and durations as numbers with a number format, so a lead
  can sort and sum them. The XLSX sheet has a frozen header row and an autofilter over the whole table.
* A title block (report name and period) sits above the table in XLSX; CSV is the bare table, one header row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from paydesk.core.errors import ValidationError
from paydesk.reconciliation.xlsx import safe_text
from paydesk.reports.selectors import Column, Report

FORMATS = ("csv", "xlsx")
NUMBER_FORMATS = {"int": "0", "percent": "0.00", "seconds": "#,##0.000"}
HEADER_ROW = 2  # XLSX: title, period, then the table header


def cell(column: Column, value: Any) -> Any:
    """One cell as written to any output: numbers as they are, text made inert, missing as empty."""
    if value is None:
        return None
    if column.kind == "text":
        return safe_text(str(value))
    return value


def table(report: Report) -> list[list[Any]]:
    """Header row and data rows with every cell made safe (what CSV and Google Sheets receive)."""
    header = [safe_text(column.header) for column in report.columns]
    body = [[cell(column, row.get(column.key)) for column in report.columns] for row in report.rows]
    return [header, *body]


def write_csv(report: Report, stream: io.TextIOBase | Any, *, progress: Callable[[int], None] | None = None) -> None:
    writer = csv.writer(stream, lineterminator="\r\n")
    for index, values in enumerate(table(report)):
        writer.writerow(["" if value is None else value for value in values])
        if progress is not None and index:
            progress(1)


def write_xlsx(
    report: Report, target: str | Path | io.BytesIO, *, progress: Callable[[int], None] | None = None
) -> None:
    book = xlsxwriter.Workbook(
        target,
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True},
    )
    sheet = book.add_worksheet(report.title[:31])
    bold = book.add_format({"bold": True, "font_size": 13})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    formats = {kind: book.add_format({"num_format": pattern}) for kind, pattern in NUMBER_FORMATS.items()}
    sheet.write_string(0, 0, safe_text(report.title), bold)
    sheet.write_string(1, 0, safe_text(f"Period (UTC): {report.period.label}"))
    for col, column in enumerate(report.columns):
        sheet.write_string(HEADER_ROW, col, safe_text(column.header), header)
        sheet.set_column(col, col, max(12, len(column.header) + 4))
    for index, row in enumerate(report.rows, start=HEADER_ROW + 1):
        for col, column in enumerate(report.columns):
            value = cell(column, row.get(column.key))
            if value is None:
                sheet.write_blank(index, col, None)
            elif column.kind == "text":
                sheet.write_string(index, col, value)
            else:
                sheet.write_number(index, col, value, formats[column.kind])
        if progress is not None:
            progress(1)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(report.rows), 1), len(report.columns) - 1)
    book.close()


def render(report: Report, fmt: str) -> bytes:
    """The report file as bytes (for the console download)."""
    if fmt == "csv":
        text = io.StringIO()
        write_csv(report, text)
        return text.getvalue().encode("utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(report, buffer)
        return buffer.getvalue()
    raise ValidationError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


def write_file(report: Report, path: Path, fmt: str, *, progress: Callable[[int], None] | None = None) -> None:
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as stream:
            write_csv(report, stream, progress=progress)
    elif fmt == "xlsx":
        write_xlsx(report, path, progress=progress)
    else:
        raise ValidationError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
