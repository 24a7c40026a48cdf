"""Push a report to Google Sheets through gspread, with a service account from the environment.

Configuration (unset = the push is off and refused with a message saying what to set):

* ``PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON`` — the service account key as JSON text, or
* ``PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE`` — a path to that key file.
* ``PAYDESK_GOOGLE_SHEETS_API_URL`` — optional base URL of the Sheets API (default ``https://sheets.googleapis.com``),
  for an egress proxy or a local fake; the OAuth token endpoint is the key's own ``token_uri``.

Rules protected: the report goes to one worksheet named after the report, whose previous contents are replaced
(a re-push never appends duplicates); values are sent RAW so Sheets parses nothing as a formula, and text cells are
the same inert text the CSV and XLSX files carry. Failures surface as ``SheetsError`` naming the spreadsheet.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from paydesk.core.errors import PaydeskError
from paydesk.reports.exports import table
from paydesk.reports.selectors import Report

DEFAULT_API_URL = "https://sheets.googleapis.com"
TIMEOUT_SECONDS = 30.0


class SheetsError(PaydeskError):
    code = "sheets-error"
    status = 502


@dataclass(frozen=True, slots=True)
class SheetsPush:
    spreadsheet_id: str
    worksheet: str
    rows: int


def service_account_info() -> dict[str, Any]:
    """The service account key from the environment; refuses when it is missing or not a key."""
    raw = os.environ.get("PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON", "").strip()
    source = "PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON"
    if not raw:
        path = os.environ.get("PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE", "").strip()
        if not path:
            raise SheetsError(
                "Google Sheets is not configured: set PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON (the key as JSON) "
                "or PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE (a path to it)"
            )
        source = path
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SheetsError(f"cannot read the Google service account file {path}: {exc.strerror}") from exc
    try:
        info = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SheetsError(f"the Google service account key in {source} is not JSON: {exc.msg}") from exc
    missing = [
        key for key in ("client_email", "private_key", "token_uri") if not isinstance(info, dict) or key not in info
    ]
    if missing:
        raise SheetsError(f"the Google service account key in {source} lacks {', '.join(missing)}")
    return dict(info)


def _http_client(api_url: str) -> type[HTTPClient]:
    """gspread's HTTP client with the Sheets API base moved to ``api_url`` and a timeout on every request."""
    base = api_url.rstrip("/") + SPREADSHEETS_API_V4_BASE_URL.removeprefix(DEFAULT_API_URL)

    class RoutedHTTPClient(HTTPClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.set_timeout(TIMEOUT_SECONDS)

        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
            if endpoint.startswith(SPREADSHEETS_API_V4_BASE_URL):
                endpoint = base + endpoint.removeprefix(SPREADSHEETS_API_V4_BASE_URL)
            return super().request(method, endpoint, *args, **kwargs)

    return RoutedHTTPClient


def push_report(report: Report, *, spreadsheet_id: str) -> SheetsPush:
    """Replace the worksheet named after the report with its table; returns what was written."""
    info = service_account_info()
    api_url = os.environ.get("PAYDESK_GOOGLE_SHEETS_API_URL", "").strip() or DEFAULT_API_URL
    values = [["" if value is None else value for value in row] for row in table(report)]
    title = report.title[:100]
    try:
        client = gspread.service_account_from_dict(info, http_client=_http_client(api_url))
        spreadsheet = client.open_by_key(spreadsheet_id)
        try:
            worksheet = spreadsheet.worksheet(title)
        except gspread.WorksheetNotFound:
            worksheet = spreadsheet.add_worksheet(title=title, rows=len(values), cols=len(report.columns))
        worksheet.clear()
        worksheet.update(values, "A1", raw=True)
        worksheet.freeze(rows=1)
    except gspread.SpreadsheetNotFound as exc:
        raise SheetsError(f"Google spreadsheet {spreadsheet_id} not found (is it shared with the account?)") from exc
    except gspread.exceptions.APIError as exc:
        raise SheetsError(f"Google Sheets refused the push to {spreadsheet_id}: {exc}") from exc
    except gspread.exceptions.GSpreadException as exc:
        raise SheetsError(f"Google Sheets push to {spreadsheet_id} failed: {exc}") from exc
    except Exception as exc:
        # google-auth raises its own errors (token endpoint refused or unreachable); name them once, here.
        if type(exc).__module__.startswith(("google.auth", "requests")):
            raise SheetsError(f"Google Sheets push to {spreadsheet_id} failed: {type(exc).__name__}: {exc}") from exc
        raise
    return SheetsPush(spreadsheet_id=spreadsheet_id, worksheet=title, rows=len(values) - 1)
