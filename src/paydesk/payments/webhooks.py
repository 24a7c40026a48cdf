"""PSP webhook events: the only code that stores what a PSP sent and turns it into ledger moves.

Receipt (``webhook_receive``) runs in the request: size cap → signature check → insert each event under its unique
key (the PSP's own event identity) → acknowledge. Nothing is stored before the signature holds, and a redelivered
event hits the unique constraint and changes nothing. Processing is queued on commit and runs in a task.

Processing (``webhook_event_process``) maps the stored text to ``PspUpdate``s and moves transactions only through
``transaction_transition`` with a key derived from the event, so running it twice applies nothing twice. A move the
state machine refuses — a late or out-of-order event — is kept on the timeline with ``applied=False`` and never
drags a transaction backwards; an event older than the transaction's current status that would not move it forward
is refused the same way. An event for a transaction we don't know yet is an orphan: it waits, visible, with the
reference it needs, and is applied when that transaction is created (``webhook_orphans_queue``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.signals import post_delete, post_save

from paydesk.core import clock, prepared
from paydesk.core.errors import NotFound, PaydeskError
from paydesk.core.iterables import chunked
from paydesk.integrations.ports import MalformedEvent, PspUpdate, SignatureError
from paydesk.integrations.psp import ADAPTERS, Adapter
from paydesk.payments.drain import drain_recently_woken, drain_wake
from paydesk.payments.enums import (
    ChargebackStage,
    ChargebackStatus,
    DepositStatus,
    EventSource,
    Kind,
    RefundStatus,
    WebhookEventStatus,
)
from paydesk.payments.loop_store import LoopEventStore, new_ids
from paydesk.payments.machines import IllegalTransition, machine_for
from paydesk.payments.models import Psp, Transaction, WebhookEvent
from paydesk.payments.services import transaction_create, transaction_record_rejected, transaction_transition

if TYPE_CHECKING:
    from paydesk.core.loop_db import LoopDatabase

logger = logging.getLogger(__name__)

# Headers kept beside the body: enough to re-verify a Stripe-style signature and to see who sent it.
STORED_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "Paydesk-Signature", "X-Forwarded-For")
MAX_KEY_LENGTH = 255
ORPHAN_BATCH = 500
INSERT_BATCH = 1000
_CHILD_PREFIX = {Kind.REFUND: "RF", Kind.CHARGEBACK: "CB"}
# Chargeback statuses in which the money is (still) gone from the merchant: the deposit is charged back.
_CHARGEBACK_DEBITED = frozenset(
    {ChargebackStatus.NEEDS_RESPONSE, ChargebackStatus.UNDER_REVIEW, ChargebackStatus.LOST, ChargebackStatus.ACCEPTED}
    | {ChargebackStatus.EXPIRED}
)


class InvalidSignature(PaydeskError):
    code = "invalid-signature"
    status = 401


class MalformedWebhook(PaydeskError):
    code = "malformed-webhook"
    status = 400


class PayloadTooLarge(PaydeskError):
    code = "payload-too-large"
    status = 413


class AdapterDisabled(PaydeskError):
    code = "adapter-disabled"
    status = 503


@dataclass(frozen=True, slots=True)
class Receipt:
    adapter: Adapter
    accepted: int
    duplicates: int
    event_ids: tuple[int, ...]


def webhook_max_bytes() -> int:
    return int(settings.PAYDESK_WEBHOOK_MAX_BYTES)


def webhook_check_size(size: int) -> None:
    if size > webhook_max_bytes():
        raise webhook_too_large(size)


def webhook_too_large(size: int) -> PayloadTooLarge:
    """The refusal of a body of ``size`` bytes (declared, or read so far)."""
    return PayloadTooLarge(f"webhook body is {size} bytes; the limit is {webhook_max_bytes()} bytes")


# Which adapter verifies a PSP's webhooks, by PSP code: looked up at most every ``ADAPTER_CACHE_SECONDS`` per
# process (a saved or deleted PSP clears this process's entries at once), so a webhook makes one database round
# trip, the insert. Only active PSPs are kept; the insert itself looks up the PSP's id, so a row never points at a
# PSP that is gone. An adapter changed in the admin takes effect in other processes within the TTL.
ADAPTER_CACHE_SECONDS = 5.0
_adapters: dict[str, tuple[str, float]] = {}


def _adapter_for(psp_code: str) -> Adapter:
    """The adapter for ``psp_code``: an active PSP's, or the adapter of that name."""
    return _adapter_cached(psp_code) or _adapter_found(psp_code, prepared.fetch(_PSP_ADAPTER_SQL, [psp_code]))


def _adapter_cached(psp_code: str) -> Adapter | None:
    hit = _adapters.get(psp_code)
    if hit is not None and time.monotonic() - hit[1] < ADAPTER_CACHE_SECONDS:
        return ADAPTERS[hit[0]]
    return None


def _adapter_found(psp_code: str, rows: list[tuple[Any, ...]]) -> Adapter:
    """The adapter named by the ``_PSP_ADAPTER_SQL`` rows for ``psp_code`` (remembered), or the adapter of that
    name when no active PSP has the code."""
    if rows:
        _adapters[psp_code] = (rows[0][0], time.monotonic())
        return ADAPTERS[rows[0][0]]
    _adapters.pop(psp_code, None)
    if psp_code in ADAPTERS:
        return ADAPTERS[psp_code]
    raise NotFound(
        f"unknown PSP code {psp_code!r}: use an active PSP's code or one of the adapters ({', '.join(ADAPTERS)})"
    )


def adapter_cache_clear(**_: Any) -> None:
    """Forget the cached adapters (a PSP was saved or deleted)."""
    _adapters.clear()


post_save.connect(adapter_cache_clear, sender=Psp, dispatch_uid="paydesk.webhooks.adapters.saved")
post_delete.connect(adapter_cache_clear, sender=Psp, dispatch_uid="paydesk.webhooks.adapters.deleted")

_PSP_ADAPTER_SQL = f"SELECT adapter FROM {Psp._meta.db_table} WHERE code = %s AND is_active"  # noqa: S608
_PSP_ID_SQL = f"(SELECT id FROM {Psp._meta.db_table} WHERE code = %s AND is_active)"  # noqa: S608


def _secret(adapter: Adapter) -> str:
    secret = str(getattr(settings, adapter.setting_name, "") or "")
    if not secret:
        raise AdapterDisabled(f"the {adapter.name} webhook adapter is off: {adapter.setting_name} is not set")
    problem = adapter.check_secret(secret)
    if problem:
        raise AdapterDisabled(f"the {adapter.name} webhook adapter is misconfigured: {problem}")
    return secret


@dataclass(frozen=True, slots=True)
class _Verified:
    """A request whose signature holds: its events as (key, type, body), and the headers kept beside them."""

    events: list[tuple[str, str, str]]
    headers: dict[str, str]


def _verify(adapter: Adapter, *, psp_code: str, body: bytes, headers: Mapping[str, str]) -> _Verified:
    secret = _secret(adapter)
    try:
        raw_events = adapter.verify_and_split(body, headers, secret, clock.now().timestamp())
    except SignatureError as exc:
        logger.warning("webhook %s refused: %s", psp_code, exc)
        raise InvalidSignature(str(exc)) from None
    except MalformedEvent as exc:
        raise MalformedWebhook(str(exc)) from None
    for raw in raw_events:
        if len(raw.key) > MAX_KEY_LENGTH:
            raise MalformedWebhook(f"event id is {len(raw.key)} characters; at most {MAX_KEY_LENGTH} are accepted")
        if "\x00" in raw.key or "\x00" in raw.event_type:
            # Decoded from a JSON escape (\u0000); PostgreSQL text cannot hold it, and no PSP sends one.
            raise MalformedWebhook(f"event id or type {raw.key!r} contains a NUL character")
    return _Verified(
        events=[(raw.key, raw.event_type[:100], raw.body) for raw in raw_events],
        headers={name: headers[name] for name in STORED_HEADERS if headers.get(name)},
    )


def webhook_receive(*, psp_code: str, body: bytes, headers: Mapping[str, str]) -> Receipt:
    """Verify and store one webhook request; queue processing of the new events. Raises the problem to answer."""
    webhook_check_size(len(body))
    adapter = _adapter_for(psp_code)
    verified = _verify(adapter, psp_code=psp_code, body=body, headers=headers)
    received = connection.ops.adapt_datetimefield_value(clock.now())
    rows: list[tuple[Any, ...]] = []
    for sql, params in _insert_statements(connection.vendor, psp_code, adapter.name, verified, received):
        rows += prepared.fetch(sql, params)
    receipt = _receipt(adapter, new_ids(rows, [_keys(psp_code, verified)])[0])
    if receipt.event_ids:
        # robust: the events are committed whatever the queueing does; what it fails to queue the retry job finds.
        transaction.on_commit(partial(_queue_received, receipt.event_ids), robust=True)
    return receipt


async def webhook_receive_on_loop(
    *,
    psp_code: str,
    body: bytes,
    headers: Mapping[str, str],
    store: LoopEventStore,
    run_sync: Callable[[Callable[[], object]], Awaitable[object]],
) -> Receipt:
    """``webhook_receive`` for a request served on the event loop (PostgreSQL only): the same checks, the same
    insert through ``store`` (grouped with concurrent requests' when several wait), and queueing handed to
    ``run_sync`` (a request thread) when it has to do more than find the drain recently woken. Raises the same
    problems, and ``DatabaseUnavailable``."""
    webhook_check_size(len(body))
    adapter = _adapter_cached(psp_code) or _adapter_found(
        psp_code, await store.db.fetch([(_PSP_ADAPTER_SQL, [psp_code])])
    )
    verified = _verify(adapter, psp_code=psp_code, body=body, headers=headers)
    statements = _insert_statements("postgresql", psp_code, adapter.name, verified, clock.now())
    receipt = _receipt(adapter, await store.store(statements, _keys(psp_code, verified)))
    if receipt.event_ids and (_processing() == "background" or not drain_recently_woken()):
        await run_sync(partial(_queue_received_robustly, receipt.event_ids))
    return receipt


def loop_event_store(db: LoopDatabase, *, in_flight: int = 1) -> LoopEventStore:
    """This process's grouped webhook inserts through ``db`` (PostgreSQL), ``in_flight`` at a time."""
    return LoopEventStore(
        db, insert_sql=functools.partial(_insert_sql, "postgresql"), max_rows=INSERT_BATCH, flushes=in_flight
    )


def _keys(psp_code: str, verified: _Verified) -> list[tuple[str, str]]:
    return [(psp_code, key) for key, _, _ in verified.events]


def _receipt(adapter: Adapter, ids: list[int | None]) -> Receipt:
    """The answer, from each event's new id (None: stored before, or earlier in the same request or group)."""
    stored = tuple(event_id for event_id in ids if event_id is not None)
    return Receipt(adapter=adapter, accepted=len(stored), duplicates=len(ids) - len(stored), event_ids=stored)


# Every column a new event is stored with, in the order ``_insert_statements`` gives the values.
_INSERT_COLUMNS = (
    "psp_code",
    "adapter",
    "psp_id",
    "event_key",
    "event_type",
    "body",
    "headers",
    "received_at",
    "status",
    "attempts",
    "error",
    "match_reference",
    "match_psp_reference",
)


@functools.lru_cache(maxsize=64)
def _insert_sql(vendor: str, rows: int) -> str:
    """The insert of ``rows`` events. The PSP's id is looked up by its code, and on PostgreSQL the headers' text is
    cast to the column's jsonb."""
    jsonb = "::jsonb" if vendor == "postgresql" else ""
    special = {"psp_id": _PSP_ID_SQL, "headers": f"%s{jsonb}"}
    row = "(" + ", ".join(special.get(column, "%s") for column in _INSERT_COLUMNS) + ")"
    return (
        f"INSERT INTO {WebhookEvent._meta.db_table} ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} "
        "ON CONFLICT (psp_code, event_key) DO NOTHING RETURNING id, psp_code, event_key"
    )


def _insert_statements(
    vendor: str, psp_code: str, adapter: str, verified: _Verified, received_at: Any
) -> list[tuple[str, list[Any]]]:
    """The statements storing a request's events: one ``INSERT … ON CONFLICT DO NOTHING RETURNING id, key`` per
    ``INSERT_BATCH`` events (PostgreSQL takes at most 65,535 parameters a statement), so the unique constraint
    decides in one round trip, with no exception to recover from (no savepoint on the hot path)."""
    stored_headers = json.dumps(verified.headers)
    statements: list[tuple[str, list[Any]]] = []
    for chunk in chunked(verified.events, INSERT_BATCH):
        params: list[Any] = []
        for key, event_type, body in chunk:
            params += (psp_code, adapter, psp_code, key, event_type, body, stored_headers, received_at)
            params += (WebhookEventStatus.RECEIVED.value, 0, "", "", "")
        statements.append((_insert_sql(vendor, len(chunk)), params))
    return statements


def _processing() -> str:
    return str(getattr(settings, "PAYDESK_WEBHOOK_PROCESSING", "task"))


def _queue_received_robustly(event_ids: tuple[int, ...]) -> None:
    """``_queue_received`` after a commit made elsewhere: a failure is logged, as ``on_commit(robust=True)`` does;
    the events are stored, and what was not queued the retry job finds."""
    try:
        _queue_received(event_ids)
    except Exception:
        logger.exception("could not queue processing of webhook events %s; the retry job will", event_ids)


def _queue_received(event_ids: tuple[int, ...]) -> None:
    """Newly stored events: with a broker, wake the draining task (one flag, not a task per event)."""
    from paydesk.config.celery import app

    if _processing() == "background" or app.conf.task_always_eager:
        for event_id in event_ids:
            _queue_process(event_id)
        return
    if drain_recently_woken():
        return  # the usual case under load: skip even reading the broker's URL from Celery's settings
    from paydesk.payments.tasks import webhook_events_drain

    drain_wake(str(app.conf.broker_url), webhook_events_drain.delay)


def _queue_process(event_id: int) -> None:
    if _processing() == "background":
        from paydesk.payments.background import background_submit

        background_submit(event_id)
        return
    from paydesk.payments.tasks import webhook_event_process_task

    webhook_event_process_task.delay(event_id)


@dataclass
class _Outcome:
    transaction: Transaction | None = None
    orphan: PspUpdate | None = None
    rejected: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def webhook_event_process(*, event_id: int) -> WebhookEvent:
    """Apply one stored event to the ledger (idempotent: a processed event is left alone, a retry re-applies
    nothing that was applied)."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.status in {WebhookEventStatus.PROCESSED, WebhookEventStatus.REJECTED}:
            return event
        event.attempts += 1
        outcome = _Outcome()
        try:
            updates = ADAPTERS[event.adapter].map_event(event.body)
        except MalformedEvent as exc:
            outcome.failed.append(str(exc))
            updates = []
        raw: Any = _raw(event)
        for index, update in enumerate(updates):
            try:
                _apply(event, index, update, raw, outcome)
            except PaydeskError as exc:
                outcome.failed.append(exc.message)
            if outcome.orphan is not None:
                break
        _finish(event, outcome, mapped=bool(updates))
    return event


def _finish(event: WebhookEvent, outcome: _Outcome, *, mapped: bool) -> None:
    event.match_reference = ""
    event.match_psp_reference = ""
    if outcome.failed:
        event.status = WebhookEventStatus.FAILED
        event.error = "; ".join(outcome.failed)
    elif outcome.orphan is not None:
        waiting = outcome.orphan
        event.status = WebhookEventStatus.ORPHAN
        event.match_reference = (waiting.parent_reference or waiting.reference or "")[:64]
        event.match_psp_reference = (waiting.parent_psp_reference or waiting.psp_reference or "")[:128]
        wanted = " / ".join(
            part
            for part in (
                f"reference {event.match_reference}" if event.match_reference else "",
                f"PSP reference {event.match_psp_reference}" if event.match_psp_reference else "",
            )
            if part
        )
        event.error = f"no transaction with {wanted or 'any reference'} yet; applied when it appears"
    elif outcome.rejected:
        event.status = WebhookEventStatus.REJECTED
        event.error = "; ".join(outcome.rejected)
    else:
        event.status = WebhookEventStatus.PROCESSED
        event.error = "; ".join(outcome.notes) if mapped else f"{event.event_type}: no ledger meaning, kept as received"
    if outcome.transaction is not None and event.transaction_id is None:
        event.transaction = outcome.transaction
    event.processed_at = clock.now()
    event.save(
        update_fields=[
            "status",
            "error",
            "attempts",
            "processed_at",
            "transaction",
            "match_reference",
            "match_psp_reference",
        ]
    )


def _raw(event: WebhookEvent) -> Any:
    try:
        return json.loads(event.body)
    except ValueError:
        return event.body


def _event_key(event: WebhookEvent, index: int) -> str:
    base = f"wh:{event.psp_code}:{event.event_key}"
    if len(base) > 180:
        base = "wh:" + hashlib.sha256(f"{event.psp_code}\0{event.event_key}".encode()).hexdigest()
    return f"{base}:{index}"


def _find(event: WebhookEvent, *, kind: str, reference: str | None, psp_reference: str | None) -> Transaction | None:
    if reference:
        txn = Transaction.objects.filter(reference=reference).first()
        if txn is not None and txn.kind == kind:
            return txn
    if not psp_reference:
        return None
    candidates = Transaction.objects.filter(psp_reference=psp_reference, kind=kind)
    scoped = candidates.filter(psp_id=event.psp_id) if event.psp_id else candidates.filter(psp__adapter=event.adapter)
    for qs in (scoped, candidates):
        found = list(qs[:2])
        if len(found) == 1:
            return found[0]
    return None


def _apply(event: WebhookEvent, index: int, update: PspUpdate, raw: Any, outcome: _Outcome) -> None:
    key = _event_key(event, index)
    txn = _find(event, kind=update.kind, reference=update.reference, psp_reference=update.psp_reference)
    parent: Transaction | None = None
    if txn is None and update.kind in _CHILD_PREFIX:
        parent = _find(
            event, kind=Kind.DEPOSIT, reference=update.parent_reference, psp_reference=update.parent_psp_reference
        )
        if parent is not None:
            txn = _create_child(event, update, parent)
    if txn is None:
        outcome.orphan = update
        return
    if outcome.transaction is None:
        outcome.transaction = txn
    if update.status is None:
        outcome.notes.append(f"{update.psp_status}: no status change for {txn.reference}")
        return
    payload = {"webhook_event": event.pk, "psp": event.psp_code, "event": raw}
    txn = _move(
        event, txn, status=update.status, stage=update.stage, key=key, update=update, payload=payload, outcome=outcome
    )
    if txn.parent_id is not None and txn.kind in _CHILD_PREFIX:
        parent = parent or Transaction.objects.get(pk=txn.parent_id)
        _parent_effect(event, txn, parent, key=f"{key}:parent", update=update, payload=payload, outcome=outcome)


def _create_child(event: WebhookEvent, update: PspUpdate, parent: Transaction) -> Transaction:
    reference = update.reference
    if not reference or Transaction.objects.filter(reference=reference).exists():
        ident = update.psp_reference or event.event_key
        reference = f"{_CHILD_PREFIX[Kind(update.kind)]}-{ident}"
        if len(reference) > 64:
            reference = f"{_CHILD_PREFIX[Kind(update.kind)]}-{hashlib.sha256(ident.encode()).hexdigest()[:40]}"
    return transaction_create(
        reference=reference,
        kind=update.kind,
        player=parent.player,
        amount_minor=update.amount_minor if update.amount_minor is not None else parent.amount_minor,
        currency=update.currency or parent.currency,
        method=parent.method,
        psp=parent.psp,
        psp_reference=update.psp_reference,
        parent=parent,
        metadata={"created_from": f"{event.psp_code} webhook {event.event_key}", "reason": update.reason},
        created_at=update.occurred_at or event.received_at,
        source=EventSource.PSP_WEBHOOK,
        psp_status=update.psp_status[:64],
        dispute_stage=(update.stage or ChargebackStage.CHARGEBACK) if update.kind == Kind.CHARGEBACK else None,
    )


def _move(
    event: WebhookEvent,
    txn: Transaction,
    *,
    status: str,
    stage: str | None,
    key: str,
    update: PspUpdate,
    payload: dict[str, Any],
    outcome: _Outcome,
) -> Transaction:
    machine = machine_for(txn.kind)
    stage = stage if txn.kind == Kind.CHARGEBACK and stage != txn.dispute_stage else None
    if status == txn.status and stage is None and not machine.allows(status, status):
        outcome.notes.append(f"{txn.reference} already {status}")
        return txn
    occurred_at = update.occurred_at or event.received_at
    reason = ""
    if (
        occurred_at < txn.status_changed_at
        and stage is None
        and machine.rank.get(status, 0) <= machine.rank.get(txn.status, 0)
    ):
        reason = (
            f"transaction {txn.reference}: event from {occurred_at.isoformat()} is older than its current status "
            f"{txn.status} ({txn.status_changed_at.isoformat()}); not moving back to {status}"
        )
    else:
        try:
            result = transaction_transition(
                reference=txn.reference,
                to_status=status,
                to_stage=stage,
                source=EventSource.PSP_WEBHOOK,
                occurred_at=occurred_at,
                psp_status=update.psp_status[:64],
                payload=payload,
                idempotency_key=key,
                note=update.reason,
            )
            return result.transaction
        except IllegalTransition as exc:
            reason = exc.message
    transaction_record_rejected(
        reference=txn.reference,
        to_status=status,
        source=EventSource.PSP_WEBHOOK,
        reason=reason,
        occurred_at=occurred_at,
        psp_status=update.psp_status[:64],
        payload=payload,
        idempotency_key=key,
    )
    outcome.rejected.append(reason)
    return txn


def _parent_effect(
    event: WebhookEvent,
    child: Transaction,
    parent: Transaction,
    *,
    key: str,
    update: PspUpdate,
    payload: dict[str, Any],
    outcome: _Outcome,
) -> None:
    """What a refund or chargeback means for its deposit: refunded in full or in part, or charged back."""
    target: str | None = None
    if child.kind == Kind.REFUND and child.status == RefundStatus.SUCCEEDED:
        refunded = (
            Transaction.objects.filter(
                parent=parent, kind=Kind.REFUND, status=RefundStatus.SUCCEEDED, currency=parent.currency
            ).aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )
        target = DepositStatus.REFUNDED if refunded >= parent.amount_minor else DepositStatus.PARTIALLY_REFUNDED
    elif (
        child.kind == Kind.CHARGEBACK
        and child.dispute_stage != ChargebackStage.INQUIRY
        and child.status in _CHARGEBACK_DEBITED
    ):
        target = DepositStatus.CHARGED_BACK
    if target is None:
        return
    parent_update = PspUpdate(
        kind=Kind.DEPOSIT,
        status=target,
        psp_status=update.psp_status,
        occurred_at=update.occurred_at,
        reason=f"{child.kind} {child.reference} {child.status}",
    )
    _move(event, parent, status=target, stage=None, key=key, update=parent_update, payload=payload, outcome=outcome)


def webhook_event_mark_failed(*, event_id: int, error: str) -> None:
    """Record that processing crashed (the event stays stored and is retried by ``webhook_events_retry``)."""
    WebhookEvent.objects.filter(pk=event_id).exclude(
        status__in=[WebhookEventStatus.PROCESSED, WebhookEventStatus.REJECTED]
    ).update(status=WebhookEventStatus.FAILED, error=error[:2000], processed_at=clock.now())


def webhook_orphans_find(*, references: Iterable[str], psp_references: Iterable[str]) -> list[int]:
    refs = sorted({r for r in references if r})
    psp_refs = sorted({r for r in psp_references if r})
    found: set[int] = set()
    orphans = WebhookEvent.objects.filter(status=WebhookEventStatus.ORPHAN)
    for chunk in chunked(refs, ORPHAN_BATCH):
        found.update(orphans.filter(match_reference__in=chunk).values_list("pk", flat=True))
    for chunk in chunked(psp_refs, ORPHAN_BATCH):
        found.update(orphans.filter(match_psp_reference__in=chunk).values_list("pk", flat=True))
    return sorted(found)


def webhook_orphans_queue(*, references: Iterable[str], psp_references: Iterable[str]) -> int:
    """Queue processing of the orphans waiting for these references; called on commit of their creation."""
    if not WebhookEvent.objects.filter(status=WebhookEventStatus.ORPHAN).exists():
        return 0
    ids = webhook_orphans_find(references=references, psp_references=psp_references)
    for event_id in ids:
        _queue_process(event_id)
    return len(ids)


def webhook_events_due_for_retry(
    *, stale_after_seconds: int = 120, max_attempts: int = 5, limit: int = 200
) -> list[int]:
    """Events whose processing was lost (still ``received`` after a while) or crashed (``failed``, a few tries)."""
    stale = clock.now() - timedelta(seconds=stale_after_seconds)
    return list(
        WebhookEvent.objects.filter(
            Q(status=WebhookEventStatus.RECEIVED, received_at__lt=stale)
            | Q(status=WebhookEventStatus.FAILED, attempts__lt=max_attempts)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
