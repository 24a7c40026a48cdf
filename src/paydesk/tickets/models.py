"""Ticket tables: teams and agents, tickets, messages, attachments, links to transactions, incidents, notifications.

Rules the schema protects: a ticket number is unique; a transaction is linked to a ticket at most once and a ticket
has at most one primary link; an agent has one profile; a resolution code is unique. Every write goes through
``paydesk.tickets.services``; ``version`` grows on every write so a stale form or API call is refused (Conflict).

SLA clocks live on the ticket row (DESIGN: deadlines stored and indexed): for each metric ``<m>_due_at`` is the
running deadline (NULL when the clock is stopped or paused) and ``<m>_alert_at`` is when the scan must look next
(the warning instant, then the deadline, then NULL once breached). The scan reads only the partial indexes on
``<m>_alert_at``, never all open tickets.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from paydesk.payments.models import Player, Transaction
from paydesk.tickets.enums import (
    Category,
    Channel,
    IncidentStatus,
    MessageKind,
    Priority,
    Status,
    TeamKind,
)

# Metrics whose clocks are stored on the ticket row; the order is the column order.
SLA_METRICS = ("first_response", "next_response", "resolution", "escalation_ack", "escalation_resolve")


class Team(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=TeamKind.choices)
    region = models.CharField(max_length=32, blank=True, help_text="For regional units, e.g. cis, latam, eu")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """Skills and availability of one agent. Empty ``regions`` means every region."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")
    languages = models.JSONField(default=list, blank=True, help_text='Languages the agent answers in, e.g. ["en"]')
    regions = models.JSONField(default=list, blank=True, help_text="Regions served; empty = all")
    capacity = models.PositiveSmallIntegerField(default=10, help_text="Most active tickets held at once")
    is_online = models.BooleanField(default=False)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"agent {self.user.get_username()}"


class ResolutionCode(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.code


class Tag(models.Model):
    name = models.SlugField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """A parent for many tickets about one cause (e.g. a PSP outage): one reply reaches every linked player."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_code = models.ForeignKey(ResolutionCode, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return f"incident #{self.pk} {self.title}"


class Ticket(models.Model):
    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    category = models.CharField(max_length=32, choices=Category.choices, blank=True)
    language = models.CharField(max_length=8, blank=True)
    region = models.CharField(max_length=32, blank=True)
    player = models.ForeignKey(Player, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    escalation_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="escalated_tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    resolution_code = models.ForeignKey(ResolutionCode, null=True, blank=True, on_delete=models.PROTECT)
    version = models.PositiveIntegerField(default=1)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    last_player_message_at = models.DateTimeField(null=True, blank=True)
    awaiting_reply_since = models.DateTimeField(
        null=True, blank=True, help_text="Oldest player message not yet answered after the first response"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    sla_pauses = models.JSONField(default=list, blank=True, help_text="[[start, end|null], ...] ISO instants")
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_alert_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_alert_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_alert_at = models.DateTimeField(null=True, blank=True)
    escalation_ack_due_at = models.DateTimeField(null=True, blank=True)
    escalation_ack_alert_at = models.DateTimeField(null=True, blank=True)
    escalation_resolve_due_at = models.DateTimeField(null=True, blank=True)
    escalation_resolve_alert_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "team", "assignee"], name="ticket_queue"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["player", "-created_at"], name="ticket_player_created"),
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            models.Index(fields=["first_response_due_at"], name="ticket_first_response_due"),
            models.Index(fields=["next_response_due_at"], name="ticket_next_response_due"),
            models.Index(fields=["resolution_due_at"], name="ticket_resolution_due"),
            models.Index(fields=["sla_policy", "status"], name="ticket_sla_policy_status"),
            *[
                models.Index(
                    fields=[f"{metric}_alert_at"],
                    condition=Q(**{f"{metric}_alert_at__isnull": False}),
                    name=f"ticket_{metric}_alert"[:30],
                )
                for metric in SLA_METRICS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.number or self.pk} {self.subject}"


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    body = models.TextField()
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_player = models.ForeignKey(Player, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL = no channel id
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                name="message_channel_external_id_unique",
                condition=Q(external_id__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(author_user__isnull=True) | Q(author_player__isnull=True), name="message_one_author"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename


class TicketTransaction(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transaction_links")
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="ticket_links")
    is_primary = models.BooleanField(default=False)
    linked_at = models.DateTimeField()
    match_score = models.IntegerField(null=True, blank=True, help_text="Triage's match score; NULL when linked by hand")
    match_reasons = models.JSONField(default=list, blank=True, help_text="Why triage linked it (empty when by hand)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "transaction"], name="ticket_transaction_unique"),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(is_primary=True), name="ticket_one_primary_transaction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.transaction_id}"


class Notification(models.Model):
    """An in-app notice for one user (SLA warnings and breaches go to the team lead)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class TicketSuggestion(models.Model):
    """What triage and diagnosis suggest for a ticket, from its latest player message (one row, replaced each time).

    Written only by ``paydesk.tickets.services.triage``; the agent reads it beside the conversation. ``reply_text``
    is the rendered macro in the ticket's language and ``lint`` the Tone of Voice findings on it; ``lint_errors``
    counts the findings of severity error (a reply with errors must be edited before it is sent).
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="suggestion")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=8)
    category = models.CharField(max_length=32, choices=Category.choices)
    confidence = models.FloatField(help_text="Classifier confidence 0..1 (a score, not money)")
    priority_hint = models.CharField(max_length=8, choices=Priority.choices)
    entities = models.JSONField(default=dict, blank=True)
    candidates = models.JSONField(default=list, blank=True, help_text="[{reference, score, reasons}], best first")
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Diagnosed"
    )
    diagnosis = models.JSONField(null=True, blank=True)
    finding = models.CharField(max_length=40, blank=True, help_text="Code of the finding the reply answers")
    next_action = models.JSONField(null=True, blank=True)
    next_action_text = models.CharField(max_length=300, blank=True)
    reply_language = models.CharField(max_length=8, blank=True)
    reply_text = models.TextField(blank=True)
    lint = models.JSONField(default=list, blank=True)
    lint_errors = models.PositiveSmallIntegerField(default=0)
    problem = models.CharField(max_length=300, blank=True, help_text="A step that failed (the rest still ran)")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"suggestion for {self.ticket_id}: {self.finding or self.category}"
