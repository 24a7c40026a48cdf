"""Fixtures for the triage wiring tests: the ticket fixtures (players, team, SLA policy) plus a card and a PSP."""

from __future__ import annotations

from tests.tickets.conftest import T0, lead, payments_team, player, player_en, policy

__all__ = ["T0", "lead", "payments_team", "player", "player_en", "policy"]
