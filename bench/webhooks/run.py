"""Webhook and platform-ingest bench (see README.md). Run: ``.venv/bin/python bench/webhooks/run.py``.

Phases, all against one fresh PostgreSQL database and one uvicorn server with two worker processes:
1. seed: pending deposits (through the ingest service, timed: bulk ingest rows/s in process);
2. HTTP ingest: 10,000-row requests to ``POST /api/v1/platform/transactions`` (rows/s over HTTP);
3. closed loop: N concurrent connections posting as fast as answered, empty view then signed Stripe events;
4. open loop at a fixed rate (default 500/s), empty view then signed Stripe events: p50/p99 latency.
Every phase is bounded in count and in time. The load runs in this process (asyncio, raw HTTP/1.1 keep-alive on
loopback); the server runs in its own processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable
SECRET = "whsec_bench_secret"  # noqa: S105 - the bench signs and verifies with this throwaway key


# ---------------------------------------------------------------- seed (runs inside Django, in a subprocess)


def seed(deposits: int, ingest_rows: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.models import Group, User

    from paydesk.core.roles import ensure_role_groups
    from paydesk.core.tokens import api_token_issue
    from paydesk.payments.ingest import transactions_ingest
    from paydesk.payments.models import Psp

    Psp.objects.create(code="stripe", name="Stripe", adapter="stripe", methods=["card"])
    ensure_role_groups()
    user = User.objects.create_user(username="platform-bench")
    user.groups.add(Group.objects.get(name="platform"))
    token = api_token_issue(user=user, name="bench")

    def rows(prefix: str, count: int, status: str) -> list[dict[str, Any]]:
        return [
            {
                "reference": f"{prefix}-{i}",
                "kind": "deposit",
                "status": status,
                "player_id": f"P-{i % 5000}",
                "amount": f"{10 + i % 990}.{i % 100:02d}",
                "currency": "EUR",
                "psp": "stripe",
                "psp_reference": f"pi_{prefix}_{i}",
                "method": "card",
                "created_at": "2026-05-01T12:00:00Z",
                "updated_at": "2026-05-01T12:00:05Z",
            }
            for i in range(count)
        ]

    result = transactions_ingest(rows=rows("BENCH", deposits, "pending"))
    assert not result.errors, result.errors[:3]
    timings = []
    batch = 10_000
    data = rows("ING", ingest_rows, "credited")
    backend = _BackendCpu()
    started, cpu = time.perf_counter(), (_own_cpu_seconds(), backend.seconds())
    for start in range(0, len(data), batch):
        t0 = time.perf_counter()
        out = transactions_ingest(rows=data[start : start + batch])
        timings.append(time.perf_counter() - t0)
        assert out.created == len(data[start : start + batch]), out.as_dict()
    total = time.perf_counter() - started
    new_cpu = (_own_cpu_seconds() - cpu[0], backend.seconds() - cpu[1])
    # The same volume again with known references mixed in: 5 % status moves (credited -> refunded, a legal late
    # reversal), 5 % unchanged, the rest new. Moves take the locked, set-based path with timeline events.
    known = ingest_rows // 20
    mixed = [{**r, "status": "refunded", "updated_at": "2026-05-02T09:00:00Z"} for r in data[:known]]
    mixed += data[known : 2 * known] + rows("MIX", ingest_rows - 2 * known, "credited")
    started, cpu = time.perf_counter(), (_own_cpu_seconds(), backend.seconds())
    for start in range(0, len(mixed), batch):
        out = transactions_ingest(rows=mixed[start : start + batch])
        assert not out.errors, out.as_dict()["errors"][:3]
    mixed_total = time.perf_counter() - started
    mixed_cpu = (_own_cpu_seconds() - cpu[0], backend.seconds() - cpu[1])
    return {
        "token": token,
        "ingest_rows": ingest_rows,
        "ingest_seconds": round(total, 3),
        "ingest_rows_per_s": round(ingest_rows / total),
        "ingest_batch_seconds": [round(t, 3) for t in timings],
        # CPU seconds of this Python process and of its PostgreSQL backend over the phase (the rest of the wall time
        # is waiting: other processes on the cores, disk, or neither side busy).
        "ingest_python_cpu_s": round(new_cpu[0], 2),
        "ingest_postgres_cpu_s": round(new_cpu[1], 2),
        "ingest_mixed_moves": known,
        "ingest_mixed_seconds": round(mixed_total, 3),
        "ingest_mixed_rows_per_s": round(len(mixed) / mixed_total),
        "ingest_mixed_python_cpu_s": round(mixed_cpu[0], 2),
        "ingest_mixed_postgres_cpu_s": round(mixed_cpu[1], 2),
        "load_average": os.getloadavg(),
    }


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu_seconds(pid: int) -> float:
    """User+system CPU of one process, from /proc (Linux); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _BackendCpu:
    """CPU of the PostgreSQL backend serving Django's connection (the server runs on this machine)."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = int(cursor.fetchone()[0])

    def seconds(self) -> float:
        return _proc_cpu_seconds(self.pid)


def _database_backends_cpu_seconds(database: str) -> float:
    """CPU of every PostgreSQL backend connected to ``database`` now (the server's pooled connections)."""
    return sum(_database_backends_cpu(database).values())


def _database_backends_cpu(database: str) -> dict[int, float]:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        pids = [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]
    return {pid: _proc_cpu_seconds(pid) for pid in pids}


class _PhaseCpu:
    """CPU seconds over one load phase: the server processes, this load process, and the database's backends
    (a backend that connected during the phase counts from zero)."""

    def __init__(self) -> None:
        self.server, self.client = _server_cpu_seconds(), _own_cpu_seconds()
        self.backends = _database_backends_cpu(_DATABASE) if _DATABASE else {}

    def finish(self, result: PhaseResult) -> None:
        result.server_cpu = _server_cpu_seconds() - self.server
        result.client_cpu = _own_cpu_seconds() - self.client
        if _DATABASE:
            now = _database_backends_cpu(_DATABASE)
            result.postgres_cpu = sum(cpu - self.backends.get(pid, 0.0) for pid, cpu in now.items())


# ---------------------------------------------------------------- a tiny HTTP/1.1 keep-alive client


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += f"Content-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        payload = await self.reader.readexactly(length) if length else b""
        return status, payload

    def close(self) -> None:
        self.writer.close()


# ---------------------------------------------------------------- server CPU accounting (Linux /proc)

_SERVER_PID = 0
_DATABASE = ""


def _server_cpu_seconds() -> float:
    """User+system CPU of the server process and all its descendants (the uvicorn workers)."""
    if not _SERVER_PID:
        return 0.0
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid = int(fields[1])
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        stats[int(entry)] = (ppid, cpu)
    family = {_SERVER_PID}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _) in stats.items():
            if ppid in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(stats[pid][1] for pid in family if pid in stats)


# ---------------------------------------------------------------- load phases


@dataclass
class PhaseResult:
    name: str
    sent: int = 0
    ok: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    postgres_cpu: float = 0.0
    reconnects: int = 0

    def _per_accepted(self, seconds: float) -> float:
        return round(seconds * 1000 / self.ok, 2) if self.ok else float("nan")

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else float("nan")

        return {
            "phase": self.name,
            "sent": self.sent,
            "accepted": self.ok,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "accepted_per_s": round(self.ok / self.seconds, 1) if self.seconds else 0,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else float("nan"),
            "server_cpu_ms_per_accepted": self._per_accepted(self.server_cpu),
            "load_client_cpu_ms_per_accepted": self._per_accepted(self.client_cpu),
            "postgres_cpu_ms_per_accepted": self._per_accepted(self.postgres_cpu),
            "reconnects": self.reconnects,
        }


class Requests:
    """Signed Stripe events, one per seeded deposit (payment_intent.succeeded: pending → confirmed)."""

    def __init__(self, target: str, first: int, count: int) -> None:
        self.target = target
        self.next = first
        self.end = first + count

    def make(self) -> tuple[str, bytes, dict[str, str]] | None:
        if self.next >= self.end:
            return None
        i = self.next
        self.next += 1
        event = {
            "id": f"evt_bench_{i}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": f"pi_BENCH_{i}",
                    "object": "payment_intent",
                    "amount": 1000,
                    "currency": "eur",
                    "status": "succeeded",
                }
            },
        }
        body = json.dumps(event).encode()
        if self.target == "empty":
            return "/bench/empty", body, {}
        from paydesk.integrations.psp.signing import sign_header

        return "/api/v1/webhooks/psp/stripe", body, {"Stripe-Signature": sign_header(body, SECRET, int(time.time()))}


async def closed_loop(port: int, name: str, source: Requests, concurrency: int, max_seconds: float) -> PhaseResult:
    result = PhaseResult(name)
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while time.perf_counter() < deadline:
                item = source.make()
                if item is None:
                    return
                path, body, headers = item
                started = time.perf_counter()
                result.sent += 1
                status, _ = await conn.post(path, body, headers)
                result.latencies.append(time.perf_counter() - started)
                if status == 200:
                    result.ok += 1
                else:
                    result.errors[status] = result.errors.get(status, 0) + 1
        finally:
            conn.close()

    cpu = _PhaseCpu()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)  # background processing of the last events still counts
    cpu.finish(result)
    return result


async def open_loop(port: int, name: str, source: Requests, rate: float, seconds: float) -> PhaseResult:
    """Send at a fixed rate whatever the answers; latency counts from the scheduled send time."""
    result = PhaseResult(name)
    idle: list[Connection] = [await Connection.open(port) for _ in range(16)]
    pending: set[asyncio.Task[None]] = set()

    async def one(scheduled: float, item: tuple[str, bytes, dict[str, str]]) -> None:
        reused = bool(idle)
        conn = idle.pop() if idle else await Connection.open(port)
        path, body, headers = item
        try:
            try:
                status, _ = await conn.post(path, body, headers)
            except (ConnectionError, asyncio.IncompleteReadError):
                if not reused:
                    raise
                # The server closes keep-alive connections idle for 5 s (uvicorn's default); like any HTTP client
                # with a pool, retry once on a fresh connection. The latency still counts from the schedule.
                conn.close()
                result.reconnects += 1
                conn = await Connection.open(port)
                status, _ = await conn.post(path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            result.errors[0] = result.errors.get(0, 0) + 1
            return
        result.latencies.append(time.perf_counter() - scheduled)
        idle.append(conn)
        if status == 200:
            result.ok += 1
        else:
            result.errors[status] = result.errors.get(status, 0) + 1

    cpu = _PhaseCpu()
    started = time.perf_counter()
    count = int(rate * seconds)
    for i in range(count):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        item = source.make()
        if item is None:
            break
        result.sent += 1
        task = asyncio.create_task(one(scheduled, item))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        _, late = await asyncio.wait(pending, timeout=60)
        for task in late:
            task.cancel()
        result.errors[-1] = len(late)  # still unanswered 60 s after the last send
        if not late:
            del result.errors[-1]
    result.seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)
    cpu.finish(result)
    for conn in idle:
        conn.close()
    return result


async def http_ingest(port: int, token: str, batches: int, batch_rows: int, database: str) -> dict[str, Any]:
    conn = await Connection.open(port)
    # Warm the connection's worker (imports, pool, first query) with a one-row request, as the in-process phases are
    # warmed by the seeding; not counted.
    await conn.post(
        "/api/v1/platform/transactions",
        json.dumps({"rows": [_http_row("WARM", 0)]}).encode(),
        {"Authorization": f"Bearer {token}"},
    )
    total = 0
    per_request = []
    server_cpu, backends_cpu = _server_cpu_seconds(), _database_backends_cpu_seconds(database)
    started = time.perf_counter()
    for b in range(batches):
        body = json.dumps({"rows": [_http_row(str(b), i) for i in range(batch_rows)]}).encode()
        t0 = time.perf_counter()
        status, payload = await conn.post("/api/v1/platform/transactions", body, {"Authorization": f"Bearer {token}"})
        per_request.append(round(time.perf_counter() - t0, 3))
        if status != 200:
            raise RuntimeError(f"ingest answered {status}: {payload[:300]!r}")
        total += json.loads(payload)["created"]
    seconds = time.perf_counter() - started
    # Backends still connected are the pool's; a backend that closed during the phase is not counted (the pool
    # keeps its connections, so none should).
    backends = _database_backends_cpu_seconds(database) - backends_cpu
    server = _server_cpu_seconds() - server_cpu
    conn.close()
    return {
        "rows": total,
        "seconds": round(seconds, 3),
        "rows_per_s": round(total / seconds),
        "per_request_s": per_request,
        "server_cpu_s": round(server, 2),
        "postgres_cpu_s": round(backends, 2),
    }


def _http_row(batch: str, i: int) -> dict[str, Any]:
    return {
        "reference": f"HTTP-{batch}-{i}",
        "kind": "deposit",
        "status": "credited",
        "player_id": f"P-{i % 5000}",
        "amount": "25.00",
        "currency": "EUR",
        "psp": "stripe",
        "psp_reference": f"pi_http_{batch}_{i}",
        "method": "card",
        "created_at": "2026-05-01T12:00:00Z",
    }


# ---------------------------------------------------------------- orchestration


def _env(database: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        PAYDESK_HOME=str(home),
        PAYDESK_SECRET_KEY="bench-not-secret",  # noqa: S106 - throwaway bench server
        PAYDESK_STRIPE_WEBHOOK_SECRET=SECRET,
        DJANGO_SETTINGS_MODULE="bench_settings",
        # This tree's source first (the bench measures the code next to it, even from a copy of the tree), then the
        # bench settings.
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(HERE)]),
        PAYDESK_LOG_LEVEL="WARNING",
        PAYDESK_SERVING="1",  # what `paydesk serve` sets: a per-process PostgreSQL connection pool
    )
    return env


def _recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _wait_ready(port: int, timeout: float = 60.0) -> None:
    async def probe() -> bool:
        try:
            conn = await Connection.open(port)
        except OSError:
            return False
        try:
            status, _ = await conn.post("/bench/empty", b"{}", {})
            return status == 200
        finally:
            conn.close()

    deadline = time.time() + timeout
    while time.time() < deadline:
        if asyncio.run(probe()):
            return
        time.sleep(0.3)
    raise RuntimeError("server did not come up")


def _drain(database: str, timeout: float) -> dict[str, Any]:
    """Wait until no stored event is waiting to be processed (or ``timeout``); how long it took and how fast."""
    import psycopg

    query = "SELECT count(*) FILTER (WHERE status = 'received'), count(*) FROM payments_webhookevent"
    started = time.perf_counter()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True) as conn:
        first = conn.execute(query).fetchone()
        waiting = first[0] if first else 0
        while waiting and time.perf_counter() - started < timeout:
            time.sleep(0.5)
            row = conn.execute(query).fetchone()
            waiting = row[0] if row else 0
    seconds = time.perf_counter() - started
    done = (first[0] if first else 0) - waiting
    return {
        "waiting_at_end_of_load": first[0] if first else 0,
        "waiting": waiting,
        "seconds": round(seconds, 1),
        "processed_while_draining": done,
        "processed_per_s_while_draining": round(done / seconds, 1) if seconds and done else 0,
    }


def _db_counts(database: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        events = conn.execute("SELECT status, count(*) FROM payments_webhookevent GROUP BY status").fetchall()
        confirmed = conn.execute(
            "SELECT count(*) FROM payments_transaction WHERE reference LIKE 'BENCH-%%' AND status = 'confirmed'"
        ).fetchone()
    return {"webhook_events": dict(events), "bench_deposits_confirmed": confirmed[0] if confirmed else 0}


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # Stopped by `timeout` or a CI job: leave through the cleanup below, so the server and worker stop too.
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--database", default="bench_hooks")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="100,500", help="open-loop rates (events/s), comma-separated")
    parser.add_argument("--open-seconds", type=float, default=10.0)
    parser.add_argument("--ingest-rows", type=int, default=100_000)
    parser.add_argument("--http-ingest-batches", type=int, default=5)
    parser.add_argument(
        "--processing",
        choices=["background", "task", "worker", "deferred"],
        default="background",
        help=(
            "background: answer, then process in a thread of the server process; task: process inside the request "
            "(eager Celery, the embedded default without Redis); worker: queue to Redis and process in `paydesk "
            "worker` running beside the server (production); deferred: queue to Redis, start the worker only after "
            "the load (acceptance alone, as with workers on other hosts)"
        ),
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="Redis for --processing worker/deferred")
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="only the platform-ingest phases (in process, then over HTTP); no webhook load",
    )
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--deposits", type=int, default=30_000)
    parser.add_argument(
        "--skip-drain",
        action="store_true",
        help="with --processing deferred: measure acceptance only and leave the stored events unprocessed",
    )
    args = parser.parse_args()

    if args.seed_only:
        print(json.dumps(seed(args.deposits, args.ingest_rows)))
        return

    home = Path(tempfile.mkdtemp(prefix=f"paydesk-bench-{args.database}-"))
    env = _env(args.database, home)
    queued = args.processing in ("worker", "deferred")
    env["PAYDESK_WEBHOOK_PROCESSING"] = "task" if queued else args.processing
    if queued:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        env["REDIS_URL"] = args.redis
    _recreate_database(args.database)
    subprocess.run([PYTHON, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    seeded = json.loads(
        subprocess.run(
            [
                PYTHON,
                str(HERE / "run.py"),
                "--seed-only",
                f"--deposits={args.deposits}",
                f"--ingest-rows={args.ingest_rows}",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
    )
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is already in use; pick another with --port")
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "paydesk"),
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--no-scheduler",
        ],
        env=env,
        cwd=ROOT,
    )
    global _SERVER_PID, _DATABASE
    _SERVER_PID = server.pid
    _DATABASE = args.database
    worker: subprocess.Popen[bytes] | None = None

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(Path(PYTHON).parent / "paydesk"), "worker", "--concurrency", "1", "--no-beat"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    if args.processing == "worker":
        worker = start_worker()
    results: dict[str, Any] = {
        "processing": args.processing,
        "workers": args.workers,
        "ingest_in_process": {k: v for k, v in seeded.items() if k != "token"},
    }
    try:
        _wait_ready(args.port)
        if args.ingest_only:
            results["ingest_http"] = asyncio.run(
                http_ingest(args.port, seeded["token"], args.http_ingest_batches, 10_000, args.database)
            )
            results["load_average"] = os.getloadavg()
            _report(results, args.processing)
            return

        async def load() -> list[PhaseResult]:
            # Warm both workers' imports and connections before measuring.
            await closed_loop(args.port, "warmup", Requests("empty", 0, 400), 4, 5)
            used = 0
            phases = []
            phases.append(
                await closed_loop(
                    args.port,
                    "empty view, closed loop",
                    Requests("empty", 0, 10**9),
                    args.concurrency,
                    args.closed_seconds,
                )
            )
            webhook = Requests("stripe", used, 12_000)
            phases.append(
                await closed_loop(
                    args.port, "stripe webhook, closed loop", webhook, args.concurrency, args.closed_seconds
                )
            )
            first = webhook.next
            for rate in [float(r) for r in args.rates.split(",") if r]:
                empty = Requests("empty", 0, 10**9)
                name = f"empty view, open loop {rate:g}/s"
                phases.append(await open_loop(args.port, name, empty, rate, args.open_seconds))
                source = Requests("stripe", first, args.deposits - first)
                phases.append(
                    await open_loop(args.port, f"stripe webhook, open loop {rate:g}/s", source, rate, args.open_seconds)
                )
                first = source.next
            return phases

        phases = asyncio.run(load())
        for phase in phases:
            print(json.dumps(phase.summary()), file=sys.stderr)
        results["http"] = [p.summary() for p in phases]
        try:
            results["ingest_http"] = asyncio.run(
                http_ingest(args.port, seeded["token"], args.http_ingest_batches, 10_000, args.database)
            )
        except (RuntimeError, OSError) as exc:
            results["ingest_http"] = {"error": str(exc)[:300], "rows": 0, "seconds": 0, "rows_per_s": 0}
        drain = not (args.processing == "deferred" and args.skip_drain)
        if drain and args.processing == "deferred":
            worker = start_worker()
        if drain:
            results["drain"] = _drain(args.database, timeout=600 if queued else 30)
        results["database_after"] = _db_counts(args.database)
        results["load_average"] = os.getloadavg()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    _report(results, args.processing)


def _report(results: dict[str, Any], processing: str) -> None:
    print(json.dumps(results, indent=2))
    print()
    print(
        "| phase | sent | accepted | accepted/s | p50 ms | p99 ms | CPU ms/event: server, PostgreSQL, load client "
        "| errors |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for p in results.get("http", []):
        print(
            f"| {p['phase']} | {p['sent']} | {p['accepted']} | {p['accepted_per_s']} | {p['p50_ms']} | "
            f"{p['p99_ms']} | {p['server_cpu_ms_per_accepted']}, {p['postgres_cpu_ms_per_accepted']}, "
            f"{p['load_client_cpu_ms_per_accepted']} | {p['errors'] or '-'} |"
        )
    ing = results["ingest_in_process"]
    print(
        f"\nbulk ingest (service, PostgreSQL COPY): {ing['ingest_rows']} rows in {ing['ingest_seconds']} s = "
        f"{ing['ingest_rows_per_s']} rows/s (CPU s: Python {ing['ingest_python_cpu_s']}, "
        f"PostgreSQL backend {ing['ingest_postgres_cpu_s']})"
    )
    print(
        f"bulk ingest with known references ({ing['ingest_mixed_moves']} status moves, as many unchanged, the rest "
        f"new): {ing['ingest_rows']} rows in {ing['ingest_mixed_seconds']} s = {ing['ingest_mixed_rows_per_s']} rows/s"
        f" (CPU s: Python {ing['ingest_mixed_python_cpu_s']}, PostgreSQL backend {ing['ingest_mixed_postgres_cpu_s']})"
    )
    if "drain" in results:
        drain = results["drain"]
        print(
            f"\nprocessing ({processing}): {drain['waiting']} events still waiting {drain['seconds']} s after the "
            f"load ended; {drain['processed_while_draining']} processed while draining "
            f"({drain['processed_per_s_while_draining']} events/s)"
        )
    http = results["ingest_http"]
    print(
        f"bulk ingest over HTTP (10,000-row requests): {http['rows']} rows in {http['seconds']} s = "
        f"{http['rows_per_s']} rows/s (CPU s: server {http.get('server_cpu_s')}, "
        f"PostgreSQL backends {http.get('postgres_cpu_s')})"
    )
    print(f"load average (1, 5, 15 min) at the end: {results.get('load_average')}")


if __name__ == "__main__":
    main()
