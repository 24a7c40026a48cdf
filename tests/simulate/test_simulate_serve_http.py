"""A real server: ``paydesk serve`` in a subprocess against a seeded SQLite home answers over HTTP."""

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import served


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "PAYDESK_HOME": str(home)}
    # The server under test uses its own embedded SQLite, whatever database the suite itself runs on.
    for name in ("DATABASE_URL", "REDIS_URL", "PAYDESK_DEBUG"):
        env.pop(name, None)
    return env


def test_serve_answers_health_and_sign_in_over_http(tmp_path: Path) -> None:
    env = _env(tmp_path)
    seeded = subprocess.run(
        [sys.executable, "-m", "paydesk.cli", "simulate", "--players", "8", "--days", "2", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert '"created": true' in seeded.stdout

    with served(env=env) as base:
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 200
        login = httpx.get(f"{base}/admin/login/", timeout=5)
        assert login.status_code == 200
        assert 'name="username"' in login.text
