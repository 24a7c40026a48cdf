"""`paydesk triage` contract (DESIGN §5): exact output keys, --batch JSON Lines, bad lines named by number, no DB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paydesk.cli import CliError
from paydesk.triage.cli import register
from paydesk.triage.pipeline import MAX_CHARS

KEYS = ["id", "language", "category", "confidence", "entities"]
ENTITY_KEYS = ["amount_minor", "currency", "reference", "card_last4", "method", "date"]


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root, so `triage` stays a sub-command as in the real CLI."""

    register(app)
    return app


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_text_without_a_database(tmp_path: Path) -> None:
    env = {**os.environ, "PAYDESK_HOME": str(tmp_path), "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    text = "списали 1 500 ₽ вчера, а на баланс не пришло"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "paydesk.cli", "triage", text, "--json", "--now", "2026-11-26T10:00:00Z"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [line] = _lines(result.stdout)
    assert list(line) == KEYS
    assert line["id"] is None
    assert line["language"] == "ru"
    assert line["category"] == "deposit_not_credited"
    assert line["entities"] == {
        "amount_minor": 150000,
        "currency": "RUB",
        "reference": None,
        "card_last4": None,
        "method": None,
        "date": "2026-11-25",
    }


def test_neither_text_nor_batch_is_a_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "PAYDESK_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "paydesk.cli", "triage", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "paydesk: error: give either a TEXT to triage or --batch FILE.jsonl (not both, not neither)\n"
    )


def test_batch_output_keys_and_ids(app: typer.Typer, tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    rows = [
        {"id": "a1", "text": "I was charged twice for $50 on card ending 4242"},
        {"id": 7, "text": "vyvod WDR-X1-000042 ne prishel"},
    ]
    batch.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["triage", "--batch", str(batch), "--json"])
    assert result.exit_code == 0, result.output
    out = _lines(result.stdout)
    assert [o["id"] for o in out] == ["a1", 7]
    for o in out:
        assert list(o) == KEYS
        assert list(o["entities"]) == ENTITY_KEYS  # type: ignore[arg-type]
        assert isinstance(o["confidence"], float)
        assert 0 <= o["confidence"] <= 1
    assert out[0]["category"] == "duplicate_charge"
    assert out[0]["entities"] == {
        "amount_minor": 5000,
        "currency": "USD",
        "reference": None,
        "card_last4": "4242",
        "method": "card",
        "date": None,
    }
    assert out[1]["language"] == "ru"
    assert out[1]["entities"]["reference"] == "WDR-X1-000042"  # type: ignore[index]


def test_bad_batch_lines_are_named_and_the_rest_is_triaged(app: typer.Typer, tmp_path: Path) -> None:
    batch = tmp_path / "mixed.jsonl"
    batch.write_bytes(
        b'{"id": 1, "text": "deposit pending"}\n'
        b"not json at all\n"
        b"\n"
        b"[1, 2]\n"
        b'{"id": 4}\n'
        b'{"id": 5, "text": 42}\n'
        b'{"id": {"x": 1}, "text": "hi"}\n'
        b"\xff\xfe\x00\x01binary\n"
        b'{"id": 9, "text": "\\u0000\\ud800 odd but valid"}\n'
        b'{"id": NaN, "text": "hi"}\n'
    )
    result = CliRunner().invoke(app, ["triage", "--batch", str(batch), "--json"])
    assert result.exit_code == 1
    assert [o["id"] for o in _lines(result.stdout)] == [1, 9]
    assert result.stderr.splitlines() == [
        "paydesk: line 2: not valid JSON (Expecting value: line 1 column 1 (char 0))",
        "paydesk: line 4: expected a JSON object with id and text, got list",
        "paydesk: line 5: missing text",
        "paydesk: line 6: text must be a string, got int",
        "paydesk: line 7: id must be a string or a number, got dict",
        "paydesk: line 8: not valid JSON (Expecting value: line 1 column 1 (char 0))",
        "paydesk: line 10: id must be a finite number, got nan",
        "paydesk: error: 7 input line(s) refused (see above); the others were triaged",
    ]


def test_batch_from_stdin_and_huge_text_note(app: typer.Typer) -> None:
    huge = "where is my withdrawal " * (MAX_CHARS // 10)
    stdin = json.dumps({"id": "big", "text": huge}) + "\n"
    result = CliRunner().invoke(app, ["triage", "--batch", "-", "--json"], input=stdin)
    assert result.exit_code == 0
    [line] = _lines(result.stdout)
    assert line["id"] == "big"
    assert (
        result.stderr
        == f"paydesk: note: line 1: message truncated to its first {MAX_CHARS} of {len(huge)} characters\n"
    )


def test_text_from_stdin_and_plain_output(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["triage", "-"], input="forgot my password, cannot log in")
    assert result.exit_code == 0
    assert result.stdout.startswith("en account_access (")


def test_missing_batch_file_and_both_inputs_are_refused(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["triage", "--batch", str(tmp_path / "nope.jsonl")])
    assert isinstance(result.exception, CliError)
    assert str(result.exception) == f"cannot read --batch {tmp_path / 'nope.jsonl'}: No such file or directory"
    result = CliRunner().invoke(app, ["triage", "hello", "--batch", str(tmp_path / "nope.jsonl")])
    assert isinstance(result.exception, CliError)
    assert result.stdout == ""


def test_bad_now_is_refused(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["triage", "hi", "--now", "yesterday"])
    assert isinstance(result.exception, CliError)
    assert str(result.exception) == "--now 'yesterday' is not an ISO 8601 date-time"
