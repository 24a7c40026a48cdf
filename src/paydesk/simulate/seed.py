"""Seeding: write a generated world into the ledger, fast and exactly once.

Per-row services (and even ``bulk_create``, which compiles SQL per row) are too slow for tens of thousands of
transactions, so the seed writes batches through one prepared multi-row insert per table, with values adapted by
the database backend's own adapters. The rules the services protect are kept another way: every history is replayed
against the state machines (``validate_history``) before anything is written; the world's marker row
(``SimulatedWorld``) is inserted first in the same database transaction, and its unique tag stops a second or
concurrent seed of the same world; one ``simulate.seed`` audit event records what was written. Either the whole
world commits or none of it.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.payments.enums import EventSource, Kind
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent
from paydesk.simulate.catalogue import PSPS
from paydesk.simulate.models import SimulatedPlan, SimulatedWorld
from paydesk.simulate.world import TxnSpec, World, event_key, generate_world, validate_history, world_tag

BATCH = 2000


@dataclass(frozen=True, slots=True)
class SeedResult:
    tag: str
    seed: int
    players: int
    days: int
    anchor: datetime
    created: bool
    digest: str
    counts: dict[str, int]
    scenarios: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    database_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "world": self.tag,
            "seed": self.seed,
            "players": self.players,
            "days": self.days,
            "anchor": self.anchor.isoformat(),
            "created": self.created,
            "digest": self.digest,
            "counts": dict(self.counts),
            "scenarios": dict(self.scenarios),
            "seconds": round(self.seconds, 2),
            "database_bytes": self.database_bytes,
        }

    def describe(self) -> str:
        c = self.counts
        head = (
            f"world {self.tag} (seed {self.seed}): "
            f"{c.get('players', 0):,} players, {c.get('methods', 0):,} payment methods, "
            f"{c.get('transactions', 0):,} transactions, {c.get('events', 0):,} timeline events, "
            f"{c.get('in_flight', 0):,} in flight at {self.anchor:%Y-%m-%d %H:%M} UTC"
        )
        if not self.created:
            return f"{head} — already seeded, nothing created"
        size = f", database {self.database_bytes / 1_048_576:.1f} MiB" if self.database_bytes else ""
        return f"{head} — seeded in {self.seconds:.1f} s{size}"


def psps_ensure() -> dict[str, Psp]:
    """The simulated PSPs as rows (created when missing; an admin's later edits to them are kept)."""
    result: dict[str, Psp] = {}
    with transaction.atomic():
        for spec in PSPS:
            psp, created = Psp.objects.get_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "adapter": spec.adapter,
                    "methods": list(spec.methods),
                    "norms": spec.norms,
                    "is_active": True,
                },
            )
            if created:
                audit_record(
                    action="psp.create",
                    actor=None,
                    actor_label="simulate",
                    object_type="psp",
                    object_id=spec.code,
                    data={"adapter": spec.adapter, "methods": list(spec.methods)},
                )
            result[spec.code] = psp
    return result


def _database_bytes(*, checkpoint: bool = False) -> int | None:
    """Size of the SQLite file (None on other databases); ``checkpoint`` folds the WAL in first."""
    if connection.vendor != "sqlite":
        return None
    if checkpoint and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    name = str(settings.DATABASES["default"]["NAME"])
    total = sum(os.path.getsize(name + suffix) for suffix in ("", "-wal") if os.path.exists(name + suffix))
    return total or None


def _existing(row: SimulatedWorld) -> SeedResult:
    return SeedResult(
        tag=row.tag,
        seed=row.seed,
        players=row.players,
        days=row.days,
        anchor=row.anchor,
        created=False,
        digest=row.digest,
        counts={k: int(v) for k, v in row.counts.items() if k != "scenarios"},
        scenarios=dict(row.counts.get("scenarios", {})),
        database_bytes=_database_bytes(),
    )


class _Progress:
    """Rich progress on the given (stderr) console, or nothing when there is no console."""

    def __init__(self, console: Any | None) -> None:
        self._progress: Any = None
        if console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )

    @contextmanager
    def running(self) -> Iterator[_Progress]:
        if self._progress is None:
            yield self
            return
        with self._progress:
            yield self

    def task(self, description: str, total: int) -> int | None:
        if self._progress is None:
            return None
        return int(self._progress.add_task(description, total=total))

    def advance(self, task: int | None, amount: int) -> None:
        if self._progress is not None and task is not None:
            self._progress.advance(task, amount)


def _column(field: Any) -> str:
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{field!r} is not a concrete column")
    return column


class _Rows:
    """Raw multi-row inserts with values prepared by the backend's own adapters.

    ``bulk_create`` spends most of its time compiling SQL per row (measured: ~85% of a seed); ``executemany`` of
    one prepared statement is several times faster on both SQLite and PostgreSQL.
    """

    def __init__(self) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.postgres = connection.vendor == "postgresql"
        self.qn = connection.ops.quote_name

    def dt(self, value: datetime) -> Any:
        if self.sqlite:
            # What Django's SQLite backend stores for an aware datetime: naive UTC, ``str()`` format.
            return str(value.astimezone(UTC).replace(tzinfo=None))
        return connection.ops.adapt_datetimefield_value(value)

    def json(self, value: Any) -> Any:
        if self.postgres:
            return json.dumps(value)  # COPY parses the text into jsonb
        return connection.ops.adapt_json_value(value, None)

    def insert(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        progress: _Progress,
        task: int | None,
    ) -> None:
        meta = model._meta
        names = ", ".join(self.qn(_column(meta.get_field(name))) for name in columns)
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {self.qn(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model
        if self.postgres:
            self._copy(f"COPY {self.qn(meta.db_table)} ({names}) FROM STDIN", rows, progress=progress, task=task)
            return
        with connection.cursor() as cursor:
            chunk: list[Sequence[Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= BATCH:
                    cursor.executemany(sql, chunk)
                    progress.advance(task, len(chunk))
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
                progress.advance(task, len(chunk))

    def _copy(self, sql: str, rows: Iterable[Sequence[Any]], *, progress: _Progress, task: int | None) -> None:
        # PostgreSQL: COPY is the fast path (one round trip per batch instead of one per row).
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            written = 0
            for row in rows:
                copy.write_row(row)
                written += 1
                if written % BATCH == 0:
                    progress.advance(task, BATCH)
            progress.advance(task, written % BATCH)


def _counts(world: World) -> tuple[dict[str, int], dict[str, int]]:
    kinds = Counter(t.kind for t in world.transactions)
    scenarios = Counter(f"{t.kind}:{t.scenario.value}" for t in world.transactions)
    counts = {
        "players": len(world.players),
        "methods": len(world.methods),
        "transactions": len(world.transactions),
        "events": world.events,
        "in_flight": sum(1 for t in world.transactions if t.plan),
        **{f"{kind}s": kinds.get(kind, 0) for kind in Kind.values},
    }
    return counts, dict(sorted(scenarios.items()))


def seed_world(
    *, players: int, days: int, seed: int, console: Any | None = None, anchor: datetime | None = None
) -> SeedResult:
    """Generate the world for (seed, players, days) and write it, unless this database already holds it.

    ``anchor`` is where the history ends (default: now, to the hour); it is stored, so a re-seed is recognised.
    """
    started = time.perf_counter()
    tag = world_tag(seed=seed, players=players, days=days)
    row = SimulatedWorld.objects.filter(tag=tag).first()
    if row is not None:
        return _existing(row)
    at = anchor or clock.now().replace(minute=0, second=0, microsecond=0)
    progress = _Progress(console)
    with progress.running():
        gen_task = progress.task("generating world", players)
        world = generate_world(players=players, days=days, seed=seed, anchor=at)
        progress.advance(gen_task, players)
        for txn in world.transactions:
            validate_history(txn.kind, [*txn.events, *txn.plan], reference=txn.reference)
        digest = world.digest()
        counts, scenarios = _counts(world)
        try:
            with transaction.atomic():
                _write(world, digest=digest, counts=counts, scenarios=scenarios, progress=progress)
        except IntegrityError:
            # A concurrent seed of the same world won the race on the marker row.
            row = SimulatedWorld.objects.filter(tag=tag).first()
            if row is None:
                raise
            return _existing(row)
    return SeedResult(
        tag=tag,
        seed=seed,
        players=players,
        days=days,
        anchor=at,
        created=True,
        digest=digest,
        counts=counts,
        scenarios=scenarios,
        seconds=time.perf_counter() - started,
        database_bytes=_database_bytes(checkpoint=True),
    )


def _event_rows(world: World, txn_pk: dict[str, int], rows: _Rows) -> Iterator[tuple[Any, ...]]:
    for t in world.transactions:
        pk = txn_pk[t.reference]
        previous = ""
        for e in t.events:
            # Webhooks reach us a moment after the PSP's own timestamp; platform events are recorded as they happen.
            lag = 1 if e.source in (EventSource.PSP_WEBHOOK, EventSource.PSP_POLL) else 0
            yield (
                pk,
                rows.dt(e.at),
                rows.dt(e.at + timedelta(seconds=lag)),
                e.source,
                previous,
                e.to_status,
                e.psp_status,
                True,
                e.note,
                rows.json(e.payload),
                event_key(t.reference, e.index),
            )
            previous = e.to_status


def _write(
    world: World, *, digest: str, counts: dict[str, int], scenarios: dict[str, int], progress: _Progress
) -> None:
    now = clock.now()
    SimulatedWorld.objects.create(
        tag=world.tag,
        seed=world.seed,
        players=len(world.players),
        days=world.days,
        anchor=world.anchor,
        digest=digest,
        counts={**counts, "scenarios": scenarios},
        seeded_at=now,
    )
    psps = psps_ensure()
    rows = _Rows()
    dt, js = rows.dt, rows.json

    task = progress.task("players", len(world.players))
    rows.insert(
        Player,
        ("external_id", "name", "email", "country", "language", "region", "vip_level", "kyc_status", "created_at"),
        (
            (
                p.external_id,
                p.name,
                p.email,
                p.country,
                p.language,
                p.region,
                p.vip_level,
                p.kyc_status,
                dt(p.created_at),
            )
            for p in world.players
        ),
        progress=progress,
        task=task,
    )
    player_pk = dict(Player.objects.filter(external_id__startswith=f"PL-{world.tag}-").values_list("external_id", "pk"))

    task = progress.task("payment methods", len(world.methods))
    rows.insert(
        PaymentMethod,
        ("player", "type", "brand", "bin", "last4", "holder_name", "masked_account", "created_at"),
        (
            (player_pk[m.player], m.type, m.brand, m.bin, m.last4, m.holder_name, m.masked_account, dt(m.created_at))
            for m in world.methods
        ),
        progress=progress,
        task=task,
    )
    # One writer inside one transaction: primary keys follow insertion order.
    stored = list(
        PaymentMethod.objects.filter(player_id__in=player_pk.values()).order_by("pk").values_list("pk", "player_id")
    )
    if [owner for _, owner in stored] != [player_pk[m.player] for m in world.methods]:
        raise RuntimeError(f"world {world.tag}: payment methods did not read back in insertion order")
    method_pk = {spec.key: pk for spec, (pk, _) in zip(world.methods, stored, strict=True)}

    # Parents first, so refunds and chargebacks can point at their deposit's primary key.
    task = progress.task("transactions", len(world.transactions))
    columns = (
        "reference",
        "kind",
        "status",
        "psp_status",
        "dispute_stage",
        "amount_minor",
        "currency",
        "player",
        "method",
        "psp",
        "psp_reference",
        "parent",
        "created_at",
        "updated_at",
        "status_changed_at",
        "metadata",
    )
    txn_pk: dict[str, int] = {}

    def txn_row(t: TxnSpec) -> tuple[Any, ...]:
        changed = dt(t.events[-1].at)
        return (
            t.reference,
            t.kind,
            t.status,
            t.psp_status,
            t.stage,
            t.amount_minor,
            t.currency,
            player_pk[t.player],
            method_pk[t.method] if t.method else None,
            psps[t.psp].pk,
            t.psp_reference,
            txn_pk[t.parent] if t.parent else None,
            dt(t.created_at),
            changed,
            changed,
            js(t.metadata(world.tag)),
        )

    for generation in (
        [t for t in world.transactions if t.parent is None],
        [t for t in world.transactions if t.parent],
    ):
        rows.insert(Transaction, columns, (txn_row(t) for t in generation), progress=progress, task=task)
        txn_pk.update(
            Transaction.objects.filter(reference__in=[t.reference for t in generation]).values_list("reference", "pk")
        )

    planned = [t for t in world.transactions if t.plan]
    rows.insert(
        SimulatedPlan,
        ("transaction", "next_index", "due_at"),
        ((txn_pk[t.reference], t.plan[0].index, dt(t.plan[0].at)) for t in planned),
        progress=progress,
        task=None,
    )

    task = progress.task("timeline events", counts["events"])
    rows.insert(
        TransactionEvent,
        (
            "transaction",
            "occurred_at",
            "recorded_at",
            "source",
            "from_status",
            "to_status",
            "psp_status",
            "applied",
            "note",
            "payload",
            "idempotency_key",
        ),
        _event_rows(world, txn_pk, rows),
        progress=progress,
        task=task,
    )

    audit_record(
        action="simulate.seed",
        actor=None,
        actor_label="simulate",
        object_type="simulated_world",
        object_id=world.tag,
        data={
            "seed": world.seed,
            "days": world.days,
            "anchor": world.anchor.isoformat(),
            "digest": digest,
            **counts,
        },
    )
