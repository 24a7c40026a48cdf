"""Platform ingest: the casino platform's ledger rows (DESIGN §5 ledger CSV) upserted by reference, in bulk.

The only code that writes many transactions at once. Every row is validated on its own and a bad row is reported
with its row number and the field at fault while the valid rows are applied: nothing is refused silently and
nothing valid is held back by a neighbour. A new reference is inserted as a snapshot of the platform's ledger in the
row's status, with one timeline event saying so. A known reference is never rewritten: its kind, player, amount and
currency must agree (else the row is an error), and a different status is a move with the guarantees of
``transaction_transition``, done for the whole batch at once: the batch's known transactions are locked (in id
order), each move is checked against its kind's table (stale sideways moves refused), a legal one writes its timeline
event under the idempotency key ``platform:<reference>:<status>:<updated_at>``, an illegal one is kept on the timeline
with ``applied=False`` and reported, and a key seen before is not applied twice. A batch writes its rows, their
events and one audit event (listing every move) in one transaction; webhook orphans waiting for the new references
are applied after commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import PaydeskError
from paydesk.core.money import format_minor, normalize_currency, parse_minor
from paydesk.payments.enums import ChargebackStage, EventSource, Kind, MethodType
from paydesk.payments.machines import IllegalTransition, machine_for
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent

logger = logging.getLogger(__name__)

COLUMNS = (
    "reference",
    "kind",
    "status",
    "player_id",
    "amount",
    "currency",
    "psp",
    "psp_reference",
    "method",
    "created_at",
    "updated_at",
)
REQUIRED = ("reference", "kind", "status", "player_id", "amount", "currency", "created_at")
MAX_ROWS_PER_REQUEST = 10_000
_CHUNK = 10_000
# Choices as sets, built once: Django's ``.values`` rebuilds a list on every access (hot in a 10,000-row loop).
_KINDS = frozenset(Kind.values)
_METHODS = frozenset(MethodType.values)
_STATUSES = {kind: machine_for(kind).statuses for kind in Kind.values}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reference: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reference": self.reference, "field": self.field, "message": self.message}


@dataclass
class IngestResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    players_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.rows += other.rows
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.players_created += other.players_created
        self.errors.extend(other.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "players_created": self.players_created,
            "rejected": len(self.errors),
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a setattr call per field, per row
class _Row:
    number: int
    reference: str
    kind: str
    status: str
    player_id: str
    amount_minor: int
    currency: str
    psp: str
    psp_reference: str | None
    method: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class _Known:
    """An existing transaction of the batch, read under a row lock."""

    id: int
    reference: str
    kind: str
    status: str
    amount_minor: int
    currency: str
    psp_reference: str | None
    status_changed_at: datetime
    player_id: str


class _RowInvalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _text(raw: Mapping[str, Any], name: str, max_length: int, required: bool = False) -> str:
    value = raw.get(name)
    # Fast path first: a ledger row is nearly all strings (this runs eleven times a row).
    if value.__class__ is str:
        text = value.strip()
    elif value is None:
        text = ""
    elif isinstance(value, bool) or not isinstance(value, str | int):
        raise _RowInvalid(name, f"{name} must be text, got {type(value).__name__}")
    else:
        text = str(value).strip()
    if not text:
        if required:
            raise _RowInvalid(name, f"{name} is empty")
    elif len(text) > max_length:
        raise _RowInvalid(name, f"{name} is {len(text)} characters; at most {max_length}")
    elif "\x00" in text:
        # PostgreSQL text cannot hold NUL: one such value would fail the whole batch's COPY, not just its row.
        raise _RowInvalid(name, f"{name} contains a NUL character")
    return text


def _time(raw: Mapping[str, Any], name: str, required: bool = False) -> datetime | None:
    text = _text(raw, name, 64, required)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _RowInvalid(name, f"{name} {text!r} is not an ISO 8601 time") from None
    # The ledger CSV's times are UTC when they carry no offset (DESIGN §5 says ISO 8601; the platform exports UTC).
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


def _parse(number: int, raw: Mapping[str, Any]) -> _Row:
    if not isinstance(raw, Mapping):
        raise _RowInvalid("row", f"a row must be an object with the ledger columns, got {type(raw).__name__}")
    kind = _text(raw, "kind", 16, True).lower()
    if kind not in _KINDS:
        raise _RowInvalid("kind", f"kind {kind!r} is not one of {', '.join(Kind.values)}")
    status = _text(raw, "status", 24, True).lower()
    if status not in _STATUSES[kind]:
        raise _RowInvalid("status", f"status {status!r} is not a {kind} status")
    amount = raw.get("amount")
    if isinstance(amount, float):
        raise _RowInvalid("amount", f"amount {amount!r} is a float; send a decimal string in major units")
    try:
        currency = normalize_currency(_text(raw, "currency", 5, True))
        amount_minor = parse_minor(_text(raw, "amount", 40, True), currency)
    except PaydeskError as exc:
        raise _RowInvalid("amount" if "amount" in exc.message else "currency", exc.message) from None
    if amount_minor < 0:
        raise _RowInvalid("amount", f"amount {raw.get('amount')!r} is negative; kinds carry the direction")
    method = _text(raw, "method", 16).lower()
    if method and method not in _METHODS:
        raise _RowInvalid("method", f"method {method!r} is not one of {', '.join(MethodType.values)}")
    created_at = _time(raw, "created_at", True)
    assert created_at is not None  # required, so _text refused an empty one
    updated_at = _time(raw, "updated_at") or created_at
    if updated_at < created_at:
        raise _RowInvalid("updated_at", "updated_at is before created_at")
    return _Row(
        number=number,
        reference=_text(raw, "reference", 64, True),
        kind=kind,
        status=status,
        player_id=_text(raw, "player_id", 64, True),
        amount_minor=amount_minor,
        currency=currency,
        psp=_text(raw, "psp", 32),
        psp_reference=_text(raw, "psp_reference", 128) or None,
        method=method,
        created_at=created_at,
        updated_at=updated_at,
    )


def transactions_ingest(
    *, rows: Sequence[Mapping[str, Any]], first_row: int = 1, acting_user: Any | None = None
) -> IngestResult:
    """Validate and upsert ledger rows; row numbers in errors start at ``first_row``."""
    total = IngestResult()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        total.add(_ingest_chunk(chunk, first_row + start, acting_user))
    return total


def _ingest_chunk(raws: Sequence[Mapping[str, Any]], first_row: int, acting_user: Any | None) -> IngestResult:
    result = IngestResult(rows=len(raws))
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for offset, raw in enumerate(raws):
        number = first_row + offset
        try:
            row = _parse(number, raw)
        except _RowInvalid as exc:
            reference = str(raw.get("reference", "")) if isinstance(raw, Mapping) else ""
            result.errors.append(RowError(number, reference, exc.field, exc.message))
            continue
        if row.reference in seen:
            result.errors.append(
                RowError(number, row.reference, "reference", f"reference repeated (first on row {seen[row.reference]})")
            )
            continue
        seen[row.reference] = number
        parsed.append(row)
    if not parsed:
        return result
    psps = {p.code: p for p in Psp.objects.filter(code__in={r.psp for r in parsed if r.psp})}
    valid: list[_Row] = []
    for row in parsed:
        if row.psp and row.psp not in psps:
            result.errors.append(RowError(row.number, row.reference, "psp", f"unknown PSP code {row.psp!r}"))
        else:
            valid.append(row)
    # A concurrent import may insert one of our references between our read and our write: start the chunk again,
    # and the second pass sees those rows as existing.
    checked = list(result.errors)
    for attempt in range(2):
        try:
            with transaction.atomic():
                _write(valid, psps, result, acting_user)
            break
        except IntegrityError:
            if attempt:
                raise
            result = IngestResult(rows=len(raws), errors=list(checked))
    result.errors.sort(key=lambda e: e.row)
    return result


def _write(rows: list[_Row], psps: dict[str, Psp], result: IngestResult, acting_user: Any | None) -> None:
    existing = _lock_existing([r.reference for r in rows])
    new_rows = [r for r in rows if r.reference not in existing]
    players = _players({r.player_id for r in rows}, result)
    fresh = _check_psp_references(new_rows, psps, result)
    created = _insert(fresh, psps, players, _methods(fresh, players))
    result.created += len(created)
    moves = _move([r for r in rows if r.reference in existing], existing, result, acting_user)
    if created or moves:
        digest = hashlib.sha256("\n".join(sorted(r.reference for r in rows)).encode()).hexdigest()
        audit_record(
            action="transaction.ingest",
            actor=acting_user,
            actor_label=None if acting_user is not None else "platform",
            object_type="ingest",
            object_id=digest[:16],
            data={
                "rows": len(rows),
                "created": len(created),
                "updated": len(moves),
                # Every move as [reference, from, to]: the batch's audit trail of status changes (each also has its
                # timeline event with the idempotency key).
                "moves": moves,
                "first": rows[0].reference,
                "last": rows[-1].reference,
                "references_sha256": digest,
            },
        )
    if created:
        from paydesk.payments.webhooks import webhook_orphans_queue

        references = [r.reference for r in created]
        psp_references = [r.psp_reference for r in created if r.psp_reference]
        transaction.on_commit(lambda: webhook_orphans_queue(references=references, psp_references=psp_references))


def _select_in(model: Any, columns: tuple[str, ...], column: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM model WHERE column IN values`` for thousands of values: one array parameter on
    PostgreSQL (a 10,000-placeholder IN list costs more to build than to run), chunks of IN elsewhere."""
    if not values:
        return []
    table = model._meta.db_table
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cast = "::text[]" if isinstance(values[0], str) else ""
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {column} = ANY(%s{cast})", [_array(values)])  # noqa: S608
            return list(cursor.fetchall())
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {column} IN ({marks})", chunk)  # noqa: S608 - fixed names
            found.extend(cursor.fetchall())
        return found


def _array(values: list[Any]) -> Any:
    """A list of strings as one PostgreSQL array literal, for ``%s::text[]``: psycopg adapts a list element by element
    in Python (~1 µs each; a 10,000-row batch sends ~35,000). Other lists are passed on as they are."""
    if not values or not isinstance(values[0], str):
        return values
    # Inside double quotes only the backslash and the double quote need escaping; NUL never gets here (_text).
    return "{" + ",".join(['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]) + "}"


def _players(external_ids: set[str], result: IngestResult) -> dict[str, int]:
    ids = sorted(external_ids)
    found = dict(_select_in(Player, ("external_id", "id"), "external_id", ids))
    missing = sorted(external_ids - set(found))
    if missing:
        now = clock.now()
        # The platform owns players; one we have not seen yet is registered with its id as a name until the
        # platform (or an agent) tells us more.
        Player.objects.bulk_create(
            [Player(external_id=pid, name=pid, created_at=now) for pid in missing], ignore_conflicts=True
        )
        found = dict(_select_in(Player, ("external_id", "id"), "external_id", ids))
        result.players_created += len(missing)
    return found


def _methods(rows: list[_Row], players: dict[str, int]) -> dict[tuple[int, str], int]:
    wanted = {(players[r.player_id], r.method) for r in rows if r.method}
    if not wanted:
        return {}
    found: dict[tuple[int, str], int] = {}
    rows_found = _select_in(PaymentMethod, ("id", "player_id", "type"), "player_id", sorted({p for p, _ in wanted}))
    for pk, player_id, type_ in sorted(rows_found):
        found.setdefault((player_id, type_), pk)
    missing = [key for key in sorted(wanted) if key not in found]
    if missing:
        now = clock.now()
        made = PaymentMethod.objects.bulk_create(
            [PaymentMethod(player_id=player_id, type=type_, created_at=now) for player_id, type_ in missing]
        )
        for method in made:
            found[(method.player_id, method.type)] = method.pk
    return found


def _check_psp_references(rows: list[_Row], psps: dict[str, Psp], result: IngestResult) -> list[_Row]:
    keyed = [r for r in rows if r.psp_reference]
    taken: set[tuple[int | None, str]] = set()
    if keyed:
        pairs = _select_in(
            Transaction, ("psp_id", "psp_reference"), "psp_reference", sorted({r.psp_reference for r in keyed})
        )
        taken = {(psp_id, ref) for psp_id, ref in pairs}
    fresh: list[_Row] = []
    for row in rows:
        psp_id = psps[row.psp].pk if row.psp else None
        if row.psp_reference and psp_id is not None and (psp_id, row.psp_reference) in taken:
            result.errors.append(
                RowError(
                    row.number,
                    row.reference,
                    "psp_reference",
                    f"PSP reference {row.psp_reference!r} is already used by another transaction of {row.psp}",
                )
            )
            continue
        if row.psp_reference:
            taken.add((psp_id, row.psp_reference))
        fresh.append(row)
    return fresh


def _insert(
    rows: list[_Row], psps: dict[str, Psp], players: dict[str, int], methods: dict[tuple[int, str], int]
) -> list[_Row]:
    if not rows:
        return []
    now = clock.now()
    if connection.vendor == "postgresql":
        ids = _next_transaction_ids(len(rows))
        _copy_transactions(rows, ids, psps, players, methods)
    else:
        made = Transaction.objects.bulk_create(
            [
                Transaction(
                    reference=r.reference,
                    kind=r.kind,
                    status=r.status,
                    psp_status="",
                    dispute_stage=ChargebackStage.CHARGEBACK if r.kind == Kind.CHARGEBACK else "",
                    amount_minor=r.amount_minor,
                    currency=r.currency,
                    player_id=players[r.player_id],
                    method_id=methods.get((players[r.player_id], r.method)) if r.method else None,
                    psp_id=psps[r.psp].pk if r.psp else None,
                    psp_reference=r.psp_reference,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                    status_changed_at=r.updated_at,
                    metadata={},
                )
                for r in rows
            ]
        )
        ids = [t.pk for t in made]
    events = [
        (
            pk,
            r.updated_at,
            now,
            EventSource.PLATFORM,
            "",
            r.status,
            f"imported from the platform ledger as {r.kind} {r.status}, "
            f"{format_minor(r.amount_minor, r.currency)} {r.currency}",
            f"create:{r.reference}",
            "",
            True,
            None,
            None,
        )
        for pk, r in zip(ids, rows, strict=True)
    ]
    _write_events(events)
    return rows


_TRANSACTION_COLUMNS = (
    "id, reference, kind, status, psp_status, dispute_stage, amount_minor, currency, player_id, method_id, psp_id, "
    "psp_reference, created_at, updated_at, status_changed_at, metadata"
)
_TRANSACTION_TYPES = (
    "int8", "text", "text", "text", "text", "text", "int8", "text", "int8", "int8", "int8", "text",
    "timestamptz", "timestamptz", "timestamptz", "jsonb",
)  # fmt: skip
_EVENT_COLUMNS = (
    "transaction_id, occurred_at, recorded_at, source, from_status, to_status, note, idempotency_key, psp_status, "
    "applied, payload, actor_id"
)
_EVENT_TYPES = (
    "int8", "timestamptz", "timestamptz", "text", "text", "text", "text", "text", "text", "bool", "jsonb", "int4",
)  # fmt: skip
_sequences: dict[str, str] = {}  # database alias -> the transactions table's id sequence


def _next_transaction_ids(count: int) -> list[int]:
    """``count`` ids from the table's identity sequence in one round trip, so the rows and their timeline events can
    be written with ``COPY`` straight away (no read-back of the inserted rows by reference)."""
    table = Transaction._meta.db_table
    with connection.cursor() as cursor:
        sequence = _sequences.get(connection.alias)
        if sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = _sequences[connection.alias] = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return [pk for (pk,) in cursor.fetchall()]


class _JsonbTextDumper(Dumper):
    """jsonb for binary ``COPY`` from text that is JSON already (``"{}"`` on nearly every row): psycopg's own jsonb
    dumper would call ``json.dumps`` per row. Used only through ``set_types`` (registered for no Python type)."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()  # jsonb binary format: version 1, then the JSON text


def _copy_transactions(
    rows: list[_Row],
    ids: list[int],
    psps: dict[str, Psp],
    players: dict[str, int],
    methods: dict[tuple[int, str], int],
) -> None:
    """PostgreSQL binary ``COPY`` with the pre-assigned ids: an order of magnitude faster than multi-row INSERT, and
    binary values cost the Python side a fifth of the text format's formatting."""
    psp_ids: dict[str, int | None] = {code: psp.pk for code, psp in psps.items()}
    psp_ids[""] = None
    chargeback, stage = Kind.CHARGEBACK, str(ChargebackStage.CHARGEBACK)
    _copy_binary(
        Transaction._meta.db_table,
        _TRANSACTION_COLUMNS,
        _TRANSACTION_TYPES,
        (
            (
                pk,
                r.reference,
                r.kind,
                r.status,
                "",
                stage if r.kind == chargeback else "",
                r.amount_minor,
                r.currency,
                players[r.player_id],
                methods[players[r.player_id], r.method] if r.method else None,
                psp_ids[r.psp],
                r.psp_reference,
                r.created_at,
                r.updated_at,
                r.updated_at,
                "{}",
            )
            for pk, r in zip(ids, rows, strict=True)
        ),
    )


def _copy_binary(table: str, columns: str, types: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Binary ``COPY`` of ``rows`` into ``table``; jsonb columns take JSON text (``_JsonbTextDumper``).

    wrap_database_errors: a unique violation from COPY (a concurrent import) must be Django's IntegrityError, which
    ``_ingest_chunk`` answers by starting the chunk again.
    """
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        raw.adapters.register_dumper(None, _JsonbTextDumper)
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)


def _write_events(values: list[tuple[Any, ...]]) -> None:
    """Timeline events as tuples in ``_EVENT_COLUMNS`` order (payload None = ``{}``): binary COPY on PostgreSQL."""
    if not values:
        return
    if connection.vendor == "postgresql":
        _copy_binary(
            TransactionEvent._meta.db_table,
            _EVENT_COLUMNS,
            _EVENT_TYPES,
            ((*v[:10], "{}" if v[10] is None else json.dumps(v[10]), v[11]) for v in values),
        )
        return
    TransactionEvent.objects.bulk_create(
        [
            TransactionEvent(
                transaction_id=v[0],
                occurred_at=v[1],
                recorded_at=v[2],
                source=v[3],
                from_status=v[4],
                to_status=v[5],
                note=v[6],
                idempotency_key=v[7],
                psp_status=v[8],
                applied=v[9],
                payload=v[10] or {},
                actor_id=v[11],
            )
            for v in values
        ]
    )


def _lock_existing(references: list[str]) -> dict[str, _Known]:
    """The batch's existing transactions, locked until the batch commits (``SELECT … FOR UPDATE`` in id order, so
    two imports or an import and a webhook cannot deadlock), as ``transaction_transition`` locks the one it moves."""
    if not references:
        return {}
    if connection.vendor == "postgresql":
        txn, player = Transaction._meta.db_table, Player._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.id, t.reference, t.kind, t.status, t.amount_minor, t.currency, t.psp_reference, "  # noqa: S608
                f"t.status_changed_at, p.external_id FROM {txn} t JOIN {player} p ON p.id = t.player_id "
                "WHERE t.reference = ANY(%s::text[]) ORDER BY t.id FOR UPDATE OF t",
                [_array(references)],
            )
            found = [_Known(*values) for values in cursor.fetchall()]
    else:
        # SQLite has no row locks; its single writer serialises the batch's transaction as a whole.
        found = []
        for start in range(0, len(references), 500):
            found.extend(
                _Known(*values)
                for values in Transaction.objects.filter(reference__in=references[start : start + 500])
                .order_by("id")
                .values_list(
                    "id",
                    "reference",
                    "kind",
                    "status",
                    "amount_minor",
                    "currency",
                    "psp_reference",
                    "status_changed_at",
                    "player__external_id",
                )
            )
    return {k.reference: k for k in found}


def _mismatch(row: _Row, known: _Known) -> RowError | None:
    mismatches = []
    if known.kind != row.kind:
        mismatches.append(f"kind {known.kind} (row: {row.kind})")
    if known.player_id != row.player_id:
        mismatches.append(f"player {known.player_id} (row: {row.player_id})")
    if (known.amount_minor, known.currency) != (row.amount_minor, row.currency):
        mismatches.append(
            f"amount {format_minor(known.amount_minor, known.currency)} {known.currency} "
            f"(row: {format_minor(row.amount_minor, row.currency)} {row.currency})"
        )
    if known.psp_reference and row.psp_reference and known.psp_reference != row.psp_reference:
        mismatches.append(f"psp_reference {known.psp_reference} (row: {row.psp_reference})")
    if not mismatches:
        return None
    return RowError(
        row.number,
        row.reference,
        mismatches[0].split(" ", 1)[0],
        f"transaction {row.reference} already exists with " + "; ".join(mismatches) + "; not changed",
    )


def _move(
    rows: list[_Row], existing: dict[str, _Known], result: IngestResult, acting_user: Any | None
) -> list[list[str]]:
    """Status moves of known references, set-based, with ``transaction_transition``'s rules; returns the moves."""
    wanted: list[tuple[_Row, _Known, str]] = []
    for row in rows:
        known = existing[row.reference]
        error = _mismatch(row, known)
        if error is not None:
            result.errors.append(error)
        elif known.status == row.status:
            result.unchanged += 1
        else:
            wanted.append((row, known, f"platform:{row.reference}:{row.status}:{row.updated_at.isoformat()}"))
    if not wanted:
        return []
    # A key already on a timeline is this very row imported before: never applied twice. If it was refused then,
    # it is reported again (the status still differs); if it was applied, later moves have overtaken it.
    seen = {
        key: (applied, note)
        for key, applied, note in _select_in(
            TransactionEvent, ("idempotency_key", "applied", "note"), "idempotency_key", [k for _, _, k in wanted]
        )
    }
    now = clock.now()
    actor_id = getattr(acting_user, "pk", None)
    events: list[tuple[Any, ...]] = []
    updates: list[tuple[int, str, datetime]] = []
    moves: list[list[str]] = []
    for row, known, key in wanted:
        if key in seen:
            applied, note = seen[key]
            if applied:
                result.unchanged += 1
            else:
                result.errors.append(RowError(row.number, row.reference, "status", note))
            continue
        # The move's timeline event in ``_EVENT_COLUMNS`` order: this part, then note, key, PSP status, applied,
        # payload and actor, whether the move is applied or kept refused with its reason.
        head = (known.id, row.updated_at, now, EventSource.PLATFORM, known.status, row.status)
        try:
            machine_for(known.kind).check(
                reference=row.reference,
                from_status=known.status,
                to_status=row.status,
                stale=row.updated_at < known.status_changed_at,
            )
        except IllegalTransition as exc:
            logger.warning("rejected: %s [source=%s key=%s]", exc.message, EventSource.PLATFORM, key)
            events.append((*head, exc.message, key, "", False, {"row": row.number}, None))
            result.errors.append(RowError(row.number, row.reference, "status", exc.message))
            continue
        events.append((*head, "platform ledger import", key, "", True, None, actor_id))
        updates.append((known.id, row.status, row.updated_at))
        moves.append([row.reference, known.status, row.status])
    _write_events(events)
    _apply_statuses(updates, now)
    result.updated += len(updates)
    return moves


def _apply_statuses(updates: list[tuple[int, str, datetime]], now: datetime) -> None:
    """Set status, ``status_changed_at`` (the event time) and ``updated_at`` of the locked transactions at once."""
    if not updates:
        return
    if connection.vendor == "postgresql":
        table = Transaction._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} t SET status = v.status, status_changed_at = v.at, updated_at = %s "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS v(id, status, at) WHERE t.id = v.id",
                [now, [u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates]],
            )
        return
    Transaction.objects.bulk_update(
        [Transaction(pk=pk, status=status, status_changed_at=at, updated_at=now) for pk, status, at in updates],
        ["status", "status_changed_at", "updated_at"],
        batch_size=500,
    )
