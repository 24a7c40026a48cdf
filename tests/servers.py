"""A real ``paydesk serve`` in a subprocess for tests that talk to it over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(*options: str, env: dict[str, str], wait_seconds: float = 60) -> Iterator[str]:
    """``paydesk serve OPTIONS`` on a free port, once ``/healthz`` answers: its base URL. Stopped on exit."""
    port = free_port()
    # A file, not a pipe: a server that logs more than a pipe holds would block on a pipe nobody reads.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "paydesk.cli", "serve", "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"server exited early: {log.read().decode(errors='replace')}")
            assert time.monotonic() < deadline, f"server did not answer within {wait_seconds:.0f} s"
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
