"""Admin for ticket configuration (teams, agent profiles, resolution codes, tags) and a read-only ticket view.

Tickets, messages and incidents change only through services (lifecycle, audit, SLA clocks), never the admin.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from paydesk.core.admin import ReadOnlyAdmin
from paydesk.tickets.models import AgentProfile, Incident, ResolutionCode, Tag, Team, Ticket


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "kind", "region", "lead", "is_active")


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "capacity", "is_online", "languages", "regions")
    filter_horizontal = ("teams",)


@admin.register(ResolutionCode)
class ResolutionCodeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "label", "is_active")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # closed tickets point at their code; retire a code with is_active instead


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    search_fields = ("name",)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "subject", "status", "priority", "team", "assignee", "resolution_due_at")
    list_filter = ("status", "priority", "channel", "team")
    search_fields = ("number", "subject", "player__external_id")
    show_full_result_count = False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "status", "created_at", "resolved_at")
