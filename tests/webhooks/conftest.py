"""Fixtures for webhook tests: a small ledger built through the real services, configured secrets, a poster."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from paydesk.payments import services
from paydesk.payments.enums import EventSource, Kind
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent, WebhookEvent

STRIPE_SECRET = "whsec_paydesk_tests"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
GENERIC_SECRET = "pdg_generic_tests"
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def webhook_secrets(settings: Any) -> None:
    settings.PAYDESK_STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.PAYDESK_ADYEN_HMAC_KEY = ADYEN_KEY
    settings.PAYDESK_GENERIC_WEBHOOK_SECRET = GENERIC_SECRET


@pytest.fixture
def player(db: None) -> Player:
    return services.player_create(external_id="P-1001", name="Anna Petrova", language="ru")


@pytest.fixture
def card(player: Player) -> PaymentMethod:
    return services.payment_method_create(player=player, type="card", brand="visa", bin="424242", last4="4242")


@pytest.fixture
def psps(db: None) -> dict[str, Psp]:
    return {
        code: Psp.objects.create(code=code, name=code.title(), adapter=adapter, methods=["card"])
        for code, adapter in (("stripe", "stripe"), ("adyen", "adyen"), ("qiwi-like", "generic"))
    }


MakeTxn = Callable[..., Transaction]


@pytest.fixture
def make_txn(player: Player, card: PaymentMethod, psps: dict[str, Psp]) -> MakeTxn:
    """Create a transaction through the services and walk it to ``status`` along legal moves."""

    paths = {
        Kind.DEPOSIT: {"pending": ["pending"], "confirmed": ["confirmed"], "credited": ["confirmed", "credited"]},
        Kind.WITHDRAWAL: {"processing": ["approved", "processing"], "approved": ["approved"]},
    }

    def make(
        reference: str,
        *,
        kind: str = Kind.DEPOSIT,
        psp: str = "stripe",
        psp_reference: str | None = None,
        amount_minor: int = 2200,
        currency: str = "USD",
        status: str | None = None,
        at: datetime = T0,
    ) -> Transaction:
        txn = services.transaction_create(
            reference=reference,
            kind=kind,
            player=card.player,
            amount_minor=amount_minor,
            currency=currency,
            method=card,
            psp=psps[psp],
            psp_reference=psp_reference,
            created_at=at,
        )
        for step in paths.get(Kind(kind), {}).get(status or "", []):
            services.transaction_transition(
                reference=reference, to_status=step, source=EventSource.PLATFORM, occurred_at=at
            )
        txn.refresh_from_db()
        return txn

    return make


Send = Callable[..., Any]


@pytest.fixture
def send(client: Client, django_capture_on_commit_callbacks: Any) -> Send:
    """POST a raw body to the webhook endpoint and run what was queued on commit (processing), like production."""

    def post(psp: str, body: bytes | str, headers: dict[str, str] | None = None) -> Any:
        data = body.encode() if isinstance(body, str) else body
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/api/v1/webhooks/psp/{psp}", data=data, content_type="application/json", headers=headers or {}
            )

    return post


def snapshot() -> dict[str, Any]:
    """Everything a refused webhook must leave untouched."""
    return {
        "webhook_events": WebhookEvent.objects.count(),
        "timeline": TransactionEvent.objects.count(),
        "transactions": sorted(Transaction.objects.values_list("reference", "status", "dispute_stage")),
    }


def load_json(path: Any) -> Any:
    return json.loads(path.read_text())


def problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    return body
