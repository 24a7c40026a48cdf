"""Ticket writes: the only code that changes tickets. Each service runs in one transaction with its audit event."""

from paydesk.tickets.services.assignment import (
    agent_set_online,
    notification_mark_read,
    queue_dispatch,
    team_ensure,
    ticket_assign,
    ticket_autoassign,
    ticket_take,
    ticket_unassign,
)
from paydesk.tickets.services.base import TicketConflict
from paydesk.tickets.services.intake import (
    IncomingFile,
    message_add,
    ticket_link_transaction,
    ticket_register,
    ticket_tag,
)
from paydesk.tickets.services.merge import (
    incident_create,
    incident_link,
    incident_reply,
    incident_resolve,
    ticket_merge,
)
from paydesk.tickets.services.transitions import (
    ticket_close,
    ticket_escalate,
    ticket_escalation_acknowledge,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_set_pending,
    tickets_autoclose,
)

__all__ = [
    "IncomingFile",
    "TicketConflict",
    "agent_set_online",
    "incident_create",
    "incident_link",
    "incident_reply",
    "incident_resolve",
    "message_add",
    "notification_mark_read",
    "queue_dispatch",
    "team_ensure",
    "ticket_assign",
    "ticket_autoassign",
    "ticket_close",
    "ticket_escalate",
    "ticket_escalation_acknowledge",
    "ticket_link_transaction",
    "ticket_merge",
    "ticket_open",
    "ticket_register",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_set_pending",
    "ticket_tag",
    "ticket_take",
    "ticket_unassign",
    "tickets_autoclose",
]
