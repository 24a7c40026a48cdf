from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from paydesk.cli import main
from paydesk.core import clock
from paydesk.core.models import AuditEvent
from tests.reports.conftest import Desk, minutes
from tests.reports.test_reports_sheets import SHEET, FakeGoogle, google, rsa_key

__all__ = ["google", "rsa_key"]


def _run(*args: str) -> None:
    with clock.frozen(minutes(600)):
        main(["export", *args])


@pytest.mark.django_db
def test_export_volumes_csv_with_json_summary(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "volumes.csv"
    _run("volumes", "--from", "2024-05-06", "--to", "2024-05-06", "--out", str(out), "--json")
    assert json.loads(capsys.readouterr().out) == {
        "report": "volumes",
        "from": "2024-05-06",
        "to": "2024-05-06",
        "rows": 9,
        "format": "csv",
        "out": str(out),
    }
    with out.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[:3] == [
        ["Dimension", "Group", "Tickets", "Share %"],
        ["channel", "webchat", "2", "66.67"],
        ["channel", "telegram", "1", "33.33"],
    ]
    assert len(rows) == 10
    event = AuditEvent.objects.filter(action="report.export").get()
    assert (event.actor_label, event.object_id) == ("cli", "volumes")
    assert event.data == {
        "from": "2024-05-06",
        "to": "2024-05-06",
        "format": "csv",
        "rows": 9,
        "destination": f"file {out}",
    }


@pytest.mark.django_db
def test_export_agents_xlsx_format_from_suffix(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "agents.xlsx"
    _run("agents", "--from", "2024-05-06", "--to", "2024-05-06", "--out", str(out))
    assert capsys.readouterr().out == ""
    frame = pl.read_excel(out, read_options={"header_row": 2})
    assert frame["Agent"].to_list() == ["alice", "bob"]
    assert frame["Public replies"].to_list() == [3, 1]
    assert frame["Median first response (s)"].to_list() == [600.0, 6900.0]


@pytest.mark.django_db
def test_export_pushes_to_sheets(desk: Desk, google: FakeGoogle, capsys: pytest.CaptureFixture[str]) -> None:
    _run("escalations", "--from", "2024-05-06", "--to", "2024-05-06", "--sheets", SHEET, "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "report": "escalations",
        "from": "2024-05-06",
        "to": "2024-05-06",
        "rows": 1,
        "sheets": {"spreadsheet_id": SHEET, "worksheet": "Escalations per team"},
    }
    (body,) = [b for m, _, _, b in google.requests if m == "PUT"]
    assert json.loads(body)["values"][1][:5] == ["risk", 1, 1, 0, 1]
    assert AuditEvent.objects.filter(action="report.export").get().data["destination"] == f"google sheets {SHEET}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sla", "--from", "May 6", "--to", "2024-05-06", "--out", "x.csv"], "--from 'May 6' is not a date"),
        (["sla", "--from", "2024-05-07", "--to", "2024-05-06", "--out", "x.csv"], "--to 2024-05-06 is before --from"),
        (["nope", "--from", "2024-05-06", "--to", "2024-05-06", "--out", "x.csv"], "unknown report 'nope'"),
        (["sla", "--from", "2024-05-06", "--to", "2024-05-06"], "nothing to do: give --out FILE, --sheets"),
        (["sla", "--from", "2024-05-06", "--to", "2024-05-06", "--out", "x.csv", "--format", "pdf"], "--format 'pdf'"),
        (["sla", "--from", "2024-05-06", "--to", "2024-05-06", "--out", "no/such/dir/x.csv"], "folder no/such/dir"),
        (["sla", "--from", "2024-05-06", "--to", "2024-05-06", "--sheets", SHEET], "Google Sheets is not configured"),
    ],
)
def test_export_refusals_are_one_line(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_JSON", raising=False)
    monkeypatch.delenv("PAYDESK_GOOGLE_SERVICE_ACCOUNT_FILE", raising=False)
    with pytest.raises(SystemExit) as exited:
        _run(*args)
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("paydesk: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action="report.export").exists()
