"""Errors of reconciliation input: every refusal names the file, the row and the column it is about."""

from __future__ import annotations

from pathlib import Path

from paydesk.core.errors import ValidationError


class ReportError(ValidationError):
    """A report or ledger file that can't be read. ``row`` counts CSV records, the header being row 1."""

    code = "unreadable-file"

    def __init__(self, path: str | Path, problem: str, *, row: int | None = None, column: str | None = None) -> None:
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.row = row
        self.column = column
