"""Admin for SLA configuration: calendars with holidays, policies, team escalation targets; events read-only.

A policy or calendar saved here goes through the SLA services, so the change is audited and the open tickets'
deadlines are recomputed in the background after the save commits.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from paydesk.core.admin import ReadOnlyAdmin
from paydesk.core.errors import ValidationError
from paydesk.sla.calendar import CalendarSpec
from paydesk.sla.models import BusinessCalendar, Holiday, SlaEvent, SlaPolicy, TeamSlaTarget
from paydesk.sla.services import POLICY_FIELDS, sla_calendar_save, sla_policy_create, sla_policy_update


class HolidayInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Holiday
    extra = 1


class CalendarForm(ModelForm):  # type: ignore[type-arg]
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            CalendarSpec.from_data(
                timezone=data.get("timezone") or "UTC",
                hours=data.get("hours") or {},
                always_open=bool(data.get("always_open")),
            )
        except ValidationError as exc:
            raise DjangoValidationError(exc.message) from exc
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CalendarForm
    list_display = ("name", "timezone", "always_open")
    inlines = [HolidayInline]

    def save_model(self, request: HttpRequest, obj: BusinessCalendar, form: Any, change: bool) -> None:
        saved = sla_calendar_save(
            name=obj.name,
            timezone=obj.timezone,
            hours=obj.hours,
            always_open=obj.always_open,
            calendar_id=obj.pk if change else None,
            acting_user=request.user,
        )
        obj.pk = saved.pk


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("position", "name", "is_active", "first_response_minutes", "resolution_minutes", "calendar")
    list_display_links = ("name",)
    fields = POLICY_FIELDS

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: Any, change: bool) -> None:
        values = {field: getattr(obj, field) for field in POLICY_FIELDS}
        try:
            if change:
                sla_policy_update(policy_id=obj.pk, acting_user=request.user, **values)
            else:
                obj.pk = sla_policy_create(acting_user=request.user, **values).pk
        except ValidationError as exc:
            raise DjangoValidationError(exc.message) from exc


@admin.register(TeamSlaTarget)
class TeamSlaTargetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("team", "acknowledge_minutes", "resolve_minutes", "calendar")


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "ticket", "metric", "kind", "due_at")
    list_filter = ("kind", "metric")
    show_full_result_count = False
