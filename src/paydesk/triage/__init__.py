"""Triage: language, category, entities and transaction matching for player messages (EN/RU)."""
