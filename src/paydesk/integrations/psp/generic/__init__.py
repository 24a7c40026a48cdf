"""The generic webhook: our own event schema for local PSPs (e-wallets, crypto, SBP) that have no adapter.

Signed like Stripe, with a ``Paydesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`` header
and the secret in ``PAYDESK_GENERIC_WEBHOOK_SECRET``. One event per request; its ``id`` is the storage key. The
schema is ``GenericEvent`` below (published in the OpenAPI document of the webhook endpoint): statuses are ours,
so the sender does the mapping and we only check that the status exists for the kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from paydesk.core.errors import PaydeskError
from paydesk.core.money import parse_minor
from paydesk.integrations.ports import MalformedEvent, PspUpdate, RawPspEvent
from paydesk.integrations.psp import signing
from paydesk.payments.enums import ChargebackStatus, DepositStatus, RefundStatus, WithdrawalStatus

SIGNATURE_HEADER = "Paydesk-Signature"

_STATUSES: Mapping[str, frozenset[str]] = {
    "deposit": frozenset(DepositStatus.values),
    "withdrawal": frozenset(WithdrawalStatus.values),
    "refund": frozenset(RefundStatus.values),
    "chargeback": frozenset(ChargebackStatus.values),
}


class GenericEvent(BaseModel):
    """A status report about one payment, signed with ``Paydesk-Signature``."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200, description="Unique id of this event at the PSP (deduplication key)")
    type: Literal["deposit", "withdrawal", "refund", "chargeback"] = Field(
        description="Kind of payment the event is about"
    )
    reference: str | None = Field(default=None, max_length=64, description="Our transaction reference")
    psp_reference: str | None = Field(default=None, max_length=128, description="The PSP's id of the payment")
    parent_reference: str | None = Field(
        default=None, max_length=64, description="refund/chargeback: our reference of the deposit it belongs to"
    )
    parent_psp_reference: str | None = Field(
        default=None, max_length=128, description="refund/chargeback: the PSP's id of the deposit it belongs to"
    )
    status: str = Field(description="Paydesk status for the kind (e.g. deposit: pending, confirmed, declined…)")
    stage: Literal["inquiry", "chargeback", "second_chargeback", "pre_arbitration", "arbitration"] | None = Field(
        default=None, description="chargeback only: dispute stage"
    )
    amount: str | None = Field(default=None, description="Decimal string in major units, e.g. '1500.00'")
    currency: str | None = Field(default=None, description="ISO 4217 code or a configured crypto code")
    occurred_at: datetime = Field(description="When the status changed at the PSP (ISO 8601 with timezone)")
    reason: str = Field(default="", max_length=1000, description="Decline/failure reason, human readable")
    psp_status: str = Field(default="", max_length=64, description="The PSP's own raw status")

    @model_validator(mode="after")
    def _consistent(self) -> GenericEvent:
        if not (self.reference or self.psp_reference):
            raise ValueError("give reference and/or psp_reference")
        if self.status not in _STATUSES[self.type]:
            raise ValueError(
                f"status {self.status!r} is not a {self.type} status ({', '.join(sorted(_STATUSES[self.type]))})"
            )
        if self.stage is not None and self.type != "chargeback":
            raise ValueError("stage is only for chargebacks")
        if (self.amount is None) != (self.currency is None):
            raise ValueError("amount and currency go together")
        if self.amount is not None and self.currency is not None:
            try:
                parse_minor(self.amount, self.currency.upper())
            except PaydeskError as exc:
                raise ValueError(exc.message) from None
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at needs a timezone")
        return self

    def amount_minor(self) -> int | None:
        if self.amount is None or self.currency is None:
            return None
        return parse_minor(self.amount, self.currency.upper())


def parse(body: bytes | str) -> GenericEvent:
    try:
        return GenericEvent.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise MalformedEvent(f"generic event is invalid: {problems}") from None


def verify_and_split(body: bytes, headers: Mapping[str, str], secret: str, now: float) -> list[RawPspEvent]:
    signing.verify_header(body, headers.get(SIGNATURE_HEADER), secret, now=now, header_name=SIGNATURE_HEADER)
    event = parse(body)
    return [RawPspEvent(key=event.id, event_type=f"{event.type}.{event.status}", body=body.decode())]


def map_event(body: str) -> list[PspUpdate]:
    event = parse(body)
    return [
        PspUpdate(
            kind=event.type,
            status=event.status,
            stage=event.stage,
            psp_status=event.psp_status or event.status,
            occurred_at=event.occurred_at,
            reference=event.reference,
            psp_reference=event.psp_reference,
            parent_reference=event.parent_reference,
            parent_psp_reference=event.parent_psp_reference,
            amount_minor=event.amount_minor(),
            currency=event.currency.upper() if event.currency else None,
            reason=event.reason,
        )
    ]
