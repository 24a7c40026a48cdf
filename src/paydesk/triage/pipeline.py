"""Triage of one player message: language, category with confidence, entities and a priority hint.

Pure computation: no database, no Django app registry, so the CLI and the benchmark run without a database.
Rules it protects: any text (empty, huge, binary, mixed scripts) gets an answer instead of an exception; a message
longer than ``MAX_CHARS`` is cut before the work and the result says so in ``note``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paydesk.core import clock
from paydesk.triage.entities import Entities, extract_entities
from paydesk.triage.language import LanguageDetector
from paydesk.triage.model import TriageModel, default_model

MAX_CHARS = 4000
PRIORITIES = ("low", "normal", "high", "urgent")

_THREAT_RE = re.compile(
    r"\b(?:lawyer|solicitor|police|court|sue|regulator|ombudsman|gambling commission|ukgc|mga)\b"
    r"|юрист|адвокат|суд\b|в суд|полици|прокуратур|роспотреб|регулятор|yurist|advokat|v sud|politsi",
    re.IGNORECASE,
)
_URGENT_RE = re.compile(
    r"\b(?:urgent(?:ly)?|asap|immediately|right now|emergency)\b|срочно|немедленно|сейчас же|srochno|nemedlenno",
    re.IGNORECASE,
)
_LETTER_RE = re.compile(r"[^\W\d_]")
_UPPER_RE = re.compile(r"[A-ZА-ЯЁ]")
_MONEY_AT_RISK = frozenset(
    {
        "deposit_not_credited",
        "withdrawal_not_received",
        "duplicate_charge",
        "unrecognised_transaction",
        "chargeback_dispute",
        "refund_not_received",
    }
)
_QUESTIONS = frozenset({"fees_and_limits", "exchange_rate", "other"})
_HIGH_VALUE_MINOR = {"USD": 100_000, "EUR": 100_000, "GBP": 100_000, "RUB": 10_000_000}


@dataclass(frozen=True, slots=True)
class TriageResult:
    language: str
    category: str
    confidence: float
    entities: Entities
    priority: str
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "entities": self.entities.as_dict(),
        }


def priority_hint(text: str, category: str, entities: Entities) -> str:
    """low | normal | high | urgent, from threats, urgency words, shouting, the category and the amount."""
    if _THREAT_RE.search(text):
        return "urgent"
    letters = len(_LETTER_RE.findall(text))
    shouting = letters >= 12 and len(_UPPER_RE.findall(text)) / letters > 0.7
    urgent_words = bool(_URGENT_RE.search(text)) or text.count("!") >= 3 or shouting
    high_value = (
        entities.amount_minor is not None
        and entities.currency in _HIGH_VALUE_MINOR
        and entities.amount_minor >= _HIGH_VALUE_MINOR[entities.currency]
    )
    if category in _MONEY_AT_RISK:
        return "urgent" if urgent_words and high_value else "high"
    if urgent_words or high_value:
        return "high"
    if category in _QUESTIONS:
        return "low"
    return "normal"


class Triage:
    def __init__(self, model: TriageModel | None = None) -> None:
        self.model = model or default_model()
        self.detector = LanguageDetector(ru_latin_words=self.model.ru_latin_words, en_words=self.model.en_words)

    def run(self, text: str, *, now: datetime | None = None) -> TriageResult:
        note = None
        if len(text) > MAX_CHARS:
            note = f"message truncated to its first {MAX_CHARS} of {len(text)} characters"
            text = text[:MAX_CHARS]
        # Lone surrogates (from broken JSON escapes) can't be encoded later; replace them up front.
        text = text.encode("utf-8", "replace").decode("utf-8")
        if not text.strip():
            note = "empty message" if note is None else note
        prediction = self.model.predict(text)
        entities = extract_entities(text, now=now or clock.now())
        return TriageResult(
            language=self.detector.detect(text),
            category=prediction.category,
            confidence=prediction.confidence,
            entities=entities,
            priority=priority_hint(text, prediction.category, entities),
            note=note,
        )


_default: list[Triage] = []


def triage_message(text: str, *, now: datetime | None = None) -> TriageResult:
    """Triage ``text`` with the shipped model; relative dates are resolved against ``now`` (default: the clock)."""
    if not _default:
        _default.append(Triage())
    return _default[0].run(text, now=now)
