"""SLA reads: the active policies and team targets as frozen rules (one query each, calendars with holidays)."""

from __future__ import annotations

from django.db.models import Prefetch

from paydesk.sla.engine import PolicyRule, TeamRule
from paydesk.sla.models import BusinessCalendar, Holiday, SlaPolicy, TeamSlaTarget


def _calendar_prefetch(path: str) -> Prefetch[str]:
    return Prefetch(f"{path}holidays", queryset=Holiday.objects.order_by("date"))


def policy_rule(policy: SlaPolicy) -> PolicyRule:
    return PolicyRule(
        id=policy.pk,
        name=policy.name,
        priorities=frozenset(policy.priorities or ()),
        min_vip_level=policy.min_vip_level,
        channels=frozenset(policy.channels or ()),
        categories=frozenset(policy.categories or ()),
        regions=frozenset(policy.regions or ()),
        calendar=policy.calendar.spec(),
        first_response_minutes=policy.first_response_minutes,
        next_response_minutes=policy.next_response_minutes,
        resolution_minutes=policy.resolution_minutes,
        warn_at_percent=policy.warn_at_percent,
    )


def active_policy_rules() -> list[PolicyRule]:
    """Active policies in the order they are tried."""
    policies = (
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related(_calendar_prefetch("calendar__"))
        .order_by("position", "id")
    )
    return [policy_rule(policy) for policy in policies]


def team_rules(team_ids: set[int] | None = None) -> dict[int, TeamRule]:
    targets = TeamSlaTarget.objects.select_related("calendar").prefetch_related(_calendar_prefetch("calendar__"))
    if team_ids is not None:
        targets = targets.filter(team_id__in=team_ids)
    return {
        target.team_id: TeamRule(
            team_id=target.team_id,
            calendar=target.calendar.spec(),
            acknowledge_minutes=target.acknowledge_minutes,
            resolve_minutes=target.resolve_minutes,
            warn_at_percent=target.warn_at_percent,
        )
        for target in targets
    }


def calendar_get(name: str) -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(name=name).prefetch_related("holidays").first()
