"""Test data built through the real services (never raw ORM writes for domain state)."""

from __future__ import annotations

import itertools
from typing import Any

from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction
from paydesk.payments.services import payment_method_create, player_create, transaction_create

_counter = itertools.count(1)


def make_psp(code: str = "stripe", adapter: str = "stripe") -> Psp:
    psp, _ = Psp.objects.get_or_create(
        code=code,
        defaults={"name": code.title(), "adapter": adapter, "methods": ["card"], "norms": {"deposit": {"card": 120}}},
    )
    return psp


def make_player(**overrides: Any) -> Player:
    n = next(_counter)
    fields: dict[str, Any] = {"external_id": f"P{n:05d}", "name": f"Player {n}", "language": "en", "region": "eu"}
    fields.update(overrides)
    return player_create(**fields)


def make_card(player: Player, last4: str = "4242") -> PaymentMethod:
    return payment_method_create(player=player, type="card", brand="visa", bin="424242", last4=last4)


def make_deposit(player: Player | None = None, **overrides: Any) -> Transaction:
    player = player or make_player()
    n = next(_counter)
    fields: dict[str, Any] = {
        "reference": f"DEP-{n:06d}",
        "kind": "deposit",
        "player": player,
        "amount_minor": 5000,
        "currency": "EUR",
        "psp": make_psp(),
        "psp_reference": f"pi_{n:08d}",
    }
    fields.update(overrides)
    return transaction_create(**fields)
