"""The audit log: every state change on the desk leaves one hash-chained event.

``audit_record`` must be called inside the caller's transaction, so an action and its audit event commit or roll
back together. Each event stores the hash of the previous one; ``audit_verify`` recomputes the chain and reports any
edited, inserted or deleted event (a deleted tail is caught by the chain head row).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from paydesk.core import clock
from paydesk.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def compute_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    data: Any,
) -> str:
    body = _canonical(
        [prev_hash, seq, occurred_at.isoformat(), actor_id, actor_label, action, object_type, object_id, data]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def audit_record(
    *,
    action: str,
    actor: Any | None,
    object_type: str,
    object_id: str | int,
    data: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. Requires an open transaction (the caller's)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the action it records")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    occurred_at = clock.now()
    # JSON round-trip so the hashed value equals what the database will hand back on verify.
    payload = json.loads(_canonical(data or {}))
    actor_id = getattr(actor, "pk", None)
    label = actor_label or (actor.get_username() if actor is not None else "system")
    seq = head.last_seq + 1
    digest = compute_hash(
        prev_hash=head.last_hash or GENESIS,
        seq=seq,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=payload,
    )
    event = AuditEvent(
        seq=seq,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=payload,
        prev_hash=head.last_hash or GENESIS,
        hash=digest,
    )
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=digest)
    return event


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    problem: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    checked: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _iter_events(batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def audit_verify() -> AuditReport:
    """Recompute the whole chain; an empty ``problems`` tuple means no event was edited, inserted or removed."""
    problems: list[AuditProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in _iter_events():
        checked += 1
        if event.seq != expected_seq:
            problems.append(
                AuditProblem(event.seq, f"sequence gap: expected #{expected_seq}, found #{event.seq} (deleted?)")
            )
        if event.prev_hash != expected_prev:
            problems.append(AuditProblem(event.seq, "previous-hash link broken (an earlier event was removed)"))
        digest = compute_hash(
            prev_hash=event.prev_hash,
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            data=event.data,
        )
        if digest != event.hash:
            problems.append(AuditProblem(event.seq, "content does not match its hash (event edited)"))
        expected_prev = event.hash
        expected_seq = event.seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = head.last_seq if head else 0
    last_hash = head.last_hash if head else ""
    if last_seq != expected_seq - 1 or (last_seq and last_hash != expected_prev):
        problems.append(AuditProblem(last_seq, f"chain head says #{last_seq} but the log ends at #{expected_seq - 1}"))
    return AuditReport(checked=checked, problems=tuple(problems))
