"""A real server: ``paydesk serve`` in a subprocess against a seeded SQLite home answers over HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "paydesk.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise AssertionError(f"server exited early: {server.stderr.read().decode() if server.stderr else ''}")
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert health is not None, "server did not answer within 60 s"
        assert health.status_code == 200
        login = httpx.get(f"{base}/admin/login/", timeout=5)
        assert login.status_code == 200
        assert 'name="username"' in login.text
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
