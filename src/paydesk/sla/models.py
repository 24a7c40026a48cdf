"""SLA tables: business calendars (as data), policies chosen by ordered conditions, team escalation targets, events.

Rules the schema protects: a breach or warning is recorded once per ticket, metric and clock start (unique
constraint on ``SlaEvent``), so two scanners or a re-run can never double-alert; a warning share is 1-99 %.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from paydesk.sla.calendar import CalendarSpec


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"
    ESCALATION_ACK = "escalation_ack", "Escalation acknowledged"
    ESCALATION_RESOLVE = "escalation_resolve", "Escalation resolved"


class EventKind(models.TextChoices):
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    always_open = models.BooleanField(default=False, help_text="24/7: hours and holidays are ignored")
    hours = models.JSONField(
        default=dict, blank=True, help_text='Weekly periods in local time, e.g. {"mon": [["09:00", "18:00"]]}'
    )

    def __str__(self) -> str:
        return self.name

    def spec(self) -> CalendarSpec:
        """The calendar as a validated, hashable spec (holidays read from the database)."""
        holidays = [holiday.date for holiday in self.holidays.all()]
        return CalendarSpec.from_data(
            timezone=self.timezone, hours=self.hours, holidays=holidays, always_open=self.always_open
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_calendar")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets for tickets matching every non-empty condition; the lowest ``position`` that matches wins."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=100, help_text="Policies are tried in ascending order")
    is_active = models.BooleanField(default=True)
    priorities = models.JSONField(default=list, blank=True, help_text="Empty = any priority")
    min_vip_level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Player VIP level at least")
    channels = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    first_response_minutes = models.PositiveIntegerField()
    next_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    warn_at_percent = models.PositiveSmallIntegerField(default=80)
    breach_bump_priority = models.BooleanField(default=False, help_text="Raise priority one step on a breach")
    breach_escalate_to = models.ForeignKey(
        "tickets.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_at_percent__gte=1, warn_at_percent__lte=99), name="sla_policy_warn_percent_range"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamSlaTarget(models.Model):
    """How fast a team must acknowledge and resolve an escalation handed to it."""

    team = models.OneToOneField("tickets.Team", on_delete=models.CASCADE, related_name="sla_target")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    acknowledge_minutes = models.PositiveIntegerField()
    resolve_minutes = models.PositiveIntegerField()
    warn_at_percent = models.PositiveSmallIntegerField(default=80)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_at_percent__gte=1, warn_at_percent__lte=99), name="team_sla_warn_percent_range"
            )
        ]

    def __str__(self) -> str:
        return f"SLA of {self.team}"


class SlaEvent(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    kind = models.CharField(max_length=8, choices=EventKind.choices)
    started_at = models.DateTimeField(help_text="When the clock this event belongs to started")
    due_at = models.DateTimeField()
    occurred_at = models.DateTimeField()
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "kind", "started_at"], name="sla_event_once")
        ]
        indexes = [models.Index(fields=["kind", "occurred_at"], name="sla_event_kind_occurred")]

    def __str__(self) -> str:
        return f"{self.kind} {self.metric} on {self.ticket_id}"
