"""SLA tests reuse the ticket fixtures (players, teams, agents)."""

from tests.tickets.conftest import lead, payments_team, player, player_en, risk_team

__all__ = ["lead", "payments_team", "player", "player_en", "risk_team"]
