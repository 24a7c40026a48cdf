"""The reconciliation workbook: a summary sheet and one sheet per discrepancy type (XlsxWriter).

Every sheet has a frozen header row and an autofilter. Two rules hold for every cell:

* Text is inert. Cells are written with ``write_string`` (never parsed as a formula), and text starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an apostrophe, so it stays inert even
  after the sheet is saved as CSV and opened again (OWASP "CSV injection").
* Money is exact. Each amount is written twice: as integer minor units (a number below 2**53, which a double holds
  exactly; beyond that, text) and in major units with the currency's decimals as its number format. The major-unit
  value is written as a number only when the decimal has at most 15 significant digits: IEEE 754 guarantees such a
  decimal survives the trip to a double and back, so Excel shows, sums and re-exports exactly the amount we wrote.
  A longer amount (e.g. a huge crypto balance in 1e-8 units) is written as text with its exact digits rather than
  as a number Excel would silently round.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]
from xlsxwriter.format import Format  # type: ignore[import-untyped]
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

from paydesk.core.money import currency_exponent, format_minor
from paydesk.reconciliation.matcher import ReconResult
from paydesk.reconciliation.schema import DiscrepancyType

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_EXACT_DIGITS = 15

SHEET_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    # (header, column of the discrepancy frame, currency column for money)
    ("Report row", "report_row", None),
    ("Record type", "record_type", None),
    ("PSP reference", "psp_reference", None),
    ("Merchant reference", "merchant_reference", None),
    ("Ledger reference", "ledger_reference", None),
    ("Report currency", "report_currency", None),
    ("Report amount", "report_amount_minor", "report_currency"),
    ("Report amount (minor units)", "report_amount_minor", None),
    ("Ledger currency", "ledger_currency", None),
    ("Ledger amount", "ledger_amount_minor", "ledger_currency"),
    ("Ledger amount (minor units)", "ledger_amount_minor", None),
    ("Report status", "report_status", None),
    ("Ledger status", "ledger_status", None),
    ("Fee", "fee_minor", "report_currency"),
    ("Expected fee", "expected_fee_minor", "report_currency"),
    ("Detail", "detail", None),
)


def safe_text(value: str) -> str:
    """Text that no spreadsheet will run as a formula."""
    return "'" + value if value.startswith(DANGEROUS_PREFIXES) else value


def exact_number(amount_minor: int, currency: str) -> float | None:
    """The amount in major units as a float when that float round-trips exactly, else None."""
    text = format_minor(amount_minor, currency)
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    if len(digits) > MAX_EXACT_DIGITS:
        return None
    number = float(text)
    assert Decimal(repr(number)) == Decimal(text)
    return number


class _Writer:
    def __init__(self, path: str | Path) -> None:
        self.book = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        )
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.integer = self.book.add_format({"num_format": "0"})
        self._money: dict[int, Format] = {}

    def money_format(self, exponent: int) -> Format:
        if exponent not in self._money:
            pattern = "#,##0" + ("." + "0" * exponent if exponent else "")
            self._money[exponent] = self.book.add_format({"num_format": pattern})
        return self._money[exponent]

    def text(self, sheet: Worksheet, row: int, col: int, value: Any) -> None:
        if value is None:
            sheet.write_blank(row, col, None)
        else:
            sheet.write_string(row, col, safe_text(str(value)))

    def integer_cell(self, sheet: Worksheet, row: int, col: int, value: int) -> None:
        # Doubles hold every integer below 2**53 exactly; a larger one is written as its digits.
        if abs(value) < 2**53:
            sheet.write_number(row, col, value, self.integer)
        else:
            sheet.write_string(row, col, safe_text(str(value)))

    def money(self, sheet: Worksheet, row: int, col: int, amount: int | None, currency: str | None) -> None:
        if amount is None or currency is None:
            sheet.write_blank(row, col, None)
            return
        number = exact_number(amount, currency)
        if number is None:
            sheet.write_string(row, col, safe_text(format_minor(amount, currency)))
        else:
            sheet.write_number(row, col, number, self.money_format(currency_exponent(currency)))

    def table_header(self, sheet: Worksheet, row: int, headers: list[str], widths: list[int]) -> None:
        for col, (name, width) in enumerate(zip(headers, widths, strict=True)):
            sheet.write_string(row, col, name, self.header)
            sheet.set_column(col, col, width)


def write_report(result: ReconResult, path: str | Path, *, report_name: str = "") -> None:
    writer = _Writer(path)
    summary = writer.book.add_worksheet("Summary")
    writer.table_header(summary, 0, ["Item", "Value", "Ledger", "Difference"], [28, 28, 20, 20])
    summary.freeze_panes(1, 0)
    row = 1
    facts: list[tuple[str, Any]] = [
        ("PSP", result.psp),
        ("Report file", report_name),
        ("Window from", result.window[0].isoformat() if result.window[0] else ""),
        ("Window to", result.window[1].isoformat() if result.window[1] else ""),
        ("Report rows", result.report_rows),
        ("Ledger rows", result.ledger_rows),
        ("Matched", result.matched),
        ("Matched (fuzzy)", result.matched_fuzzy),
    ]
    facts += [(f"Discrepancies: {name}", count) for name, count in result.counts().items()]
    for label, value in facts:
        writer.text(summary, row, 0, label)
        if isinstance(value, int):
            writer.integer_cell(summary, row, 1, value)
        else:
            writer.text(summary, row, 1, value)
        row += 1
    summary.autofilter(0, 0, row - 1, 3)
    row += 1
    writer.table_header(
        summary, row, ["Totals per currency", "Report gross", "Ledger gross", "Difference"], [28, 28, 20, 20]
    )
    row += 1
    for currency, values in sorted(result.totals.items()):
        writer.text(summary, row, 0, currency)
        writer.money(summary, row, 1, values["report_gross"], currency)
        writer.money(summary, row, 2, values["ledger_gross"], currency)
        writer.money(summary, row, 3, values["difference"], currency)
        row += 1
    row += 1
    writer.table_header(summary, row, ["Summarized lines (type, currency)", "Lines", "Amount", "Net"], [28, 28, 20, 20])
    row += 1
    for line in result.summarized.iter_rows(named=True):
        currency = line["currency"]
        writer.text(summary, row, 0, f"{line['record_type']} {currency or ''}".strip())
        writer.integer_cell(summary, row, 1, line["lines"])
        writer.money(summary, row, 2, line["amount_minor"], currency)
        writer.money(summary, row, 3, line["net_minor"], currency)
        row += 1

    headers = [name for name, _, _ in SHEET_COLUMNS]
    widths = [max(12, len(name) + 2) for name in headers]
    for kind in DiscrepancyType:
        sheet = writer.book.add_worksheet(kind.value)
        writer.table_header(sheet, 0, headers, widths)
        sheet.freeze_panes(1, 0)
        rows = result.discrepancies.filter(pl.col("type") == kind.value)
        for index, record in enumerate(rows.iter_rows(named=True), start=1):
            for col, (_, name, currency_column) in enumerate(SHEET_COLUMNS):
                value = record[name]
                if currency_column is not None:
                    writer.money(sheet, index, col, value, record[currency_column])
                elif isinstance(value, int):
                    writer.integer_cell(sheet, index, col, value)
                else:
                    writer.text(sheet, index, col, value)
        sheet.autofilter(0, 0, max(rows.height, 1), len(headers) - 1)
    writer.book.close()
