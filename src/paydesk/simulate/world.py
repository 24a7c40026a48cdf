"""The simulated world: players, payment methods, PSPs and payment flows with labelled failure modes.

Owns the generator and its two promises. Determinism: everything is drawn from one ``random.Random(seed)`` and every
time is derived from the ``anchor`` passed in (no global random, no clock reads), so the same seed and anchor give
the same world, byte for byte (``World.digest``). Legality: every history is built step by step against the state
machines of ``paydesk.payments.machines`` and a step the table forbids raises at generation time, so nothing illegal
can reach the database.

Each transaction carries its label in ``metadata["sim"]``: ``scenario`` (what happened or is about to happen) and
details such as ``decline_reason`` or ``payout_reference``, so a diagnosis engine can be scored against it. Steps
planned after the anchor are kept as ``metadata["sim"]["plan"]``; the live tick plays them when they fall due, so
the world keeps moving where the seed left it. Card data is a BIN and last four only, never a full number.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from paydesk.payments.enums import (
    ChargebackStage,
    ChargebackStatus,
    DepositStatus,
    EventSource,
    Kind,
    KycStatus,
    MethodType,
    RefundStatus,
    WithdrawalStatus,
)
from paydesk.payments.machines import CHARGEBACK_STAGES, STAGE_ADVANCE_FROM_STATUS, IllegalTransition, machine_for
from paydesk.simulate.catalogue import (
    ADYEN_EVENT_CODES,
    ADYEN_REFUSALS,
    BANK_RETURN_REASONS,
    CARD_DECLINES,
    CHARGEBACK_RATE,
    CHARGEBACK_REASONS,
    CURRENCIES,
    DECLINE_RETRY_RATE,
    DECLINES_BY_METHOD,
    DEPOSIT_HOLD_REASONS,
    DEPOSIT_SCENARIOS,
    DUPLICATE_REFUND_RATE,
    HOUR_WEIGHTS,
    KYC_DOCUMENTS,
    KYC_FIRST_WITHDRAWAL,
    NOT_CREDITED_CAUSES,
    PAYOUT_FAILURES,
    PSP_BY_CODE,
    PSP_ERRORS,
    PSP_RAW_STATUS,
    PSPS,
    REFUND_FAILURES,
    REFUND_RATE,
    REFUND_REASONS,
    REGIONS,
    STRIPE_DECLINE_CODES,
    STRIPE_EVENT_TYPES,
    STRIPE_OBJECTS,
    THREE_DS_STATUS,
    VIP_AMOUNT,
    VIP_SESSIONS_PER_DAY,
    VIP_WEIGHTS,
    WITHDRAWAL_HOLD_REASONS,
    WITHDRAWAL_SCENARIOS,
    WITHDRAWAL_SHARE,
    Country,
    PspSpec,
    Scenario,
)
from paydesk.simulate.names import POOLS, feminine_surname, transliterate

D = DepositStatus
W = WithdrawalStatus
R = RefundStatus
C = ChargebackStatus
SRC = EventSource


# --- Entities -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayerSpec:
    external_id: str
    name: str
    email: str
    country: str
    language: str
    region: str
    vip_level: int
    kyc_status: str
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MethodSpec:
    key: str
    player: str  # external id
    type: str
    brand: str
    bin: str
    last4: str
    holder_name: str
    masked_account: str
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventSpec:
    index: int  # position in the history; 0 is the creation
    at: datetime
    to_status: str
    source: str
    psp_status: str = ""
    note: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    stage: str = ""  # chargebacks: the dispute stage after this event

    def as_plan(self) -> dict[str, Any]:
        item: dict[str, Any] = {"i": self.index, "at": self.at.isoformat(), "to": self.to_status, "source": self.source}
        for name in ("psp_status", "note", "stage"):
            value = getattr(self, name)
            if value:
                item[name] = value
        if self.payload:
            item["payload"] = self.payload
        return item

    @classmethod
    def from_plan(cls, item: dict[str, Any]) -> EventSpec:
        return cls(
            index=int(item["i"]),
            at=datetime.fromisoformat(str(item["at"])),
            to_status=str(item["to"]),
            source=str(item["source"]),
            psp_status=str(item.get("psp_status", "")),
            note=str(item.get("note", "")),
            payload=dict(item.get("payload") or {}),
            stage=str(item.get("stage", "")),
        )


def event_key(reference: str, index: int) -> str:
    """Idempotency key of a simulated event: the creation uses the service's own key, later steps a sim key."""
    return f"create:{reference}" if index == 0 else f"sim:{reference}:{index}"


@dataclass(slots=True)
class TxnSpec:
    reference: str
    kind: str
    player: str
    method: str | None
    psp: str
    psp_reference: str | None
    amount_minor: int
    currency: str
    parent: str | None
    scenario: Scenario
    details: dict[str, Any]
    events: list[EventSpec]  # happened by the anchor
    plan: list[EventSpec] = field(default_factory=list)  # due after the anchor

    @property
    def created_at(self) -> datetime:
        return self.events[0].at

    @property
    def status(self) -> str:
        return self.events[-1].to_status

    @property
    def stage(self) -> str:
        return self.events[-1].stage

    @property
    def psp_status(self) -> str:
        return next((e.psp_status for e in reversed(self.events) if e.psp_status), "")

    def metadata(self, world: str) -> dict[str, Any]:
        sim: dict[str, Any] = {"world": world, "scenario": self.scenario.value, **self.details}
        if self.plan:
            sim["plan"] = [e.as_plan() for e in self.plan]
        return {"sim": sim}


@dataclass(slots=True)
class World:
    seed: int
    days: int
    anchor: datetime
    tag: str
    psps: tuple[PspSpec, ...]
    players: list[PlayerSpec]
    methods: list[MethodSpec]
    transactions: list[TxnSpec]

    @property
    def events(self) -> int:
        return sum(len(t.events) for t in self.transactions)

    def digest(self) -> str:
        """SHA-256 over every entity in a canonical form: equal digests mean identical worlds."""
        h = hashlib.sha256()
        for item in self._canonical_items():
            h.update(json.dumps(item, sort_keys=True, default=str, ensure_ascii=False).encode())
            h.update(b"\n")
        return h.hexdigest()

    def _canonical_items(self) -> Iterable[Any]:
        yield [self.seed, self.days, self.anchor.isoformat(), self.tag]
        for psp in self.psps:
            yield [psp.code, psp.adapter, psp.methods, psp.currencies, psp.norms]
        for p in self.players:
            yield [p.external_id, p.name, p.email, p.country, p.language, p.region, p.vip_level, p.kyc_status]
        for m in self.methods:
            yield [m.key, m.type, m.brand, m.bin, m.last4, m.holder_name, m.masked_account, m.currency]
        for t in self.transactions:
            yield [t.reference, t.kind, t.player, t.method, t.psp, t.psp_reference, t.amount_minor, t.currency]
            yield [t.parent, t.scenario.value, t.details]
            for e in (*t.events, *t.plan):
                yield [e.index, e.at.isoformat(), e.to_status, e.source, e.psp_status, e.note, e.payload, e.stage]


REFERENCE_PREFIXES: dict[str, str] = {
    Kind.DEPOSIT: "DEP",
    Kind.WITHDRAWAL: "WDR",
    Kind.REFUND: "RFD",
    Kind.CHARGEBACK: "CBK",
}
STRIPE_PREFIXES: dict[str, str] = {
    Kind.DEPOSIT: "pi_",
    Kind.WITHDRAWAL: "po_",
    Kind.REFUND: "re_",
    Kind.CHARGEBACK: "dp_",
}


def world_tag(*, seed: int, players: int, days: int) -> str:
    """A short stable tag naming a world (it prefixes its references, so two worlds never collide)."""
    return hashlib.sha256(f"{seed}:{players}:{days}".encode()).hexdigest()[:5].upper()


# --- Histories ----------------------------------------------------------------------------------------------------


def validate_history(kind: str, events: Sequence[EventSpec], *, reference: str = "?") -> tuple[str, str]:
    """Replay ``events`` the way ``transaction_transition`` would; raise IllegalTransition on the first bad step.

    Returns the final (status, dispute stage).
    """
    machine = machine_for(kind)
    if not events or events[0].to_status != machine.initial:
        raise IllegalTransition(
            reference=reference,
            kind=kind,
            from_status="",
            to_status=events[0].to_status if events else "",
            reason="a history starts in the initial status",
        )
    status = machine.initial
    stage = ChargebackStage.CHARGEBACK.value if kind == Kind.CHARGEBACK else ""
    previous_at = events[0].at
    for event in events[1:]:
        if event.at < previous_at:
            raise IllegalTransition(
                reference=reference, kind=kind, from_status=status, to_status=event.to_status, reason="time goes back"
            )
        previous_at = event.at
        if kind == Kind.CHARGEBACK and event.stage and event.stage != stage:
            if event.stage not in CHARGEBACK_STAGES.get(stage, frozenset()) or status not in STAGE_ADVANCE_FROM_STATUS:
                raise IllegalTransition(
                    reference=reference,
                    kind=kind,
                    from_status=f"{stage}/{status}",
                    to_status=event.stage,
                    reason="stage not reachable",
                )
            if event.to_status != C.NEEDS_RESPONSE and not machine.allows(C.NEEDS_RESPONSE, event.to_status):
                machine.check(reference=reference, from_status=C.NEEDS_RESPONSE, to_status=event.to_status)
            stage = event.stage
        else:
            machine.check(reference=reference, from_status=status, to_status=event.to_status)
        status = event.to_status
    return status, stage


class _History:
    """A history under construction; each step is checked against the machine before it is added."""

    def __init__(self, kind: str, start: datetime, *, source: str = SRC.PLATFORM, note: str = "") -> None:
        self.kind = kind
        self.machine = machine_for(kind)
        self.status = self.machine.initial
        self.stage = ChargebackStage.CHARGEBACK.value if kind == Kind.CHARGEBACK else ""
        self.at = start
        self.events: list[EventSpec] = [
            EventSpec(index=0, at=start, to_status=self.status, source=source, note=note, stage=self.stage)
        ]

    def step(
        self,
        to_status: str,
        *,
        after: float = 1,
        at: datetime | None = None,
        source: str,
        psp_status: str = "",
        note: str = "",
        payload: dict[str, Any] | None = None,
        stage: str = "",
    ) -> None:
        when = at if at is not None else self.at + timedelta(seconds=max(1, int(after)))
        when = max(when, self.at + timedelta(seconds=1))
        if stage and stage != self.stage:
            legal = stage in CHARGEBACK_STAGES.get(self.stage, frozenset()) and self.status in STAGE_ADVANCE_FROM_STATUS
            legal = legal and (to_status == C.NEEDS_RESPONSE or self.machine.allows(C.NEEDS_RESPONSE, to_status))
        else:
            legal = self.machine.allows(self.status, to_status)
        if not legal:
            raise IllegalTransition(
                reference="(generating)",
                kind=self.kind,
                from_status=f"{self.stage}/{self.status}" if self.stage else self.status,
                to_status=f"{stage}/{to_status}" if stage else to_status,
                reason="the simulator planned a step the machine forbids",
            )
        self.status = to_status
        self.stage = stage or self.stage
        self.at = when
        self.events.append(
            EventSpec(
                index=len(self.events),
                at=when,
                to_status=to_status,
                source=source,
                psp_status=psp_status,
                note=note,
                payload=payload or {},
                stage=self.stage if self.kind == Kind.CHARGEBACK else "",
            )
        )


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_HEX = "0123456789abcdef"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


def _psp_reference(rng: random.Random, psp: PspSpec, kind: str) -> str:
    if psp.adapter == "stripe":
        prefix = STRIPE_PREFIXES[kind]
        return prefix + _chars(rng, _ALNUM, 24)
    if psp.adapter == "adyen":
        # Modern Adyen PSP references: 16 upper-case alphanumerics.
        return _chars(rng, _UPPER_ALNUM, 16)
    if psp.code == "volgabank":
        return "B" + _chars(rng, _UPPER_ALNUM, 19)
    if psp.code == "chainpay":
        return "cp_" + _chars(rng, _HEX, 20)
    return "NW-" + _chars(rng, _UPPER_ALNUM, 12)


def _payout_reference(rng: random.Random, method_type: str, brand: str) -> str:
    if method_type == MethodType.CRYPTO:
        return ("0x" if brand.endswith("ERC20") else "") + _chars(rng, _HEX, 64)
    if method_type == MethodType.BANK_TRANSFER:
        u = _chars(rng, _HEX, 32)
        return f"{u[:8]}-{u[8:12]}-4{u[13:16]}-a{u[17:20]}-{u[20:]}"  # UETR (a UUID v4)
    if method_type == MethodType.SBP:
        return "A" + _chars(rng, _UPPER_ALNUM, 31)
    return "PO" + _chars(rng, _UPPER_ALNUM, 14)


# --- Generator ----------------------------------------------------------------------------------------------------


class WorldBuilder:
    """Draws a world, or single flows for the live tick, from one ``random.Random``."""

    def __init__(self, rng: random.Random, *, tag: str, anchor: datetime) -> None:
        self.rng = rng
        self.tag = tag
        self.anchor = anchor
        self.transactions: list[TxnSpec] = []
        self._counters: dict[str, int] = {}
        self._psp_refs: set[str] = set()
        self._emails: set[str] = set()
        # Histories still open for late steps (refunds and chargebacks append to their deposit).
        self._histories: dict[str, _History] = {}

    # -- identity --

    def _reference(self, kind: str) -> str:
        prefix = REFERENCE_PREFIXES[kind]
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}-{self.tag}-{n:06d}"

    def _unique_psp_reference(self, psp: PspSpec, kind: str) -> str:
        while True:
            ref = _psp_reference(self.rng, psp, kind)
            if f"{psp.code}:{ref}" not in self._psp_refs:
                self._psp_refs.add(f"{psp.code}:{ref}")
                return ref

    # -- players and methods --

    def player(self, index: int, *, window_start: datetime) -> PlayerSpec:
        rng = self.rng
        region = rng.choices(list(REGIONS), weights=[w for w, _ in REGIONS.values()])[0]
        countries = REGIONS[region][1]
        country = rng.choices(countries, weights=[c.weight for c in countries])[0]
        pool_key = country.names
        language = "en"
        if region == "cis":
            language = "ru" if rng.random() < 0.85 else "en"
        pool = POOLS[pool_key]
        female = rng.random() < 0.32
        first = rng.choice(pool.female if female else pool.male)
        surname = rng.choice(pool.surnames)
        if female:
            surname = feminine_surname(surname, pool)
        name = f"{first} {surname}"
        if region == "cis" and language == "en":
            name = transliterate(name)
        vip = rng.choices(range(6), weights=VIP_WEIGHTS)[0]
        if vip >= 3:
            kyc = rng.choices([KycStatus.VERIFIED, KycStatus.PENDING, KycStatus.NONE], weights=[90, 7, 3])[0]
        else:
            kyc = rng.choices(
                [KycStatus.VERIFIED, KycStatus.PENDING, KycStatus.NONE, KycStatus.REJECTED], weights=[55, 12, 28, 5]
            )[0]
        if rng.random() < 0.7:
            created = window_start - timedelta(days=rng.uniform(1, 700))
        else:
            created = window_start + (self.anchor - window_start) * rng.random() ** 1.5
        created = created.replace(microsecond=0)
        return PlayerSpec(
            external_id=f"PL-{self.tag}-{index + 1:05d}",
            name=name,
            email=self._email(first, surname, country),
            country=country.code,
            language=language,
            region=region,
            vip_level=vip,
            kyc_status=kyc.value,
            currency=country.currency,
            created_at=created,
        )

    def _email(self, first: str, surname: str, country: Country) -> str:
        rng = self.rng
        f, s = transliterate(first).lower(), transliterate(surname).lower().replace(" ", "")
        style = rng.randrange(4)
        local = (f"{f}.{s}", f"{f[0]}{s}", f"{f}_{s}{rng.randint(70, 99)}", f"{s}.{f}{rng.randint(1, 999)}")[style]
        domain = rng.choice(country.email_domains)
        email = f"{local}@{domain}"
        while email in self._emails:
            email = f"{local}{rng.randint(1, 9999)}@{domain}"
        self._emails.add(email)
        return email

    def methods_for(self, player: PlayerSpec) -> list[MethodSpec]:
        rng = self.rng
        region, country = player.region, player.country
        shares: dict[str, float]
        if country == "RU":
            shares = {"card": 0.85, "sbp": 0.55, "crypto": 0.15, "e_wallet": 0.10}
        elif region == "cis":
            shares = {"card": 0.80, "crypto": 0.25, "e_wallet": 0.25}
        elif region == "eu":
            shares = {"card": 0.85, "bank_transfer": 0.30, "e_wallet": 0.30, "crypto": 0.08}
        elif region == "latam":
            shares = {"card": 0.70, "bank_transfer": 0.45, "e_wallet": 0.15, "crypto": 0.12}
        else:
            shares = {"card": 0.85, "e_wallet": 0.30, "crypto": 0.15}
        types = [t for t, share in shares.items() if rng.random() < share] or ["card"]
        if "card" in types and rng.random() < 0.15:
            types.insert(1, "card")
        # The first method is added at sign-up; later ones over the following weeks, never after the anchor.
        created = player.created_at
        latest = max(player.created_at, self.anchor - timedelta(minutes=5))
        methods = []
        for n, method_type in enumerate(types):
            created = min(created + timedelta(minutes=rng.randint(2, 30 if n == 0 else 60 * 24 * 20)), latest)
            methods.append(self._method(player, f"{player.external_id}:m{n + 1}", method_type, created))
        return methods

    def _method(self, player: PlayerSpec, key: str, method_type: str, created: datetime) -> MethodSpec:
        rng = self.rng
        first, _, last = player.name.partition(" ")
        latin = transliterate(player.name).upper()
        brand = bin_ = last4 = masked = holder = ""
        currency = player.currency
        if method_type == MethodType.CARD:
            if player.country == "RU":
                brand = rng.choices(["Mir", "Visa", "Mastercard"], weights=[45, 30, 25])[0]
            elif player.region == "row" and rng.random() < 0.08:
                brand = "American Express"
            else:
                brand = rng.choices(["Visa", "Mastercard"], weights=[56, 44])[0]
            if brand == "Mir":
                bin_ = f"220{rng.randint(0, 4)}{rng.randint(0, 99):02d}"
            elif brand == "Visa":
                bin_ = f"4{rng.randint(0, 99999):05d}"
            elif brand == "Mastercard":
                bin_ = (
                    f"5{rng.randint(1, 5)}{rng.randint(0, 9999):04d}"
                    if rng.random() < 0.85
                    else "222" + str(rng.randint(100, 999))
                )
            else:
                bin_ = f"3{rng.choice('47')}{rng.randint(0, 9999):04d}"
            last4 = f"{rng.randint(0, 9999):04d}"
            holder = latin
        elif method_type == MethodType.SBP:
            brand = "SBP"
            masked = f"+7 9** ***-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
            holder = f"{first} {last[:1]}." if last else first
        elif method_type == MethodType.CRYPTO:
            brand = rng.choices(["USDT-TRC20", "USDT-ERC20", "BTC"], weights=[60, 15, 25])[0]
            currency = "BTC" if brand == "BTC" else "USDT"
            if brand == "USDT-TRC20":
                address = "T" + _chars(rng, _BASE58, 33)
            elif brand == "USDT-ERC20":
                address = "0x" + _chars(rng, _HEX, 40)
            else:
                address = "bc1q" + _chars(rng, "qpzry9x8gf2tvdw0s3jn54khce6mua7l", 38)
            masked = f"{address[:6]}…{address[-4:]}"
        elif method_type == MethodType.E_WALLET:
            brand = "NovaWallet"
            if rng.random() < 0.5:
                local = transliterate(first).lower() or "user"
                masked = f"{local[0]}***{local[-1]}@{rng.choice(('gmail.com', 'mail.ru', 'outlook.com'))}"
            else:
                masked = f"NW ****{rng.randint(0, 9999):04d}"
            holder = latin.title()
        else:  # bank transfer
            holder = latin.title()
            if player.country == "BR":
                brand = "PIX"
                masked = f"***.{rng.randint(0, 999):03d}.{rng.randint(0, 999):03d}-**"
            elif player.country == "MX":
                brand = "SPEI"
                masked = f"{rng.randint(0, 999):03d} **** **** {rng.randint(0, 9999):04d}"
            elif player.region == "eu":
                brand = "SEPA"
                masked = f"{player.country}{rng.randint(10, 99)} **** **** **** {rng.randint(0, 9999):04d}"
            else:
                brand = "Bank transfer"
                masked = f"****{rng.randint(0, 9999):04d}"
        return MethodSpec(
            key=key,
            player=player.external_id,
            type=method_type,
            brand=brand,
            bin=bin_,
            last4=last4,
            holder_name=holder,
            masked_account=masked,
            currency=currency,
            created_at=created,
        )

    def route(self, player: PlayerSpec, method: MethodSpec) -> PspSpec:
        rng = self.rng
        if method.type == MethodType.CARD:
            if player.country == "RU":
                return PSP_BY_CODE["volgabank"]
            if player.region in ("eu", "row") and method.currency in PSP_BY_CODE["stripe"].currencies:
                return PSP_BY_CODE["stripe" if rng.random() < 0.58 else "adyen"]
            return PSP_BY_CODE["adyen"]
        if method.type == MethodType.SBP:
            return PSP_BY_CODE["volgabank"]
        if method.type == MethodType.BANK_TRANSFER:
            return PSP_BY_CODE["adyen"]
        if method.type == MethodType.CRYPTO:
            return PSP_BY_CODE["chainpay"]
        return PSP_BY_CODE["novawallet"]

    # -- amounts --

    def deposit_amount(self, currency: str, vip: int) -> int:
        info = CURRENCIES[currency]
        scale = _scale(info.exponent)
        value = max(info.minimum, info.median * self.rng.lognormvariate(0, 0.85) * VIP_AMOUNT[vip])
        if currency in ("USDT", "BTC"):
            places = 2 if currency == "USDT" else 5
            return round(round(value, places) * scale)
        # People deposit round amounts: two significant digits, often a multiple of five.
        step = _scale(max(0, math.floor(math.log10(value)) - 1))
        if self.rng.random() < 0.5:
            step *= 5
        return max(step, round(value / step) * step) * scale

    def withdrawal_amount(self, currency: str, vip: int) -> int:
        info = CURRENCIES[currency]
        value = max(info.minimum * 2, info.median * 1.8 * self.rng.lognormvariate(0, 1.0) * VIP_AMOUNT[vip])
        minor = round(value * _scale(info.exponent))
        granularity = _scale(info.exponent - 1) if info.exponent >= 2 else 1
        if info.exponent > 2:
            granularity = _scale(info.exponent - 2)
        return max(granularity, minor - minor % granularity)

    # -- helpers --

    def _secs(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def _psp_step(self, adapter: str, kind: str, to_status: str) -> str:
        return PSP_RAW_STATUS[adapter].get((kind, to_status), "")

    def _psp_source(self) -> str:
        return SRC.PSP_POLL if self.rng.random() < 0.1 else SRC.PSP_WEBHOOK

    def _payload(
        self, psp: PspSpec, kind: str, to_status: str, psp_reference: str | None, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        extra = extra or {}
        if psp.adapter == "stripe":
            payload: dict[str, Any] = {"id": "evt_" + _chars(rng, _ALNUM, 24), "object": psp_reference}
            if kind == Kind.DEPOSIT:
                payload["type"] = STRIPE_EVENT_TYPES.get(to_status, "payment_intent.updated")
            else:
                payload["type"] = f"{STRIPE_OBJECTS[kind]}.{to_status}"
        elif psp.adapter == "adyen":
            payload = {
                "eventCode": ADYEN_EVENT_CODES[kind],
                "pspReference": psp_reference,
                "success": "false" if to_status in (D.DECLINED, D.FAILED, W.FAILED, R.FAILED) else "true",
            }
        else:
            payload = {"event": f"{kind}.{to_status}", "id": _chars(rng, _HEX, 16), "reference": psp_reference}
        payload.update(extra)
        return payload

    # -- deposits --

    def deposit(
        self,
        player: PlayerSpec,
        method: MethodSpec,
        at: datetime,
        *,
        scenario: Scenario | None = None,
        amount_minor: int | None = None,
        extras: bool = True,
    ) -> TxnSpec:
        """One deposit attempt (and, with ``extras``, its retry, duplicate twin, refund or chargeback)."""
        rng = self.rng
        psp = self.route(player, method)
        adapter = psp.adapter
        if scenario is None:
            weights = DEPOSIT_SCENARIOS[method.type]
            roll = rng.random()
            scenario = Scenario.OK
            for candidate, share in weights.items():
                if roll < share:
                    scenario = candidate
                    break
                roll -= share
            if not extras and scenario == Scenario.DUPLICATE_CHARGE:
                scenario = Scenario.OK
        amount = amount_minor or self.deposit_amount(method.currency, player.vip_level)
        reference = self._reference(Kind.DEPOSIT)
        psp_ref = self._unique_psp_reference(psp, Kind.DEPOSIT)
        norm = psp.norm("deposit", method.type)
        h = _History(Kind.DEPOSIT, at, note="cashier: deposit started")
        details: dict[str, Any] = {}
        three_ds = method.type == MethodType.CARD and (adapter != "generic" or rng.random() < 0.5)
        pending_raw = self._psp_step(adapter, Kind.DEPOSIT, D.PENDING)
        if three_ds and (scenario == Scenario.THREE_DS_ABANDONED or rng.random() < 0.3):
            pending_raw = THREE_DS_STATUS[adapter]

        def psp_move(to: str, after: float, *, raw: str | None = None, extra: dict[str, Any] | None = None) -> None:
            h.step(
                to,
                after=after,
                source=self._psp_source(),
                psp_status=raw if raw is not None else self._psp_step(adapter, Kind.DEPOSIT, to),
                payload=self._payload(psp, Kind.DEPOSIT, to, psp_ref, extra),
            )

        def credit(after: float) -> None:
            h.step(D.CREDITED, after=after, source=SRC.PLATFORM, note="balance topped up")

        def happy(confirm_after: float) -> None:
            # Stripe often says "succeeded" without a "processing" first.
            if adapter == "stripe" and pending_raw == "processing" and rng.random() < 0.5:
                psp_move(D.CONFIRMED, confirm_after)
            else:
                psp_move(D.PENDING, self._secs(1, 8), raw=pending_raw)
                psp_move(D.CONFIRMED, confirm_after)
            credit(self._secs(1, 12))

        if scenario == Scenario.OK or scenario == Scenario.DUPLICATE_CHARGE:
            happy(norm * rng.uniform(0.05, 0.7))
        elif scenario == Scenario.ISSUER_DECLINE:
            reason = _pick(rng, DECLINES_BY_METHOD.get(method.type, CARD_DECLINES))
            details["decline_reason"] = reason
            if adapter == "stripe":
                extra: dict[str, Any] = {"decline_code": STRIPE_DECLINE_CODES.get(reason, reason)}
            elif adapter == "adyen":
                extra = {"reason": ADYEN_REFUSALS[reason]}
            else:
                extra = {"reason": reason}
            if rng.random() < 0.5:
                psp_move(D.PENDING, self._secs(1, 6), raw=pending_raw)
            psp_move(D.DECLINED, self._secs(2, 40), extra=extra)
        elif scenario == Scenario.THREE_DS_ABANDONED:
            psp_move(D.PENDING, self._secs(1, 6), raw=THREE_DS_STATUS[adapter])
            timeout = rng.choice((900, 1800, 3600))
            details["authentication_timeout_seconds"] = timeout
            h.step(D.EXPIRED, after=timeout, source=SRC.SYSTEM, note="3-D Secure not completed in time")
        elif scenario == Scenario.SLOW_CONFIRMATION:
            delay = norm * rng.uniform(3, 20)
            details["confirmation_seconds"] = int(delay)
            details["norm_seconds"] = norm
            psp_move(D.PENDING, self._secs(1, 8), raw=pending_raw)
            psp_move(D.CONFIRMED, delay)
            credit(self._secs(1, 12))
        elif scenario == Scenario.CONFIRMED_NOT_CREDITED:
            details["cause"] = rng.choice(NOT_CREDITED_CAUSES)
            psp_move(D.PENDING, self._secs(1, 8), raw=pending_raw)
            psp_move(D.CONFIRMED, norm * rng.uniform(0.05, 0.7))
        elif scenario == Scenario.RISK_HOLD:
            reason = rng.choice(DEPOSIT_HOLD_REASONS)
            details["hold_reason"] = reason
            psp_move(D.PENDING, self._secs(1, 8), raw=pending_raw)
            h.step(D.HELD, after=self._secs(2, 60), source=SRC.SYSTEM, note=f"risk review: {reason}")
            if rng.random() < 0.72:
                details["review_outcome"] = "released"
                h.step(D.CONFIRMED, after=self._secs(1800, 43200), source=SRC.AGENT, note="released by risk")
                credit(self._secs(1, 30))
            else:
                details["review_outcome"] = "rejected"
                h.step(D.DECLINED, after=self._secs(1800, 43200), source=SRC.AGENT, note=f"rejected by risk: {reason}")
        elif scenario == Scenario.PSP_ERROR:
            error = rng.choice(PSP_ERRORS)
            details["error"] = error
            if rng.random() < 0.6:
                psp_move(D.PENDING, self._secs(1, 8), raw=pending_raw)
            psp_move(D.FAILED, self._secs(5, 90), extra={"error": error})
        elif scenario == Scenario.PAYMENT_EXPIRED:
            ttl = {"crypto": 3600, "sbp": 900, "bank_transfer": 259200}.get(method.type, 1800)
            details["payment_window_seconds"] = ttl
            psp_move(D.PENDING, self._secs(1, 8))
            psp_move(D.EXPIRED, ttl + self._secs(0, 120))
        elif scenario == Scenario.PLAYER_CANCELLED:
            if rng.random() < 0.5:
                psp_move(D.PENDING, self._secs(1, 8), raw=pending_raw)
            h.step(D.CANCELLED, after=self._secs(20, 600), source=SRC.PLATFORM, note="player left the cashier")
        txn = TxnSpec(
            reference=reference,
            kind=Kind.DEPOSIT,
            player=player.external_id,
            method=method.key,
            psp=psp.code,
            psp_reference=psp_ref,
            amount_minor=amount,
            currency=method.currency,
            parent=None,
            scenario=scenario,
            details=details,
            events=h.events,
        )
        self.transactions.append(txn)
        self._histories[reference] = h
        if not extras:
            return txn
        if scenario == Scenario.DUPLICATE_CHARGE:
            twin = self.deposit(
                player,
                method,
                at + timedelta(seconds=rng.randint(2, 45)),
                scenario=Scenario.OK,
                amount_minor=amount,
                extras=False,
            )
            twin.scenario = Scenario.DUPLICATE_CHARGE
            txn.details.update(duplicate_role="first", duplicate_of=twin.reference)
            twin.details.update(duplicate_role="second", duplicate_of=txn.reference)
            if rng.random() < DUPLICATE_REFUND_RATE:
                self.refund(player, twin, reason="duplicate_charge")
        elif scenario in (Scenario.ISSUER_DECLINE, Scenario.THREE_DS_ABANDONED) and rng.random() < DECLINE_RETRY_RATE:
            retry_at = h.at + timedelta(seconds=rng.randint(40, 900))
            if retry_at < self.anchor:
                lower = amount if rng.random() < 0.6 else max(1, amount // 2)
                retry = self.deposit(player, method, retry_at, amount_minor=lower)
                retry.details.setdefault("retry_of", reference)
        elif scenario == Scenario.OK and h.status == D.CREDITED:
            roll = rng.random()
            if roll < REFUND_RATE and method.type != MethodType.CRYPTO:
                self.refund(player, txn, reason=_pick(rng, REFUND_REASONS))
            elif roll < REFUND_RATE + CHARGEBACK_RATE and method.type == MethodType.CARD:
                self.chargeback(player, txn)
        return txn

    def refund(self, player: PlayerSpec, deposit: TxnSpec, *, reason: str) -> TxnSpec | None:
        rng = self.rng
        dh = self._histories[deposit.reference]
        requested = dh.at + timedelta(seconds=rng.randint(1800, 20 * 86400))
        if requested >= self.anchor:
            return None
        psp = PSP_BY_CODE[deposit.psp]
        partial = reason not in ("duplicate_charge", "account_closure") and rng.random() < 0.25
        amount = deposit.amount_minor
        if partial:
            amount = max(1, amount * rng.randint(3, 7) // 10)
        reference = self._reference(Kind.REFUND)
        psp_ref = self._unique_psp_reference(psp, Kind.REFUND)
        h = _History(Kind.REFUND, requested, source=SRC.AGENT, note=f"refund requested: {reason}")
        details: dict[str, Any] = {"reason": reason, "partial": partial}
        h.step(
            R.PENDING,
            after=self._secs(5, 300),
            source=self._psp_source(),
            psp_status=self._psp_step(psp.adapter, Kind.REFUND, R.PENDING),
            payload=self._payload(psp, Kind.REFUND, R.PENDING, psp_ref),
        )
        norm = psp.norm("refund", "card")
        roll = rng.random()
        if roll < 0.88:
            details["outcome"] = "succeeded"
            h.step(
                R.SUCCEEDED,
                after=norm * rng.uniform(0.1, 1.3),
                source=self._psp_source(),
                psp_status=self._psp_step(psp.adapter, Kind.REFUND, R.SUCCEEDED),
                payload=self._payload(psp, Kind.REFUND, R.SUCCEEDED, psp_ref),
            )
            target = D.PARTIALLY_REFUNDED if partial else D.REFUNDED
            dh.step(
                target,
                at=h.at,
                source=SRC.PSP_WEBHOOK,
                psp_status=self._psp_step(psp.adapter, Kind.DEPOSIT, target),
                payload=self._payload(psp, Kind.DEPOSIT, target, deposit.psp_reference, {"refund": psp_ref}),
            )
            if deposit.scenario == Scenario.OK:
                deposit.scenario = Scenario.REFUNDED
        elif roll < 0.95:
            failure = rng.choice(REFUND_FAILURES)
            details.update(outcome="failed", failure_reason=failure)
            h.step(
                R.FAILED,
                after=norm * rng.uniform(0.05, 0.5),
                source=self._psp_source(),
                psp_status=self._psp_step(psp.adapter, Kind.REFUND, R.FAILED),
                payload=self._payload(psp, Kind.REFUND, R.FAILED, psp_ref, {"failure_reason": failure}),
            )
        else:
            details["outcome"] = "cancelled"
            h.step(R.CANCELLED, after=self._secs(600, 7200), source=SRC.AGENT, note="refund withdrawn by the desk")
        deposit.details["refund"] = reference
        txn = TxnSpec(
            reference=reference,
            kind=Kind.REFUND,
            player=player.external_id,
            method=deposit.method,
            psp=psp.code,
            psp_reference=psp_ref,
            amount_minor=amount,
            currency=deposit.currency,
            parent=deposit.reference,
            scenario=Scenario.REFUND,
            details=details,
            events=h.events,
        )
        self.transactions.append(txn)
        return txn

    def chargeback(self, player: PlayerSpec, deposit: TxnSpec) -> TxnSpec | None:
        rng = self.rng
        dh = self._histories[deposit.reference]
        opened = dh.at + timedelta(days=rng.uniform(7, 75))
        if opened >= self.anchor:
            return None
        psp = PSP_BY_CODE[deposit.psp]
        reason = _pick(rng, {name: weight for name, (_, weight) in CHARGEBACK_REASONS.items()})
        reference = self._reference(Kind.CHARGEBACK)
        psp_ref = self._unique_psp_reference(psp, Kind.CHARGEBACK)

        def raw(status: str) -> str:
            return self._psp_step(psp.adapter, Kind.CHARGEBACK, status)

        h = _History(Kind.CHARGEBACK, opened, source=SRC.PSP_WEBHOOK, note=f"dispute opened: {reason}")
        h.events[0] = EventSpec(
            index=0,
            at=opened,
            to_status=C.NEEDS_RESPONSE,
            source=SRC.PSP_WEBHOOK,
            psp_status=raw(C.NEEDS_RESPONSE),
            note=f"dispute opened: {reason}",
            payload=self._payload(psp, Kind.CHARGEBACK, C.NEEDS_RESPONSE, psp_ref, {"reason": reason}),
            stage=ChargebackStage.CHARGEBACK,
        )
        dh.step(
            D.CHARGED_BACK,
            at=opened,
            source=SRC.PSP_WEBHOOK,
            psp_status=self._psp_step(psp.adapter, Kind.DEPOSIT, D.CHARGED_BACK),
            payload=self._payload(psp, Kind.DEPOSIT, D.CHARGED_BACK, deposit.psp_reference, {"dispute": psp_ref}),
        )
        details: dict[str, Any] = {"reason": reason, "reason_code": CHARGEBACK_REASONS[reason][0]}
        roll = rng.random()

        def fight(stage: str = "") -> str:
            h.step(
                C.UNDER_REVIEW,
                after=self._secs(2 * 86400, 7 * 86400),
                source=SRC.AGENT,
                note="evidence submitted",
                psp_status=raw(C.UNDER_REVIEW),
            )
            outcome = C.WON if rng.random() < 0.45 else C.LOST
            h.step(
                outcome,
                after=self._secs(20 * 86400, 60 * 86400),
                source=SRC.PSP_WEBHOOK,
                psp_status=raw(outcome),
                payload=self._payload(psp, Kind.CHARGEBACK, outcome, psp_ref),
            )
            return outcome

        if roll < 0.7:
            outcome = fight()
            if outcome == C.WON and rng.random() < 0.2:
                next_stage = rng.choice((ChargebackStage.PRE_ARBITRATION, ChargebackStage.SECOND_CHARGEBACK))
                h.step(
                    C.NEEDS_RESPONSE,
                    after=self._secs(5 * 86400, 20 * 86400),
                    source=SRC.PSP_WEBHOOK,
                    psp_status=raw(C.NEEDS_RESPONSE),
                    stage=next_stage,
                    note=f"dispute escalated to {next_stage}",
                )
                outcome = fight()
            details["outcome"] = outcome
        elif roll < 0.9:
            details["outcome"] = C.ACCEPTED
            h.step(C.ACCEPTED, after=self._secs(86400, 5 * 86400), source=SRC.AGENT, note="liability accepted")
        else:
            details["outcome"] = C.EXPIRED
            h.step(
                C.EXPIRED, after=self._secs(10 * 86400, 21 * 86400), source=SRC.PSP_WEBHOOK, psp_status=raw(C.EXPIRED)
            )
        details["final_stage"] = h.stage
        deposit.details["chargeback"] = reference
        if deposit.scenario == Scenario.OK:
            deposit.scenario = Scenario.CHARGED_BACK
        txn = TxnSpec(
            reference=reference,
            kind=Kind.CHARGEBACK,
            player=player.external_id,
            method=deposit.method,
            psp=psp.code,
            psp_reference=psp_ref,
            amount_minor=deposit.amount_minor,
            currency=deposit.currency,
            parent=deposit.reference,
            scenario=Scenario.CHARGEBACK,
            details=details,
            events=h.events,
        )
        self.transactions.append(txn)
        return txn

    # -- withdrawals --

    def withdrawal(
        self, player: PlayerSpec, method: MethodSpec, at: datetime, *, scenario: Scenario | None = None
    ) -> TxnSpec:
        rng = self.rng
        psp = self.route(player, method)
        adapter = psp.adapter
        if scenario is None:
            scenario = Scenario.OK
            if player.kyc_status != KycStatus.VERIFIED and rng.random() < KYC_FIRST_WITHDRAWAL:
                scenario = Scenario.KYC_DOCUMENTS
            else:
                roll = rng.random()
                for candidate, share in WITHDRAWAL_SCENARIOS.items():
                    if roll < share:
                        scenario = candidate
                        break
                    roll -= share
            if scenario == Scenario.BANK_RETURN and method.type in (MethodType.CRYPTO, MethodType.E_WALLET):
                scenario = Scenario.OK
        reference = self._reference(Kind.WITHDRAWAL)
        amount = self.withdrawal_amount(method.currency, player.vip_level)
        norm = psp.norm("payout", method.type)
        h = _History(Kind.WITHDRAWAL, at, note="cashier: withdrawal requested")
        details: dict[str, Any] = {}
        psp_ref: str | None = None

        def verify() -> None:
            h.step(W.VERIFICATION, after=self._secs(2, 90), source=SRC.SYSTEM, note="automatic checks started")

        def approve(manual: bool | None = None) -> None:
            manual = rng.random() < 0.4 if manual is None else manual
            if manual:
                h.step(W.APPROVED, after=self._secs(1200, 36000), source=SRC.AGENT, note="approved by payments")
            else:
                h.step(W.APPROVED, after=self._secs(30, 600), source=SRC.SYSTEM, note="auto-approved")

        def payout() -> None:
            nonlocal psp_ref
            psp_ref = self._unique_psp_reference(psp, Kind.WITHDRAWAL)
            h.step(
                W.PROCESSING,
                after=self._secs(30, 1200),
                source=self._psp_source(),
                psp_status=self._psp_step(adapter, Kind.WITHDRAWAL, W.PROCESSING),
                payload=self._payload(psp, Kind.WITHDRAWAL, W.PROCESSING, psp_ref),
            )
            details["payout_reference"] = _payout_reference(rng, method.type, method.brand)

        def paid(delay_factor: tuple[float, float] = (0.1, 0.9)) -> None:
            h.step(
                W.PAID,
                after=norm * rng.uniform(*delay_factor),
                source=self._psp_source(),
                psp_status=self._psp_step(adapter, Kind.WITHDRAWAL, W.PAID),
                payload=self._payload(
                    psp, Kind.WITHDRAWAL, W.PAID, psp_ref, {"payout_reference": details["payout_reference"]}
                ),
            )

        def reject(reason: str, after: tuple[float, float] = (600, 14400)) -> None:
            h.step(W.REJECTED, after=self._secs(*after), source=SRC.AGENT, note=f"rejected: {reason}")

        verify()
        if scenario in (Scenario.OK, Scenario.PAYOUT_DELAYED, Scenario.PAID_NOT_RECEIVED, Scenario.BANK_RETURN):
            approve()
            payout()
            if scenario == Scenario.PAYOUT_DELAYED:
                factor = rng.uniform(2, 8)
                details.update(norm_seconds=norm, delay_factor=round(factor, 1))
                paid((factor, factor))
            else:
                paid()
            if scenario == Scenario.PAID_NOT_RECEIVED:
                details["claim_after_days"] = rng.randint(1, 6)
                details["expected_arrival_days"] = max(1, round(norm / 86400))
            elif scenario == Scenario.BANK_RETURN:
                reason = rng.choice(BANK_RETURN_REASONS)
                details["return_reason"] = reason
                h.step(
                    W.RETURNED,
                    after=self._secs(2 * 86400, 10 * 86400),
                    source=self._psp_source(),
                    psp_status=self._psp_step(adapter, Kind.WITHDRAWAL, W.RETURNED),
                    payload=self._payload(psp, Kind.WITHDRAWAL, W.RETURNED, psp_ref, {"return_reason": reason}),
                )
        elif scenario == Scenario.KYC_DOCUMENTS:
            docs = sorted(rng.sample(KYC_DOCUMENTS, rng.randint(1, 2)))
            details["documents"] = docs
            h.step(
                W.AWAITING_DOCUMENTS,
                after=self._secs(60, 3600),
                source=SRC.AGENT,
                note="documents requested: " + ", ".join(docs),
            )
            roll = rng.random()
            if roll < 0.7:
                details["kyc_outcome"] = "verified"
                h.step(W.VERIFICATION, after=self._secs(86400, 432000), source=SRC.PLATFORM, note="documents received")
                approve(manual=True)
                payout()
                paid()
            elif roll < 0.85:
                details["kyc_outcome"] = "cancelled"
                h.step(W.CANCELLED, after=self._secs(259200, 1209600), source=SRC.PLATFORM, note="player cancelled")
            else:
                details["kyc_outcome"] = "failed"
                reject("kyc_failed", (2 * 86400, 7 * 86400))
        elif scenario == Scenario.RISK_HOLD:
            reason = rng.choice(WITHDRAWAL_HOLD_REASONS)
            details["hold_reason"] = reason
            h.step(W.HELD, after=self._secs(30, 900), source=SRC.SYSTEM, note=f"risk hold: {reason}")
            if rng.random() < 0.75:
                details["review_outcome"] = "released"
                h.step(W.APPROVED, after=self._secs(6 * 3600, 3 * 86400), source=SRC.AGENT, note="released by risk")
                payout()
                paid()
            else:
                details["review_outcome"] = "rejected"
                reject(reason, (6 * 3600, 3 * 86400))
        elif scenario == Scenario.BONUS_WAGERING:
            details["reason"] = "bonus_wagering"
            wagering_left = self.withdrawal_amount(method.currency, player.vip_level) * rng.randint(2, 12)
            details["wagering_remaining_minor"] = wagering_left
            if rng.random() < 0.6:
                details["handling"] = "rejected"
                reject("bonus_wagering", (60, 1800))
            else:
                details["handling"] = "held"
                h.step(W.HELD, after=self._secs(60, 1800), source=SRC.SYSTEM, note="held: bonus_wagering")
                if rng.random() < 0.5:
                    h.step(
                        W.CANCELLED,
                        after=self._secs(3600, 3 * 86400),
                        source=SRC.PLATFORM,
                        note="cancelled: funds back to balance",
                    )
                else:
                    h.step(W.APPROVED, after=self._secs(86400, 4 * 86400), source=SRC.AGENT, note="wagering completed")
                    payout()
                    paid()
        elif scenario == Scenario.PLAYER_CANCELLED:
            h.step(W.CANCELLED, after=self._secs(300, 43200), source=SRC.PLATFORM, note="cancelled by player")
        elif scenario == Scenario.PAYOUT_FAILED:
            reason = rng.choice(PAYOUT_FAILURES[method.type])
            details["failure_reason"] = reason
            approve()
            payout()
            h.step(
                W.FAILED,
                after=norm * rng.uniform(0.05, 0.6),
                source=self._psp_source(),
                psp_status=self._psp_step(adapter, Kind.WITHDRAWAL, W.FAILED),
                payload=self._payload(psp, Kind.WITHDRAWAL, W.FAILED, psp_ref, {"failure_reason": reason}),
            )
        if psp_ref is None and any(e.to_status == W.APPROVED for e in h.events):
            psp_ref = self._unique_psp_reference(psp, Kind.WITHDRAWAL)
        txn = TxnSpec(
            reference=reference,
            kind=Kind.WITHDRAWAL,
            player=player.external_id,
            method=method.key,
            psp=psp.code,
            psp_reference=psp_ref,
            amount_minor=amount,
            currency=method.currency,
            parent=None,
            scenario=scenario,
            details=details,
            events=h.events,
        )
        self.transactions.append(txn)
        return txn

    # -- activity --

    def session_times(self, player: PlayerSpec, country: Country, start: datetime) -> list[datetime]:
        rng = self.rng
        begin = max(start, player.created_at + timedelta(hours=1))
        active_days = (self.anchor - begin).total_seconds() / 86400
        if active_days <= 0:
            return []
        activity = min(2.5, rng.gammavariate(1.5, 1 / 1.5))
        lam = VIP_SESSIONS_PER_DAY[player.vip_level] * activity * active_days
        count = _poisson(rng, lam)
        times = []
        for _ in range(count):
            day = begin + timedelta(days=rng.uniform(0, active_days))
            local_hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            utc_hour = (local_hour - country.utc_offset) % 24
            moment = day.replace(hour=int(utc_hour), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
            if begin <= moment < self.anchor:
                times.append(moment)
        times.sort()
        return times

    def finish(self) -> list[TxnSpec]:
        """Split every history at the anchor: what happened is the timeline, the rest is the plan."""
        for txn in self.transactions:
            events = self._histories[txn.reference].events if txn.reference in self._histories else txn.events
            txn.events = [e for e in events if e.at <= self.anchor]
            txn.plan = [e for e in events if e.at > self.anchor]
        return self.transactions


def _scale(exponent: int) -> int:
    return int(10**exponent)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold = math.exp(-lam)
    k, p = 0, rng.random()
    while p > threshold:
        k += 1
        p *= rng.random()
    return k


def country_of(player: PlayerSpec) -> Country:
    return next(c for c in REGIONS[player.region][1] if c.code == player.country)


def generate_world(*, players: int, days: int, seed: int, anchor: datetime) -> World:
    """The whole world for ``seed``: ``players`` players and ``days`` days of payments ending at ``anchor``."""
    if players < 1 or days < 1:
        raise ValueError("a world needs at least one player and one day")
    if anchor.tzinfo is None:
        raise ValueError("the anchor must be timezone-aware")
    anchor = anchor.astimezone(UTC)  # local hours are computed from UTC offsets
    tag = world_tag(seed=seed, players=players, days=days)
    builder = WorldBuilder(random.Random(seed), tag=tag, anchor=anchor)
    window_start = anchor - timedelta(days=days)
    player_specs: list[PlayerSpec] = []
    method_specs: list[MethodSpec] = []
    for index in range(players):
        # One stream per player: a branch taken for one player (a retry that falls after the anchor, say) never
        # shifts the draws of the next, so worlds stay comparable across anchors and sizes.
        rng = builder.rng = random.Random(f"{seed}:{index}")
        player = builder.player(index, window_start=window_start)
        methods = builder.methods_for(player)
        player_specs.append(player)
        method_specs.extend(methods)
        country = country_of(player)
        # The first method is the favourite; players mostly stick to it.
        weights = [6.0 if n == 0 else 2.0 for n in range(len(methods))]
        for at in builder.session_times(player, country, window_start):
            usable = [m for m in methods if m.created_at <= at] or methods[:1]
            method = rng.choices(usable, weights=weights[: len(usable)])[0]
            deposit = builder.deposit(player, method, at)
            if rng.random() < WITHDRAWAL_SHARE:
                when = deposit.events[-1].at + timedelta(hours=rng.lognormvariate(2.0, 1.2))
                if when < anchor:
                    builder.withdrawal(player, method, when)
    transactions = builder.finish()
    return World(
        seed=seed,
        days=days,
        anchor=anchor,
        tag=tag,
        psps=PSPS,
        players=player_specs,
        methods=method_specs,
        transactions=transactions,
    )
