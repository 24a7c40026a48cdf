"""Roles as Django groups: who may do what on the desk.

The role names are a contract (DESIGN §1): agent, senior, lead, payments, finance, risk, platform, regional, admin,
auditor. Capabilities are derived from roles in one table here, so views and API handlers ask ``can(user, ...)``
and never compare group names themselves. Superusers hold every capability.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import Group


class Role(StrEnum):
    AGENT = "agent"
    SENIOR = "senior"
    LEAD = "lead"
    PAYMENTS = "payments"
    FINANCE = "finance"
    RISK = "risk"
    PLATFORM = "platform"
    REGIONAL = "regional"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Capability(StrEnum):
    READ_LEDGER = "read_ledger"
    WORK_TICKETS = "work_tickets"
    PROPOSE_MONEY_ACTION = "propose_money_action"
    APPROVE_MONEY_ACTION = "approve_money_action"
    INGEST_PLATFORM = "ingest_platform"
    CONFIGURE = "configure"
    READ_AUDIT = "read_audit"
    EXPORT = "export"
    READ_RECONCILIATION = "read_reconciliation"
    WORK_RECONCILIATION = "work_reconciliation"


_STAFF_READERS = frozenset(Role) - {Role.PLATFORM}

CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.READ_LEDGER: frozenset(Role),
    Capability.WORK_TICKETS: frozenset(
        {
            Role.AGENT,
            Role.SENIOR,
            Role.LEAD,
            Role.PAYMENTS,
            Role.FINANCE,
            Role.RISK,
            Role.REGIONAL,
            Role.ADMIN,
        }
    ),
    Capability.PROPOSE_MONEY_ACTION: frozenset(
        {Role.AGENT, Role.SENIOR, Role.LEAD, Role.PAYMENTS, Role.FINANCE, Role.RISK}
    ),
    Capability.APPROVE_MONEY_ACTION: frozenset({Role.SENIOR, Role.LEAD, Role.PAYMENTS, Role.FINANCE, Role.RISK}),
    Capability.INGEST_PLATFORM: frozenset({Role.PLATFORM, Role.ADMIN}),
    Capability.CONFIGURE: frozenset({Role.ADMIN}),
    Capability.READ_AUDIT: frozenset({Role.AUDITOR, Role.ADMIN, Role.LEAD}),
    Capability.EXPORT: frozenset({Role.AUDITOR, Role.ADMIN, Role.LEAD, Role.FINANCE, Role.SENIOR}),
    Capability.READ_RECONCILIATION: frozenset({Role.FINANCE, Role.PAYMENTS, Role.LEAD, Role.ADMIN, Role.AUDITOR}),
    Capability.WORK_RECONCILIATION: frozenset({Role.FINANCE, Role.PAYMENTS, Role.LEAD, Role.ADMIN}),
}


def roles_of(user: Any) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_paydesk_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._paydesk_roles = cached
    return cached


def can(user: Any, capability: Capability) -> bool:
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return bool(roles_of(user) & CAPABILITIES[capability])


def ensure_role_groups() -> list[Group]:
    """Create the role groups if missing (idempotent); used by the data migration and the demo."""
    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]
