"""Live simulated traffic: new payments for existing players, and the PSPs' next moves on payments in flight.

Two concerns kept apart on purpose. The PSP side decides *what happens next* to a payment: ``next_step`` reads the
plan the generator stored in ``metadata["sim"]["plan"]`` and returns the step that is due (a ``SimulatedPlan`` row
per payment says which step is next and when, so finding due work is an index lookup). Delivery decides *how the
desk hears about it*: ``deliver_via_service`` calls ``transaction_transition`` directly; a webhook deliverer (sign
the step and POST it to ``/api/v1/webhooks/psp/{psp}``) can replace it without touching the PSP side. Every step
carries a stable idempotency key (``sim:<reference>:<index>``), so a step delivered twice, or by both paths, is
applied once. A step the desk no longer accepts (an agent moved the payment elsewhere) is kept on the timeline as
rejected and never retried.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from paydesk.core import clock
from paydesk.core.errors import PaydeskError
from paydesk.payments.enums import (
    EventSource,
    MethodType,
)
from paydesk.payments.machines import IllegalTransition
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction
from paydesk.payments.services import transaction_create, transaction_record_rejected, transaction_transition
from paydesk.simulate.catalogue import REGIONS
from paydesk.simulate.models import SimulatedPlan
from paydesk.simulate.seed import psps_ensure
from paydesk.simulate.world import (
    REFERENCE_PREFIXES,
    EventSpec,
    MethodSpec,
    PlayerSpec,
    TxnSpec,
    WorldBuilder,
    event_key,
)

logger = logging.getLogger(__name__)

LIVE_TAG = "LIVE"


@dataclass(frozen=True, slots=True)
class PspStep:
    """One thing a PSP (or the platform) does to a payment: the unit a deliverer carries to the desk."""

    reference: str
    kind: str
    psp: str | None
    psp_reference: str | None
    index: int
    at: datetime
    to_status: str
    source: str
    psp_status: str = ""
    note: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    stage: str = ""

    @property
    def idempotency_key(self) -> str:
        return event_key(self.reference, self.index)


Deliver = Callable[[PspStep], bool]


def _plan(txn: Transaction) -> list[EventSpec]:
    sim = txn.metadata.get("sim") if isinstance(txn.metadata, dict) else None
    items = sim.get("plan") if isinstance(sim, dict) else None
    if not isinstance(items, list):
        return []
    return [EventSpec.from_plan(item) for item in items if isinstance(item, dict)]


def next_step(txn: Transaction, *, index: int, now: datetime) -> PspStep | None:
    """The PSP side: step ``index`` of the payment's plan, if the plan has it and it is due by ``now``."""
    spec = next((e for e in _plan(txn) if e.index == index), None)
    if spec is None or spec.at > now:
        return None
    return PspStep(
        reference=txn.reference,
        kind=txn.kind,
        psp=txn.psp.code if txn.psp_id and txn.psp else None,
        psp_reference=txn.psp_reference,
        index=spec.index,
        at=spec.at,
        to_status=spec.to_status,
        source=spec.source,
        psp_status=spec.psp_status,
        note=spec.note,
        payload=spec.payload,
        stage=spec.stage,
    )


def following(txn: Transaction, index: int) -> EventSpec | None:
    """The planned step after ``index``, or None when the plan ends there."""
    return next((e for e in _plan(txn) if e.index > index), None)


def deliver_via_service(step: PspStep) -> bool:
    """Delivery: apply the step through the ledger service. False when the desk refused it (kept as rejected)."""
    try:
        transaction_transition(
            reference=step.reference,
            to_status=step.to_status,
            to_stage=step.stage or None,
            source=step.source,
            occurred_at=step.at,
            psp_status=step.psp_status,
            payload=step.payload,
            idempotency_key=step.idempotency_key,
            note=step.note,
        )
    except IllegalTransition as exc:
        transaction_record_rejected(
            reference=step.reference,
            to_status=step.to_status,
            source=step.source,
            reason=exc.message,
            occurred_at=step.at,
            psp_status=step.psp_status,
            payload=step.payload,
            idempotency_key=step.idempotency_key,
        )
        return False
    return True


@dataclass(frozen=True, slots=True)
class TickResult:
    created: tuple[str, ...]
    advanced: tuple[str, ...]
    refused: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"created": list(self.created), "advanced": list(self.advanced), "refused": list(self.refused)}


def advance_in_flight(
    *, now: datetime, limit: int, deliver: Deliver = deliver_via_service
) -> tuple[list[str], list[str]]:
    """Deliver due planned steps, the longest-waiting first, at most ``limit`` of them."""
    advanced: list[str] = []
    refused: list[str] = []
    due = SimulatedPlan.objects.select_related("transaction", "transaction__psp").filter(due_at__lte=now)
    for cursor in due.order_by("due_at", "transaction_id")[:limit]:
        txn = cursor.transaction
        index = cursor.next_index
        while len(advanced) + len(refused) < limit:
            step = next_step(txn, index=index, now=now)
            if step is None:
                break
            (advanced if deliver(step) else refused).append(step.reference)
            upcoming = following(txn, index)
            if upcoming is None:
                index = -1
                break
            index = upcoming.index
        _move_cursor(cursor, txn=txn, index=index)
        if len(advanced) + len(refused) >= limit:
            break
    return advanced, refused


def _move_cursor(cursor: SimulatedPlan, *, txn: Transaction, index: int) -> None:
    if index < 0:
        cursor.delete()
        return
    if index == cursor.next_index:
        return
    upcoming = next(e for e in _plan(txn) if e.index == index)
    SimulatedPlan.objects.filter(pk=cursor.pk).update(next_index=index, due_at=upcoming.at)


class _LiveBuilder(WorldBuilder):
    """The world's flow builder, with references that cannot collide with a seeded world or an earlier tick."""

    def _reference(self, kind: str) -> str:
        prefix = REFERENCE_PREFIXES[kind]
        return f"{prefix}-{LIVE_TAG}-{self.anchor:%y%m%d%H%M%S}-{self.rng.getrandbits(32):08X}"


def _player_spec(player: Player) -> PlayerSpec | None:
    region = REGIONS.get(player.region)
    country = next((c for c in region[1] if c.code == player.country), None) if region else None
    if country is None:
        return None
    return PlayerSpec(
        external_id=player.external_id,
        name=player.name,
        email=player.email,
        country=player.country,
        language=player.language,
        region=player.region,
        vip_level=min(player.vip_level, 5),
        kyc_status=player.kyc_status,
        currency=country.currency,
        created_at=player.created_at,
    )


def _method_spec(method: PaymentMethod, player: PlayerSpec) -> MethodSpec:
    currency = player.currency
    if method.type == MethodType.CRYPTO:
        currency = "BTC" if method.brand == "BTC" else "USDT"
    return MethodSpec(
        key=str(method.pk),
        player=player.external_id,
        type=method.type,
        brand=method.brand,
        bin=method.bin,
        last4=method.last4,
        holder_name=method.holder_name,
        masked_account=method.masked_account,
        currency=currency,
        created_at=method.created_at,
    )


def create_new(*, rng: random.Random, now: datetime, count: int) -> list[str]:
    """``count`` new deposits or withdrawals for random simulated players, through the ledger services."""
    players = Player.objects.filter(region__in=list(REGIONS)).order_by("pk")
    total = players.count()
    if total == 0:
        return []
    psps = {p.code: p for p in Psp.objects.all()}
    if any(code not in psps for code in ("stripe", "adyen", "novawallet", "chainpay", "volgabank")):
        psps = psps_ensure()
    created: list[str] = []
    for _ in range(count):
        player = players[rng.randrange(total)]
        spec = _player_spec(player)
        methods = list(player.methods.order_by("pk"))
        if spec is None or not methods:
            continue
        method = rng.choice(methods)
        mspec = _method_spec(method, spec)
        builder = _LiveBuilder(rng, tag=LIVE_TAG, anchor=now)
        if rng.random() < 0.78:
            txn_spec = builder.deposit(spec, mspec, now, extras=False)
        else:
            txn_spec = builder.withdrawal(spec, mspec, now)
        builder.finish()
        created.append(_create(txn_spec, player=player, method=method, psp=psps[txn_spec.psp]))
    return created


def _create(spec: TxnSpec, *, player: Player, method: PaymentMethod, psp: Psp) -> str:
    metadata = spec.metadata(LIVE_TAG)
    metadata["sim"]["live"] = True
    with transaction.atomic():
        txn = transaction_create(
            reference=spec.reference,
            kind=spec.kind,
            player=player,
            amount_minor=spec.amount_minor,
            currency=spec.currency,
            method=method,
            psp=psp,
            psp_reference=spec.psp_reference,
            metadata=metadata,
            created_at=spec.created_at,
            source=EventSource.PLATFORM,
        )
        if spec.plan:
            SimulatedPlan.objects.create(transaction=txn, next_index=spec.plan[0].index, due_at=spec.plan[0].at)
    return txn.reference


def live_tick(
    *,
    rng: random.Random,
    now: datetime | None = None,
    new: tuple[int, int] = (1, 3),
    advance_limit: int = 25,
    deliver: Deliver = deliver_via_service,
) -> TickResult:
    """One tick of simulated traffic: deliver the due PSP steps, then start a few new payments."""
    at = now or clock.now()
    advanced, refused = advance_in_flight(now=at, limit=advance_limit, deliver=deliver)
    created: list[str] = []
    try:
        created = create_new(rng=rng, now=at, count=rng.randint(*new))
    except PaydeskError as exc:
        # A reference or PSP-reference collision is astronomically unlikely; skip this tick's creations if it happens.
        logger.warning("simulated traffic: could not create a payment: %s", exc.message)
    return TickResult(created=tuple(created), advanced=tuple(advanced), refused=tuple(refused))
