import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from paydesk.cli import main
from paydesk.core.audit import audit_record
from paydesk.core.models import AuditEvent


def _run(*args: str, env: dict[str, str] | None = None, home: Path) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PAYDESK_HOME": str(home), **(env or {})}
    full_env.pop("PAYDESK_DEBUG", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "paydesk.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = _run("--help", home=tmp_path)
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "simulate", "audit", "manage"):
        assert command in result.stdout


def test_unknown_command_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _run("frobnicate", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("paydesk: error: No such command 'frobnicate'.")


def test_bad_option_value_is_one_line(tmp_path: Path) -> None:
    result = _run("simulate", "--players", "lots", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("paydesk: error: Invalid value for '--players': Input should be a valid integer")
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = _run("audit", "verify", home=tmp_path, env={"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert result.stderr.startswith("paydesk: error: cannot reach the database (postgresql):")
    assert result.stderr.strip().count("\n") == 0


def test_worker_without_redis_says_why(tmp_path: Path) -> None:
    result = _run("worker", home=tmp_path, env={"REDIS_URL": ""})
    assert result.returncode == 1
    assert result.stderr.startswith("paydesk: error: REDIS_URL is not set")


@pytest.mark.django_db
def test_audit_verify_reports_intact_and_tampered_chains(capsys: pytest.CaptureFixture[str]) -> None:
    with transaction.atomic():
        audit_record(action="a", actor=None, object_type="t", object_id=1)
        audit_record(action="b", actor=None, object_type="t", object_id=2)
    main(["audit", "verify", "--json"])
    assert json.loads(capsys.readouterr().out) == {"ok": True, "checked": 2, "problems": []}
    AuditEvent.objects.filter(seq=1).update(action="forged")
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify", "--json"])
    assert exit_info.value.code == 1
    assert json.loads(capsys.readouterr().out) == {
        "ok": False,
        "checked": 2,
        "problems": [{"seq": 1, "problem": "content does not match its hash (event edited)"}],
    }
