"""The ledger side of reconciliation: the ledger CSV of DESIGN §5 and the stored ledger, as one Polars frame.

Both become ``LEDGER_SCHEMA`` (amounts in integer minor units, times in UTC). The CSV is validated as a whole
before anything is matched: a missing column, an unknown kind, a status the kind doesn't have, a bad amount or
time, a negative amount, or a reference used twice is refused with the file, row and column. Reading the CSV
needs no database and no Django setup; reading the stored ledger does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from paydesk.reconciliation.amounts import blank_to_null, convert
from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.parsers.base import read_columns, read_header, require_header

if TYPE_CHECKING:
    from collections.abc import Iterable

LEDGER_COLUMNS = (
    "reference", "kind", "status", "player_id", "amount", "currency", "psp", "psp_reference", "method",
    "created_at", "updated_at",
)  # fmt: skip
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "reference": pl.String(),
    "kind": pl.String(),
    "status": pl.String(),
    "player_id": pl.String(),
    "amount_minor": pl.Int64(),
    "currency": pl.String(),
    "psp": pl.String(),
    "psp_reference": pl.String(),
    "method": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"),
    "source_row": pl.Int64(),
}


# The statuses of each kind, as the transaction state machines (``paydesk.payments.machines``) define them. A copy,
# so that reading a ledger file imports no Django (a tenth of a second of every file-to-file run); a test keeps it
# equal to the machines.
KIND_STATUSES: dict[str, frozenset[str]] = {
    "deposit": frozenset((
        "initiated", "pending", "confirmed", "credited", "declined", "failed", "expired", "cancelled", "held",
        "refunded", "partially_refunded", "charged_back",
    )),
    "withdrawal": frozenset((
        "requested", "verification", "awaiting_documents", "held", "approved", "processing", "paid", "rejected",
        "cancelled", "failed", "returned",
    )),
    "refund": frozenset(("requested", "pending", "succeeded", "failed", "cancelled", "reversed")),
    "chargeback": frozenset(("needs_response", "under_review", "won", "lost", "accepted", "expired")),
}  # fmt: skip


# The notation of most ledger exports ("2026-03-02T10:00:00Z"), parsed at a fixed format: several times cheaper
# than inferring one. Every other value, and one of that shape that isn't a real time, takes the general path.
_ISO_UTC = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
_ISO_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _times(values: pl.Series, rows: pl.Series, *, path: str | Path, column: str) -> pl.Series:
    """ISO 8601 -> UTC; a value without an offset is UTC."""
    parsed = pl.select(
        pl.when(values.str.contains(_ISO_UTC)).then(
            values.str.strptime(pl.Datetime("us", "UTC"), _ISO_UTC_FORMAT, strict=False, cache=False)
        )
    ).to_series()
    rest = values.is_not_null() & parsed.is_null()
    if rest.any():
        index = rest.arg_true()
        cleaned = pl.select(blank_to_null(pl.lit(values.gather(index)))).to_series()
        parsed = parsed.scatter(index, _any_iso(cleaned, rows.gather(index), path=path, column=column))
    return parsed.alias(column)


def _any_iso(values: pl.Series, rows: pl.Series, *, path: str | Path, column: str) -> pl.Series:
    """ISO 8601 in any notation -> UTC. Mixed notations are parsed one by one."""
    cleaned = values
    parsed = cleaned.str.to_datetime(time_zone="UTC", strict=False)
    missing = cleaned.is_not_null() & parsed.is_null()
    if missing.any():
        fixed = parsed.to_list()
        for index in missing.arg_true().to_list():
            value = cleaned[index]
            try:
                stamp = datetime.fromisoformat(value)
            except ValueError as exc:
                raise ReportError(
                    path, f"cannot read time {value!r} (expected ISO 8601)", row=rows[index], column=column
                ) from exc
            fixed[index] = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        parsed = pl.Series(column, fixed, dtype=pl.Datetime("us", "UTC"))
    return parsed.alias(column)


def _may_repeat(values: pl.Series) -> bool:
    """False when no non-null value appears twice, proven cheaply: distinct hashes mean distinct values. True (a real
    repeat, or a hash collision) sends the caller to the exact check."""
    present = values.drop_nulls()
    return present.hash().n_unique() < present.len()


def read_ledger_csv(path: str | Path) -> pl.DataFrame:
    header = read_header(path)
    require_header(header, path, ("reference", "kind", "status", "amount", "currency", "created_at"))
    raw = read_columns(
        path,
        LEDGER_COLUMNS,
        lower=("kind", "status", "psp", "method"),
        upper=("currency",),
        unstripped=("amount", "created_at", "updated_at"),
    )
    rows = raw["source_row"]
    reference = raw["reference"]
    if reference.null_count():
        raise ReportError(path, "reference is empty", row=rows.filter(reference.is_null())[0], column="reference")
    if _may_repeat(reference):
        repeated = reference.is_duplicated()
        if repeated.any():
            first = reference.filter(repeated)[0]
            second = rows.filter(reference == first)[1]
            raise ReportError(path, f"reference {first!r} appears more than once", row=second, column="reference")
    allowed = KIND_STATUSES
    bad_kind = ~raw["kind"].is_in(list(allowed)).fill_null(False)
    if bad_kind.any():
        index = bad_kind.arg_true()[0]
        raise ReportError(
            path,
            f"unknown kind {raw['kind'][index]!r}; expected one of {', '.join(allowed)}",
            row=rows[index],
            column="kind",
        )
    fits = [
        (pl.col("kind") == kind) & pl.col("status").is_in(statuses).fill_null(False)
        for kind, statuses in allowed.items()
    ]
    bad_status = raw.select(~pl.any_horizontal(fits)).to_series()
    if bad_status.any():
        index = bad_status.arg_true()[0]
        kind, status = raw["kind"][index], raw["status"][index]
        raise ReportError(
            path,
            f"status {status!r} is not a {kind} status; expected one of {', '.join(sorted(allowed[kind]))}",
            row=rows[index],
            column="status",
        )
    # A PSP reference names one transaction of its PSP (the database enforces the same).
    if _may_repeat(raw["psp_reference"]):
        keyed = raw.filter(pl.col("psp_reference").is_not_null())
        clash = keyed.select(pl.struct("psp", "psp_reference").is_duplicated()).to_series()
        if clash.any():
            second = keyed.filter(clash).row(1, named=True)
            raise ReportError(
                path,
                f"psp_reference {second['psp_reference']!r} of {second['psp']} appears more than once",
                row=second["source_row"],
                column="psp_reference",
            )
    raw = convert(raw, {"amount_minor": ("amount", "currency")}, path=path)
    amount = raw["amount_minor"]
    problem = amount.is_null() | (amount < 0)
    if problem.any():
        index = problem.arg_true()[0]
        what = "amount is empty" if amount[index] is None else f"amount {raw['amount'][index].strip()!r} is negative"
        raise ReportError(
            path,
            what + " (ledger amounts are unsigned; the kind gives the direction)",
            row=rows[index],
            column="amount",
        )
    created = _times(raw["created_at"], rows, path=path, column="created_at")
    if created.is_null().any():
        raise ReportError(path, "created_at is empty", row=rows.filter(created.is_null())[0], column="created_at")
    frame = raw.with_columns(
        created_at=created, updated_at=_times(raw["updated_at"], rows, path=path, column="updated_at")
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in LEDGER_SCHEMA.items()])


def stored_ledger(
    *, psp: str, created_from: datetime | None = None, created_to: datetime | None = None
) -> pl.DataFrame:
    """The stored transactions of PSP ``psp`` (its code) as a ledger frame; needs Django set up."""
    from paydesk.payments.models import Transaction

    qs = Transaction.objects.filter(psp__code=psp)
    if created_from is not None:
        qs = qs.filter(created_at__gte=created_from)
    if created_to is not None:
        qs = qs.filter(created_at__lt=created_to)
    fields = (
        "reference", "kind", "status", "player__external_id", "amount_minor", "currency", "psp__code",
        "psp_reference", "method__type", "created_at", "updated_at", "pk",
    )  # fmt: skip
    records: Iterable[tuple[object, ...]] = qs.order_by("pk").values_list(*fields).iterator(chunk_size=5000)
    frame = pl.DataFrame(list(records), schema=[*LEDGER_SCHEMA], orient="row", infer_schema_length=None)
    return frame.select([pl.col(name).cast(dtype) for name, dtype in LEDGER_SCHEMA.items()])
