"""The ticket lifecycle as a table (DESIGN §4): ``new → open ⇄ pending_customer → escalated → open → resolved →
closed``, plus ``merged``.

A move is looked up as (move, from-status) → to-status; anything not in the table raises ``IllegalTicketMove`` naming
the ticket, its status and the move. ``closed`` and ``merged`` are final: a player writing to a closed ticket starts a
linked follow-up instead (see ``message_add``).
"""

from __future__ import annotations

from collections.abc import Mapping

from paydesk.core.errors import Conflict
from paydesk.tickets.enums import Move, Status

S = Status

TRANSITIONS: Mapping[str, Mapping[str, str]] = {
    Move.OPEN: {S.NEW: S.OPEN, S.PENDING_CUSTOMER: S.OPEN, S.ESCALATED: S.OPEN},
    Move.SET_PENDING: {S.OPEN: S.PENDING_CUSTOMER},
    Move.ESCALATE: {S.NEW: S.ESCALATED, S.OPEN: S.ESCALATED, S.PENDING_CUSTOMER: S.ESCALATED},
    Move.RESOLVE: {S.OPEN: S.RESOLVED, S.PENDING_CUSTOMER: S.RESOLVED},
    Move.CLOSE: {S.RESOLVED: S.CLOSED},
    Move.REOPEN: {S.RESOLVED: S.OPEN},
    Move.MERGE: dict.fromkeys((S.NEW, S.OPEN, S.PENDING_CUSTOMER, S.ESCALATED, S.RESOLVED), S.MERGED),
}

# While a ticket waits for the customer or sits resolved, its SLA clocks do not run.
PAUSED_STATUSES = frozenset({S.PENDING_CUSTOMER, S.RESOLVED})
FINAL_STATUSES = frozenset({S.CLOSED, S.MERGED})


class IllegalTicketMove(Conflict):
    code = "illegal-ticket-move"

    def __init__(self, *, ticket: str, from_status: str, move: str) -> None:
        allowed = sorted(m for m, table in TRANSITIONS.items() if from_status in table)
        reason = "it is final" if from_status in FINAL_STATUSES else f"allowed: {', '.join(allowed) or 'none'}"
        super().__init__(f"ticket {ticket}: cannot {move} from status {from_status} ({reason})")
        self.ticket = ticket
        self.from_status = from_status
        self.move = move


def target_status(*, ticket: str, from_status: str, move: str) -> str:
    if move not in TRANSITIONS:
        raise IllegalTicketMove(ticket=ticket, from_status=from_status, move=move)
    to_status = TRANSITIONS[move].get(from_status)
    if to_status is None:
        raise IllegalTicketMove(ticket=ticket, from_status=from_status, move=move)
    return to_status
