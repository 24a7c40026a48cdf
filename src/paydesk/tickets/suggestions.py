"""Reading a ticket's suggestion: what triage and diagnosis propose for its latest player message.

The row (``TicketSuggestion``, one per ticket) is written only by ``paydesk.tickets.services.triage`` after the
intake transaction commits; this module is the read side the API and the console use. One query per ticket.
The suggested reply is a draft for the agent: it is never sent by itself, and ``lint_errors`` > 0 means the Tone of
Voice linter found something that must be fixed before it is.
"""

from __future__ import annotations

from typing import Any

from paydesk.tickets.models import TicketSuggestion


def suggestion_get(*, ticket_id: int) -> TicketSuggestion | None:
    return TicketSuggestion.objects.select_related("transaction").filter(ticket_id=ticket_id).first()


def suggestion_as_dict(suggestion: TicketSuggestion | None) -> dict[str, Any] | None:
    """The suggestion as plain JSON-able values (the API's ``suggestion`` field), or None when there is none yet."""
    if suggestion is None:
        return None
    return {
        "message": suggestion.message_id,
        "language": suggestion.language,
        "category": suggestion.category,
        "confidence": suggestion.confidence,
        "priority_hint": suggestion.priority_hint,
        "entities": suggestion.entities,
        "candidates": suggestion.candidates,
        "transaction": suggestion.transaction.reference if suggestion.transaction else None,
        "finding": suggestion.finding,
        "diagnosis": suggestion.diagnosis,
        "next_action": suggestion.next_action,
        "next_action_text": suggestion.next_action_text,
        "reply": {"language": suggestion.reply_language, "text": suggestion.reply_text},
        "lint": suggestion.lint,
        "lint_errors": suggestion.lint_errors,
        "problem": suggestion.problem,
        "updated_at": suggestion.updated_at,
    }
