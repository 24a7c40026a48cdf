"""Seeding: write a generated world into the ledger, fast and exactly once.

Per-row services are too slow for tens of thousands of transactions, so the seed writes with ``bulk_create`` in
batches; the rules the services protect are kept another way. Every history is replayed against the state machines
(``validate_history``) before anything is written, the world's marker row (``SimulatedWorld``) is inserted first
in the same database transaction (its unique tag stops a second or concurrent seed of the same world), and one
``simulate.seed`` audit event records what was written. Either the whole world commits or none of it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.payments.enums import EventSource, Kind
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent
from paydesk.simulate.catalogue import PSPS
from paydesk.simulate.models import SimulatedWorld
from paydesk.simulate.world import World, event_key, generate_world, validate_history, world_tag

BATCH = 2000
M = TypeVar("M", bound=models.Model)


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


def _bulk(model: type[M], rows: Sequence[M], progress: _Progress, task: int | None) -> list[M]:
    written: list[M] = []
    for start in range(0, len(rows), BATCH):
        chunk = list(rows[start : start + BATCH])
        written.extend(model._default_manager.bulk_create(chunk, batch_size=BATCH))
        progress.advance(task, len(chunk))
    return written


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

    task = progress.task("players", len(world.players))
    players = _bulk(
        Player,
        [
            Player(
                external_id=p.external_id,
                name=p.name,
                email=p.email,
                country=p.country,
                language=p.language,
                region=p.region,
                vip_level=p.vip_level,
                kyc_status=p.kyc_status,
                created_at=p.created_at,
            )
            for p in world.players
        ],
        progress,
        task,
    )
    player_pk = {p.external_id: p.pk for p in players}

    task = progress.task("payment methods", len(world.methods))
    methods = _bulk(
        PaymentMethod,
        [
            PaymentMethod(
                player_id=player_pk[m.player],
                type=m.type,
                brand=m.brand,
                bin=m.bin,
                last4=m.last4,
                holder_name=m.holder_name,
                masked_account=m.masked_account,
                created_at=m.created_at,
            )
            for m in world.methods
        ],
        progress,
        task,
    )
    method_pk = {spec.key: row.pk for spec, row in zip(world.methods, methods, strict=True)}

    # Parents first, so refunds and chargebacks can point at their deposit's primary key.
    parents = [t for t in world.transactions if t.parent is None]
    children = [t for t in world.transactions if t.parent is not None]
    task = progress.task("transactions", len(world.transactions))
    txn_pk: dict[str, int] = {}
    batches = [parents[i : i + BATCH] for i in range(0, len(parents), BATCH)]
    batches += [children[i : i + BATCH] for i in range(0, len(children), BATCH)]
    for chunk in batches:
        rows = []
        for t in chunk:
            last = t.events[-1]
            rows.append(
                Transaction(
                    reference=t.reference,
                    kind=t.kind,
                    status=t.status,
                    psp_status=t.psp_status,
                    dispute_stage=t.stage,
                    amount_minor=t.amount_minor,
                    currency=t.currency,
                    player_id=player_pk[t.player],
                    method_id=method_pk[t.method] if t.method else None,
                    psp_id=psps[t.psp].pk,
                    psp_reference=t.psp_reference,
                    parent_id=txn_pk[t.parent] if t.parent else None,
                    created_at=t.created_at,
                    updated_at=last.at,
                    status_changed_at=last.at,
                    metadata=t.metadata(world.tag),
                )
            )
        for row in Transaction.objects.bulk_create(rows, batch_size=BATCH):
            txn_pk[row.reference] = row.pk
        progress.advance(task, len(chunk))

    task = progress.task("timeline events", counts["events"])
    buffer: list[TransactionEvent] = []
    for t in world.transactions:
        pk = txn_pk[t.reference]
        previous = ""
        for e in t.events:
            # Webhooks reach us a moment after the PSP's own timestamp; platform events are recorded as they happen.
            lag = 1 if e.source in (EventSource.PSP_WEBHOOK, EventSource.PSP_POLL) else 0
            buffer.append(
                TransactionEvent(
                    transaction_id=pk,
                    occurred_at=e.at,
                    recorded_at=e.at + timedelta(seconds=lag),
                    source=e.source,
                    from_status=previous,
                    to_status=e.to_status,
                    psp_status=e.psp_status,
                    note=e.note,
                    payload=e.payload,
                    idempotency_key=event_key(t.reference, e.index),
                )
            )
            previous = e.to_status
        if len(buffer) >= BATCH:
            TransactionEvent.objects.bulk_create(buffer, batch_size=BATCH)
            progress.advance(task, len(buffer))
            buffer = []
    if buffer:
        TransactionEvent.objects.bulk_create(buffer, batch_size=BATCH)
        progress.advance(task, len(buffer))

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
