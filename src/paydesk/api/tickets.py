"""Tickets API: intake, messages, lifecycle moves, assignment, merge suggestions, incidents and SLA policy changes.

Handlers parse, check the caller's role, call one service and shape the answer; refusals come back as problem+json
from the domain errors (404 unknown ticket, 409 illegal move or stale version, 422 bad input, 403 wrong role).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from paydesk.api.auth import require
from paydesk.core.errors import ValidationError
from paydesk.core.roles import Capability
from paydesk.payments.models import Player
from paydesk.sla.services import sla_policy_update
from paydesk.tickets import selectors, services
from paydesk.tickets.models import SLA_METRICS, Message, Ticket
from paydesk.tickets.suggestions import suggestion_as_dict, suggestion_get

router = Router(tags=["tickets"])


class TicketIn(Schema):
    subject: str
    body: str
    player: str | None = None
    channel: str = "api"
    category: str = ""
    language: str = ""
    priority: str = "normal"
    team: str | None = None
    transactions: list[str] = []
    primary_transaction: str | None = None
    tags: list[str] = []
    external_id: str | None = None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    ticket: str
    kind: str
    body: str
    author: str
    channel: str
    created_at: datetime
    attachments: list[AttachmentOut]


class LinkOut(Schema):
    reference: str
    primary: bool


class TicketOut(Schema):
    id: int
    number: str
    subject: str
    status: str
    priority: str
    channel: str
    category: str
    language: str
    region: str
    player: str | None
    assignee: str | None
    team: str | None
    escalation_team: str | None
    resolution_code: str | None
    incident: int | None
    follow_up_of: int | None
    merged_into: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    sla_policy: int | None
    sla: dict[str, datetime | None]
    tags: list[str]
    transactions: list[LinkOut]


class ReplyDraftOut(Schema):
    language: str
    text: str


class TriageSuggestionOut(Schema):
    """Triage, diagnosis and the drafted reply for the latest player message (``paydesk.tickets.suggestions``)."""

    message: int | None
    language: str
    category: str
    confidence: float
    priority_hint: str
    entities: dict[str, Any]
    candidates: list[dict[str, Any]]
    transaction: str | None
    finding: str
    diagnosis: dict[str, Any] | None
    next_action: dict[str, Any] | None
    next_action_text: str
    reply: ReplyDraftOut
    lint: list[dict[str, Any]]
    lint_errors: int
    problem: str
    updated_at: datetime


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    suggestion: TriageSuggestionOut | None = None


class MessageIn(Schema):
    body: str
    kind: Literal["public", "internal"] = "public"
    expected_version: int | None = None


class TransitionIn(Schema):
    move: Literal["open", "set_pending", "escalate", "acknowledge", "resolve", "close", "reopen", "merge"]
    expected_version: int | None = None
    resolution_code: str | None = None
    team: str | None = None
    note: str = ""
    into: int | None = None


class AssignmentIn(Schema):
    action: Literal["assign", "take", "unassign", "auto"]
    agent: str | None = None
    expected_version: int | None = None


class SuggestionOut(Schema):
    ticket: TicketOut
    reason: str


class IncidentIn(Schema):
    title: str
    description: str = ""


class IncidentOut(Schema):
    id: int
    title: str
    status: str


class IncidentTicketsIn(Schema):
    tickets: list[int]


class IncidentReplyIn(Schema):
    body: str


class IncidentResolveIn(Schema):
    resolution_code: str
    body: str = ""


class CountOut(Schema):
    count: int


class PolicyChangeIn(Schema):
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warn_at_percent: int | None = None
    position: int | None = None
    is_active: bool | None = None
    priorities: list[str] | None = None
    channels: list[str] | None = None
    categories: list[str] | None = None
    regions: list[str] | None = None
    min_vip_level: int | None = None
    breach_bump_priority: bool | None = None


class PolicyOut(Schema):
    id: int
    name: str
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    warn_at_percent: int


def _message(message: Message) -> dict[str, Any]:
    if message.author_player_id is not None and message.author_player is not None:
        author = f"player:{message.author_player.external_id}"
    elif message.author_user is not None:
        author = message.author_user.get_username()
    else:
        author = "system"
    return {
        "id": message.pk,
        "ticket": message.ticket.number or str(message.ticket_id),
        "kind": message.kind,
        "body": message.body,
        "author": author,
        "channel": message.channel,
        "created_at": message.created_at,
        "attachments": [
            {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments.all()
        ],
    }


def _ticket(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number or "",
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": ticket.category,
        "language": ticket.language,
        "region": ticket.region,
        "player": ticket.player.external_id if ticket.player else None,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "team": ticket.team.code if ticket.team else None,
        "escalation_team": ticket.escalation_team.code if ticket.escalation_team else None,
        "resolution_code": ticket.resolution_code.code if ticket.resolution_code else None,
        "incident": ticket.incident_id,
        "follow_up_of": ticket.follow_up_of_id,
        "merged_into": ticket.merged_into_id,
        "version": ticket.version,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "sla_policy": ticket.sla_policy_id,
        "sla": {f"{m}_due_at": getattr(ticket, f"{m}_due_at") for m in SLA_METRICS},
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "transactions": [
            {"reference": link.transaction.reference, "primary": link.is_primary}
            for link in ticket.transaction_links.all()
        ],
    }


def _detail(ticket_id: int) -> dict[str, Any]:
    ticket = selectors.ticket_get(ticket_id=ticket_id)
    return {
        **_ticket(ticket),
        "messages": [_message(m) for m in ticket.messages.all()],
        "suggestion": suggestion_as_dict(suggestion_get(ticket_id=ticket.pk)),
    }


@router.post("/tickets", response={201: TicketDetailOut}, summary="Register a ticket (intake)")
def create(request: HttpRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    user = require(request, Capability.WORK_TICKETS)
    player = None
    if payload.player:
        player = Player.objects.filter(external_id=payload.player).first()
        if player is None:
            raise ValidationError(f"player {payload.player} not found")
    ticket = services.ticket_register(
        subject=payload.subject,
        body=payload.body,
        channel=payload.channel,
        player=player,
        category=payload.category,
        language=payload.language,
        priority=payload.priority,
        team=payload.team,
        transactions=payload.transactions,
        primary_transaction=payload.primary_transaction,
        tags=payload.tags,
        external_id=payload.external_id,
        acting_user=user,
    )
    return Status(201, _detail(ticket.pk))


@router.get("/tickets", response=list[TicketOut], summary="List tickets (active by default), nearest deadline first")
def listing(
    request: HttpRequest,
    status: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    region: str | None = None,
    language: str | None = None,
    player: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    require(request, Capability.READ_LEDGER)
    found = selectors.ticket_list(
        status=status,
        team=team,
        assignee=assignee,
        unassigned=unassigned,
        region=region,
        language=language,
        player=player,
        limit=limit,
    )
    return [_ticket(t) for t in found]


@router.get("/tickets/{ticket_id}", response=TicketDetailOut, summary="One ticket with its conversation")
def detail(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    require(request, Capability.READ_LEDGER)
    return _detail(ticket_id)


@router.post("/tickets/{ticket_id}/messages", response={201: MessageOut}, summary="Reply or add an internal note")
def add_message(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Status[dict[str, Any]]:
    user = require(request, Capability.WORK_TICKETS)
    message = services.message_add(
        ticket_id=ticket_id,
        body=payload.body,
        kind=payload.kind,
        channel="api",
        acting_user=user,
        expected_version=payload.expected_version,
    )
    return Status(201, _message(message))


@router.post(
    "/tickets/{ticket_id}/messages/upload",
    response={201: MessageOut},
    summary="Reply with attachments (multipart: body, kind, files)",
)
def add_message_with_files(
    request: HttpRequest,
    ticket_id: int,
    body: Form[str],
    kind: Form[str] = "public",
    files: File[list[UploadedFile]] = [],  # noqa: B006 - ninja reads the default as "no files"
) -> Status[dict[str, Any]]:
    user = require(request, Capability.WORK_TICKETS)
    incoming = [services.IncomingFile(filename=f.name or "", data=f.read(), content_type=f.content_type) for f in files]
    message = services.message_add(
        ticket_id=ticket_id, body=body, kind=kind, channel="api", attachments=incoming, acting_user=user
    )
    return Status(201, _message(message))


@router.post("/tickets/{ticket_id}/transitions", response=TicketOut, summary="Move a ticket through its lifecycle")
def transition(request: HttpRequest, ticket_id: int, payload: TransitionIn) -> dict[str, Any]:
    user = require(request, Capability.WORK_TICKETS)
    common: dict[str, Any] = {"ticket_id": ticket_id, "acting_user": user, "expected_version": payload.expected_version}
    if payload.move == "open":
        ticket = services.ticket_open(**common)
    elif payload.move == "set_pending":
        ticket = services.ticket_set_pending(**common)
    elif payload.move == "escalate":
        if not payload.team:
            raise ValidationError("escalate needs a team")
        ticket = services.ticket_escalate(team=payload.team, note=payload.note, **common)
    elif payload.move == "acknowledge":
        ticket = services.ticket_escalation_acknowledge(**common)
    elif payload.move == "resolve":
        ticket = services.ticket_resolve(resolution_code=payload.resolution_code, **common)
    elif payload.move == "close":
        ticket = services.ticket_close(resolution_code=payload.resolution_code, **common)
    elif payload.move == "reopen":
        ticket = services.ticket_reopen(**common)
    else:
        if payload.into is None:
            raise ValidationError("merge needs the ticket to merge into ('into')")
        ticket = services.ticket_merge(into_id=payload.into, **common)
    return _ticket(selectors.ticket_get(ticket_id=ticket.pk))


@router.post("/tickets/{ticket_id}/assignment", response=TicketOut, summary="Assign, take, unassign or auto-assign")
def assignment(request: HttpRequest, ticket_id: int, payload: AssignmentIn) -> dict[str, Any]:
    user = require(request, Capability.WORK_TICKETS)
    if payload.action == "assign":
        if not payload.agent:
            raise ValidationError("assign needs an agent")
        services.ticket_assign(
            ticket_id=ticket_id, agent=payload.agent, acting_user=user, expected_version=payload.expected_version
        )
    elif payload.action == "take":
        services.ticket_take(ticket_id=ticket_id, acting_user=user, expected_version=payload.expected_version)
    elif payload.action == "unassign":
        services.ticket_unassign(ticket_id=ticket_id, acting_user=user, expected_version=payload.expected_version)
    else:
        services.ticket_autoassign(ticket_id=ticket_id, acting_user=user)
    return _ticket(selectors.ticket_get(ticket_id=ticket_id))


@router.get("/tickets/{ticket_id}/duplicates", response=list[SuggestionOut], summary="Tickets worth merging")
def duplicates(request: HttpRequest, ticket_id: int, window_hours: int = 72) -> list[dict[str, Any]]:
    require(request, Capability.READ_LEDGER)
    return [
        {"ticket": _ticket(s.ticket), "reason": s.reason}
        for s in selectors.duplicates_suggest(ticket_id=ticket_id, window_hours=window_hours)
    ]


@router.post("/incidents", response={201: IncidentOut}, summary="Open an incident (a parent for many tickets)")
def incident_create(request: HttpRequest, payload: IncidentIn) -> Status[dict[str, Any]]:
    user = require(request, Capability.WORK_TICKETS)
    incident = services.incident_create(title=payload.title, description=payload.description, acting_user=user)
    return Status(201, {"id": incident.pk, "title": incident.title, "status": incident.status})


@router.post("/incidents/{incident_id}/tickets", response=CountOut, summary="Link tickets to an incident")
def incident_link(request: HttpRequest, incident_id: int, payload: IncidentTicketsIn) -> dict[str, int]:
    user = require(request, Capability.WORK_TICKETS)
    return {"count": services.incident_link(incident_id=incident_id, ticket_ids=payload.tickets, acting_user=user)}


@router.post("/incidents/{incident_id}/reply", response=CountOut, summary="Reply to every linked player")
def incident_reply(request: HttpRequest, incident_id: int, payload: IncidentReplyIn) -> dict[str, int]:
    user = require(request, Capability.WORK_TICKETS)
    return {"count": services.incident_reply(incident_id=incident_id, body=payload.body, acting_user=user)}


@router.post("/incidents/{incident_id}/resolve", response=CountOut, summary="Resolve the incident and its tickets")
def incident_resolve(request: HttpRequest, incident_id: int, payload: IncidentResolveIn) -> dict[str, int]:
    user = require(request, Capability.WORK_TICKETS)
    count = services.incident_resolve(
        incident_id=incident_id, resolution_code=payload.resolution_code, body=payload.body, acting_user=user
    )
    return {"count": count}


@router.patch("/sla/policies/{policy_id}", response=PolicyOut, summary="Change an SLA policy (recomputes deadlines)")
def policy_change(request: HttpRequest, policy_id: int, payload: PolicyChangeIn) -> dict[str, Any]:
    user = require(request, Capability.CONFIGURE)
    changes = payload.dict(exclude_none=True)
    if not changes:
        raise ValidationError("no change given")
    policy = sla_policy_update(policy_id=policy_id, acting_user=user, **changes)
    return {
        "id": policy.pk,
        "name": policy.name,
        "first_response_minutes": policy.first_response_minutes,
        "next_response_minutes": policy.next_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "warn_at_percent": policy.warn_at_percent,
    }


class QueueOut(Schema):
    team: str | None
    region: str
    language: str
    waiting: int
    urgent: int


@router.get("/queues", response=list[QueueOut], summary="Waiting tickets per team, region and language")
def queues(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, Capability.WORK_TICKETS)
    return [
        {
            "team": row["team__code"],
            "region": row["region"],
            "language": row["language"],
            "waiting": row["waiting"],
            "urgent": row["urgent"],
        }
        for row in services.assignment.queue_counts()
    ]


class PresenceIn(Schema):
    online: bool


class PresenceOut(Schema):
    online: bool
    returned_to_queue: int


@router.post("/agents/me/presence", response=PresenceOut, summary="Go on- or offline (offline returns your tickets)")
def presence(request: HttpRequest, payload: PresenceIn) -> dict[str, Any]:
    user = require(request, Capability.WORK_TICKETS)
    returned = services.agent_set_online(user=user, online=payload.online, acting_user=user)
    return {"online": payload.online, "returned_to_queue": returned}


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    ticket: int | None
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response=list[NotificationOut], summary="Your in-app notifications (SLA alerts)")
def notifications(request: HttpRequest, unread_only: bool = True) -> list[dict[str, Any]]:
    user = require(request, Capability.READ_LEDGER)
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "text": n.text,
            "ticket": n.ticket_id,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in selectors.notifications_for(user=user, unread_only=unread_only)
    ]


@router.post("/notifications/{notification_id}/read", response=CountOut, summary="Mark a notification read")
def notification_read(request: HttpRequest, notification_id: int) -> dict[str, int]:
    user = require(request, Capability.READ_LEDGER)
    return {"count": int(services.notification_mark_read(notification_id=notification_id, acting_user=user))}
