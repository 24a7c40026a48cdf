"""Payments writes: the only code that creates players, methods and transactions or moves a transaction's status.

Every move goes through ``transaction_transition``: it locks the transaction row, refuses a replay of an
idempotency key (returning the original event), checks the move against the kind's transition table, writes the
timeline event and the audit event, all in one database transaction. An illegal move raises ``IllegalTransition``
naming the transaction, from-state and target, and is logged; ``transaction_record_rejected`` keeps such an event on
the timeline (``applied=False``) when it came from outside, so nothing a PSP told us is lost.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import NotFound, ValidationError
from paydesk.core.money import currency_exponent, normalize_currency
from paydesk.payments.enums import ChargebackStage, ChargebackStatus, EventSource, Kind, MethodType
from paydesk.payments.machines import IllegalTransition, check_stage, machine_for
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent

logger = logging.getLogger(__name__)

_PAN_RE = re.compile(r"(?:\d[ -]?){13,19}")


def _refuse_pan(field: str, value: str) -> None:
    digits = re.sub(r"[ -]", "", value)
    if _PAN_RE.fullmatch(value.strip()) or (digits.isdigit() and len(digits) >= 13):
        raise ValidationError(f"{field} looks like a full card number; store the BIN and last four only")


def player_create(
    *,
    external_id: str,
    name: str,
    email: str = "",
    country: str = "",
    language: str = "en",
    region: str = "",
    vip_level: int = 0,
    kyc_status: str = "none",
    acting_user: Any | None = None,
) -> Player:
    if not external_id.strip():
        raise ValidationError("player external_id is empty")
    if language not in {"en", "ru"}:
        raise ValidationError(f"player language {language!r} is not supported (en, ru)")
    with transaction.atomic():
        player = Player.objects.create(
            external_id=external_id.strip(),
            name=name,
            email=email,
            country=country.upper()[:2],
            language=language,
            region=region,
            vip_level=vip_level,
            kyc_status=kyc_status,
            created_at=clock.now(),
        )
        audit_record(action="player.create", actor=acting_user, object_type="player", object_id=player.external_id)
    return player


def payment_method_create(
    *,
    player: Player,
    type: str,
    brand: str = "",
    bin: str = "",
    last4: str = "",
    holder_name: str = "",
    masked_account: str = "",
    acting_user: Any | None = None,
) -> PaymentMethod:
    if type not in MethodType.values:
        raise ValidationError(f"unknown payment method type {type!r}; expected one of {', '.join(MethodType.values)}")
    for field, value in (
        ("bin", bin),
        ("last4", last4),
        ("holder_name", holder_name),
        ("masked_account", masked_account),
    ):
        _refuse_pan(field, value)
    if bin and not (bin.isdigit() and 6 <= len(bin) <= 8):
        raise ValidationError(f"bin {bin!r} must be 6 to 8 digits")
    if last4 and not (last4.isdigit() and len(last4) == 4):
        raise ValidationError(f"last4 {last4!r} must be exactly 4 digits")
    with transaction.atomic():
        method = PaymentMethod.objects.create(
            player=player,
            type=type,
            brand=brand,
            bin=bin,
            last4=last4,
            holder_name=holder_name,
            masked_account=masked_account,
            created_at=clock.now(),
        )
        audit_record(
            action="payment_method.create",
            actor=acting_user,
            object_type="payment_method",
            object_id=method.pk,
            data={"player": player.external_id, "type": type, "last4": last4},
        )
    return method


def transaction_create(
    *,
    reference: str,
    kind: str,
    player: Player,
    amount_minor: int,
    currency: str,
    method: PaymentMethod | None = None,
    psp: Psp | None = None,
    psp_reference: str | None = None,
    parent: Transaction | None = None,
    metadata: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    source: str = EventSource.PLATFORM,
    dispute_stage: str | None = None,
    psp_status: str = "",
    acting_user: Any | None = None,
) -> Transaction:
    """Register a transaction in its initial status with the first timeline event.

    Webhook events that arrived before the transaction (orphans) are applied right after the commit.
    """
    if kind not in Kind.values:
        raise ValidationError(f"unknown transaction kind {kind!r}; expected one of {', '.join(Kind.values)}")
    if not reference.strip():
        raise ValidationError("transaction reference is empty")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < 0:
        raise ValidationError(f"amount_minor must be a non-negative integer, got {amount_minor!r}")
    code = normalize_currency(currency)
    currency_exponent(code)
    machine = machine_for(kind)
    if dispute_stage is not None and (kind != Kind.CHARGEBACK or dispute_stage not in ChargebackStage.values):
        raise ValidationError(f"dispute stage {dispute_stage!r} is not a chargeback stage of a chargeback")
    at = created_at or clock.now()
    try:
        with transaction.atomic():
            txn = Transaction.objects.create(
                reference=reference,
                kind=kind,
                status=machine.initial,
                psp_status=psp_status,
                dispute_stage=(dispute_stage or ChargebackStage.CHARGEBACK) if kind == Kind.CHARGEBACK else "",
                amount_minor=amount_minor,
                currency=code,
                player=player,
                method=method,
                psp=psp,
                psp_reference=psp_reference or None,
                parent=parent,
                created_at=at,
                updated_at=at,
                status_changed_at=at,
                metadata=metadata or {},
            )
            TransactionEvent.objects.create(
                transaction=txn,
                occurred_at=at,
                recorded_at=clock.now(),
                source=source,
                from_status="",
                to_status=machine.initial,
                psp_status=psp_status,
                idempotency_key=f"create:{reference}",
                actor=acting_user if getattr(acting_user, "pk", None) else None,
            )
            audit_record(
                action="transaction.create",
                actor=acting_user,
                object_type="transaction",
                object_id=reference,
                data={"kind": kind, "amount_minor": amount_minor, "currency": code, "source": source},
            )
            _queue_orphans(references=[reference], psp_references=[psp_reference] if psp_reference else [])
    except IntegrityError as exc:
        if Transaction.objects.filter(reference=reference).exists():
            raise ValidationError(f"transaction reference {reference!r} already exists") from exc
        raise ValidationError(
            f"PSP reference {psp_reference!r} is already used by another transaction of {psp}"
        ) from exc
    return txn


def _queue_orphans(*, references: list[str], psp_references: list[str]) -> None:
    """After the commit, apply PSP webhook events that were waiting for these transactions (explicit, no signals)."""
    from paydesk.payments.webhooks import webhook_orphans_queue

    transaction.on_commit(lambda: webhook_orphans_queue(references=references, psp_references=psp_references))


@dataclass(frozen=True, slots=True)
class TransitionResult:
    transaction: Transaction
    event: TransactionEvent
    duplicate: bool


def transaction_transition(
    *,
    reference: str,
    to_status: str,
    source: str,
    occurred_at: datetime | None = None,
    psp_status: str = "",
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    to_stage: str | None = None,
    note: str = "",
    acting_user: Any | None = None,
) -> TransitionResult:
    """Move a transaction to ``to_status`` (and, for chargebacks, optionally ``to_stage``)."""
    if source not in EventSource.values:
        raise ValidationError(f"unknown event source {source!r}")
    key = idempotency_key or f"auto:{uuid.uuid4()}"
    with transaction.atomic():
        txn = Transaction.objects.select_for_update().filter(reference=reference).first()
        if txn is None:
            raise NotFound(f"transaction {reference} not found")
        existing = TransactionEvent.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return TransitionResult(transaction=txn, event=existing, duplicate=True)
        machine = machine_for(txn.kind)
        from_status = txn.status
        target_status = to_status
        try:
            if txn.kind == Kind.CHARGEBACK and to_stage and to_stage != txn.dispute_stage:
                check_stage(reference=reference, from_stage=txn.dispute_stage, to_stage=to_stage, status=from_status)
                # A new stage reopens the dispute: the merchant must respond again.
                target_status = ChargebackStatus.NEEDS_RESPONSE if to_status == from_status else to_status
                if target_status != ChargebackStatus.NEEDS_RESPONSE:
                    machine.check(
                        reference=reference,
                        from_status=ChargebackStatus.NEEDS_RESPONSE,
                        to_status=target_status,
                    )
            else:
                stale = occurred_at is not None and occurred_at < txn.status_changed_at
                machine.check(reference=reference, from_status=from_status, to_status=target_status, stale=stale)
        except IllegalTransition as exc:
            logger.warning("rejected: %s [source=%s key=%s]", exc.message, source, key)
            raise
        now = clock.now()
        at = occurred_at or now
        event = TransactionEvent.objects.create(
            transaction=txn,
            occurred_at=at,
            recorded_at=now,
            source=source,
            from_status=from_status,
            to_status=target_status,
            psp_status=psp_status,
            payload=payload or {},
            idempotency_key=key,
            note=note,
            actor=acting_user if getattr(acting_user, "pk", None) else None,
        )
        txn.status = target_status
        if to_stage and txn.kind == Kind.CHARGEBACK:
            txn.dispute_stage = to_stage
        if psp_status:
            txn.psp_status = psp_status
        txn.updated_at = now
        txn.status_changed_at = at
        txn.save(update_fields=["status", "dispute_stage", "psp_status", "updated_at", "status_changed_at"])
        audit_record(
            action="transaction.transition",
            actor=acting_user,
            actor_label=None if acting_user is not None else source,
            object_type="transaction",
            object_id=reference,
            data={"from": from_status, "to": target_status, "source": source, "event": event.pk},
        )
    return TransitionResult(transaction=txn, event=event, duplicate=False)


def transaction_record_rejected(
    *,
    reference: str,
    to_status: str,
    source: str,
    reason: str,
    occurred_at: datetime | None = None,
    psp_status: str = "",
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> TransactionEvent | None:
    """Keep an event that could not be applied on the timeline, marked ``applied=False`` with the reason."""
    key = idempotency_key or f"auto:{uuid.uuid4()}"
    with transaction.atomic():
        txn = Transaction.objects.select_for_update().filter(reference=reference).first()
        if txn is None:
            raise NotFound(f"transaction {reference} not found")
        existing = TransactionEvent.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        now = clock.now()
        return TransactionEvent.objects.create(
            transaction=txn,
            occurred_at=occurred_at or now,
            recorded_at=now,
            source=source,
            from_status=txn.status,
            to_status=to_status,
            psp_status=psp_status,
            applied=False,
            note=reason,
            payload=payload or {},
            idempotency_key=key,
        )
