"""Intake: the one way a request becomes a ticket and a message lands on one (every channel calls these).

Rules protected:
- A channel message id is stored once per channel: a redelivered message returns the message already stored.
- A player writing to a ticket waiting for them reopens the conversation; to a resolved ticket reopens it; to a
  closed ticket starts a new ticket linked as its follow-up; to a merged ticket lands on the ticket it merged into.
- The first public agent reply stops the first-response clock; a player message after it starts next-response.
- Attachments are checked (type sniffed, size capped) before anything is written; files written to storage are
  removed again if the transaction fails, so nothing is half-written.
- A public agent reply to a player's ticket is handed to the channel's sender (``outbound``) only after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import ValidationError
from paydesk.payments.models import Player, Transaction
from paydesk.tickets import outbound
from paydesk.tickets.attachments import CheckedFile, check_attachment
from paydesk.tickets.enums import Category, Channel, MessageKind, Move, Priority, Status
from paydesk.tickets.models import Attachment, Message, Tag, Team, Ticket, TicketTransaction
from paydesk.tickets.services.base import label, lock_ticket, move, save
from paydesk.tickets.services.triage import suggest_after_commit, triage_apply

MAX_BODY = 20000


@dataclass(frozen=True, slots=True)
class IncomingFile:
    filename: str
    data: bytes
    content_type: str | None = None


def _check_files(files: Sequence[IncomingFile]) -> list[CheckedFile]:
    return [check_attachment(filename=f.filename, data=f.data, declared_type=f.content_type) for f in files]


def _store_files(message: Message, checked: list[CheckedFile], stored: list[str]) -> None:
    for item in checked:
        name = default_storage.save(
            f"attachments/{message.ticket_id}/{item.sha256[:16]}-{item.filename}", ContentFile(item.data)
        )
        stored.append(name)
        Attachment.objects.create(
            message=message,
            file=name,
            filename=item.filename,
            content_type=item.content_type,
            size=len(item.data),
            sha256=item.sha256,
            created_at=clock.now(),
        )


def _cleanup(stored: list[str]) -> None:
    for name in stored:
        default_storage.delete(name)


def _clean_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise ValidationError("message body is empty")
    if len(text) > MAX_BODY:
        raise ValidationError(f"message body is {len(text)} characters; the limit is {MAX_BODY}")
    return text


def _link(ticket: Ticket, txn: Transaction, *, primary: bool) -> bool:
    """Link a transaction (no-op if linked); the first link, or an explicit primary, becomes the primary one."""
    link = TicketTransaction.objects.filter(ticket=ticket, transaction=txn).first()
    has_primary = TicketTransaction.objects.filter(ticket=ticket, is_primary=True).exclude(transaction=txn).exists()
    if primary and has_primary:
        TicketTransaction.objects.filter(ticket=ticket, is_primary=True).update(is_primary=False)
        has_primary = False
    make_primary = primary or not has_primary
    if link is None:
        TicketTransaction.objects.create(ticket=ticket, transaction=txn, is_primary=make_primary, linked_at=clock.now())
        return True
    if make_primary and not link.is_primary:
        link.is_primary = True
        link.save(update_fields=["is_primary"])
    return False


def _transactions(references: Sequence[str], player: Player | None) -> list[Transaction]:
    found = {t.reference: t for t in Transaction.objects.filter(reference__in=list(references))}
    result = []
    for reference in references:
        txn = found.get(reference)
        if txn is None:
            raise ValidationError(f"transaction {reference} not found")
        if player is not None and txn.player_id != player.pk:
            raise ValidationError(f"transaction {reference} belongs to another player")
        result.append(txn)
    return result


def _tags(names: Sequence[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = raw.strip().lower().replace(" ", "-")
        if not name or len(name) > 40 or not all(c.isalnum() or c in "-_" for c in name):
            raise ValidationError(f"tag {raw!r} must be 1-40 letters, digits, '-' or '_'")
        tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def ticket_register(
    *,
    subject: str,
    body: str,
    channel: str,
    player: Player | None = None,
    category: str = "",
    language: str = "",
    priority: str = Priority.NORMAL,
    region: str | None = None,
    team: str | None = None,
    transactions: Sequence[str] = (),
    primary_transaction: str | None = None,
    tags: Sequence[str] = (),
    external_id: str | None = None,
    attachments: Sequence[IncomingFile] = (),
    follow_up_of: Ticket | None = None,
    acting_user: Any | None,
) -> Ticket:
    """Register a request as a ticket with its first message (from the player, or the acting user if internal)."""
    if channel not in Channel.values:
        raise ValidationError(f"unknown channel {channel!r}; expected one of {', '.join(Channel.values)}")
    if priority not in Priority.values:
        raise ValidationError(f"unknown priority {priority!r}; expected one of {', '.join(Priority.values)}")
    if category and category not in Category.values:
        raise ValidationError(f"unknown category {category!r}")
    subject = subject.strip()[:200]
    if not subject:
        raise ValidationError("ticket subject is empty")
    text = _clean_body(body)
    if player is None and channel != Channel.INTERNAL and acting_user is None:
        raise ValidationError(f"a {channel} ticket needs a player")
    if language and not (language.isascii() and language.isalpha() and len(language) <= 8):
        raise ValidationError(f"language {language!r} must be a language code like en or ru")
    if region is not None and len(region) > 32:
        raise ValidationError(f"region {region[:40]!r} is longer than 32 characters")
    checked = _check_files(attachments)
    references = list(dict.fromkeys([*([primary_transaction] if primary_transaction else []), *transactions]))
    if external_id and Message.objects.filter(channel=channel, external_id=external_id).exists():
        existing = Message.objects.select_related("ticket").get(channel=channel, external_id=external_id)
        return existing.ticket
    stored: list[str] = []
    try:
        with transaction.atomic():
            team_obj = None
            team_code = team or getattr(settings, "PAYDESK_DEFAULT_TEAM", "payments")
            if team_code:
                team_obj = Team.objects.filter(code=team_code, is_active=True).first()
                if team_obj is None and team:
                    raise ValidationError(f"no active team {team!r}")
            linked = _transactions(references, player)
            now = clock.now()
            ticket = Ticket.objects.create(
                subject=subject,
                status=Status.NEW,
                priority=priority,
                channel=channel,
                category=category,
                language=language or (player.language if player else ""),
                region=region if region is not None else (player.region if player else ""),
                player=player,
                team=team_obj,
                follow_up_of=follow_up_of,
                created_at=now,
                updated_at=now,
                last_player_message_at=now if player is not None else None,
            )
            ticket.number = f"PD-{ticket.pk:06d}"
            from_player = player is not None and channel != Channel.INTERNAL
            message = Message.objects.create(
                ticket=ticket,
                kind=MessageKind.PUBLIC if from_player else MessageKind.INTERNAL,
                body=text,
                author_player=player if from_player else None,
                author_user=None if from_player else acting_user,
                channel=channel,
                external_id=external_id or None,
                created_at=now,
            )
            _store_files(message, checked, stored)
            for txn in linked:
                _link(ticket, txn, primary=txn.reference == primary_transaction)
            if tags:
                ticket.tags.add(*_tags(tags))
            # Triage (pure, fast) before the save so SLA policy and assignment see its category, language, priority.
            triaged = (
                triage_apply(ticket, text, keep_category=bool(category), keep_language=bool(language), registering=True)
                if from_player
                else None
            )
            audit_record(
                action="ticket.register",
                actor=acting_user,
                actor_label=None if acting_user is not None else f"{channel}:{player.external_id if player else '-'}",
                object_type="ticket",
                object_id=ticket.number,
                data={
                    "channel": channel,
                    "player": player.external_id if player else None,
                    "category": category,
                    "transactions": references,
                    "follow_up_of": follow_up_of.number if follow_up_of else None,
                    **(triaged.audit() if triaged else {}),
                },
            )
            save(ticket)
            if getattr(settings, "PAYDESK_AUTO_ASSIGN", True):
                from paydesk.tickets.services.assignment import autoassign_locked

                autoassign_locked(ticket, acting_user=None)
            if triaged is not None:
                suggest = partial(
                    suggest_after_commit, ticket_id=ticket.pk, message_id=message.pk, result=triaged.result
                )
                transaction.on_commit(suggest, robust=True)
    except IntegrityError:
        _cleanup(stored)
        # Two deliveries of one channel message raced: the other one registered the ticket.
        redelivered = Message.objects.select_related("ticket").filter(channel=channel, external_id=external_id)
        if external_id and redelivered.exists():
            return redelivered.get().ticket
        raise
    except Exception:
        _cleanup(stored)
        raise
    return ticket


def message_add(
    *,
    ticket_id: int,
    body: str,
    kind: str = MessageKind.PUBLIC,
    author_player: Player | None = None,
    channel: str = Channel.INTERNAL,
    external_id: str | None = None,
    attachments: Sequence[IncomingFile] = (),
    acting_user: Any | None,
    expected_version: int | None = None,
) -> Message:
    """Add a message from the player (``author_player``) or from the acting user; returns the stored message."""
    if kind not in MessageKind.values:
        raise ValidationError(f"unknown message kind {kind!r}; expected one of {', '.join(MessageKind.values)}")
    if author_player is not None and kind != MessageKind.PUBLIC:
        raise ValidationError("a player's message is always public")
    if author_player is None and acting_user is None and kind != MessageKind.SYSTEM:
        raise ValidationError("a message needs an author: the player or the acting user")
    text = _clean_body(body)
    checked = _check_files(attachments)
    if external_id:
        existing = Message.objects.filter(channel=channel, external_id=external_id).first()
        if existing is not None:
            return existing
    stored: list[str] = []
    try:
        with transaction.atomic():
            triaged = None
            ticket = lock_ticket(ticket_id, expected_version=expected_version)
            if author_player is not None:
                if ticket.player_id is not None and ticket.player_id != author_player.pk:
                    raise ValidationError(f"ticket {label(ticket)} belongs to another player")
                hops = 0
                while ticket.status == Status.MERGED and ticket.merged_into_id is not None and hops < 10:
                    ticket, hops = lock_ticket(ticket.merged_into_id), hops + 1
                if ticket.status == Status.CLOSED:
                    follow_up = _follow_up(ticket, text, author_player, channel, external_id)
                    message = follow_up.messages.order_by("id").first()
                    assert message is not None
                    return message
            now = clock.now()
            message = Message.objects.create(
                ticket=ticket,
                kind=kind,
                body=text,
                author_player=author_player,
                author_user=acting_user if author_player is None and getattr(acting_user, "pk", None) else None,
                channel=channel,
                external_id=external_id or None,
                created_at=now,
            )
            _store_files(message, checked, stored)
            if author_player is not None:
                _on_player_message(ticket, acting_user=acting_user, at=now)
                triaged = triage_apply(ticket, text, keep_category=False, keep_language=False)
                suggest = partial(
                    suggest_after_commit, ticket_id=ticket.pk, message_id=message.pk, result=triaged.result
                )
                transaction.on_commit(suggest, robust=True)
            elif kind == MessageKind.PUBLIC:
                _on_agent_reply(ticket, acting_user=acting_user, at=now)
                if ticket.player_id is not None:
                    transaction.on_commit(partial(outbound.deliver, message_id=message.pk, channel=ticket.channel))
            audit_record(
                action="ticket.message",
                actor=acting_user,
                actor_label=None if acting_user is not None else f"{channel}:player",
                object_type="ticket",
                object_id=label(ticket),
                data={
                    "message": message.pk,
                    "kind": kind,
                    "from_player": author_player is not None,
                    "attachments": len(checked),
                    **(triaged.audit() if triaged else {}),
                },
            )
            save(ticket)
    except IntegrityError as exc:
        _cleanup(stored)
        if external_id and Message.objects.filter(channel=channel, external_id=external_id).exists():
            return Message.objects.get(channel=channel, external_id=external_id)
        raise ValidationError(f"message could not be stored: {exc}") from exc
    except Exception:
        _cleanup(stored)
        raise
    return message


def _follow_up(closed: Ticket, text: str, player: Player, channel: str, external_id: str | None) -> Ticket:
    references = list(
        TicketTransaction.objects.filter(ticket=closed)
        .order_by("-is_primary", "id")
        .values_list("transaction__reference", flat=True)
    )
    return ticket_register(
        subject=f"Follow-up to {closed.number}: {closed.subject}"[:200],
        body=text,
        channel=channel,
        player=player,
        category=closed.category,
        language=closed.language,
        priority=closed.priority,
        region=closed.region,
        team=closed.team.code if closed.team else None,
        transactions=references,
        primary_transaction=references[0] if references else None,
        external_id=external_id,
        follow_up_of=closed,
        acting_user=None,
    )


def _on_player_message(ticket: Ticket, *, acting_user: Any | None, at: Any) -> None:
    ticket.last_player_message_at = at
    if ticket.first_responded_at is not None and ticket.awaiting_reply_since is None:
        ticket.awaiting_reply_since = at
    if ticket.status == Status.RESOLVED:
        move(ticket, Move.REOPEN, acting_user=acting_user, data={"reason": "player replied"})
        ticket.resolved_at = None
    elif ticket.status == Status.PENDING_CUSTOMER:
        move(ticket, Move.OPEN, acting_user=acting_user, data={"reason": "player replied"})


def _on_agent_reply(ticket: Ticket, *, acting_user: Any | None, at: Any) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
    ticket.awaiting_reply_since = None
    if ticket.status == Status.NEW:
        move(ticket, Move.OPEN, acting_user=acting_user, data={"reason": "first reply"})


def ticket_link_transaction(
    *, ticket_id: int, reference: str, primary: bool = False, acting_user: Any | None
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        (txn,) = _transactions([reference], ticket.player)
        created = _link(ticket, txn, primary=primary)
        audit_record(
            action="ticket.link_transaction",
            actor=acting_user,
            object_type="ticket",
            object_id=label(ticket),
            data={"transaction": reference, "primary": primary, "new": created},
        )
        return save(ticket)


def ticket_tag(
    *, ticket_id: int, add: Sequence[str] = (), remove: Sequence[str] = (), acting_user: Any | None
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        if add:
            ticket.tags.add(*_tags(add))
        if remove:
            ticket.tags.remove(*Tag.objects.filter(name__in=[r.strip().lower() for r in remove]))
        audit_record(
            action="ticket.tag",
            actor=acting_user,
            object_type="ticket",
            object_id=label(ticket),
            data={"add": list(add), "remove": list(remove)},
        )
        return save(ticket)
