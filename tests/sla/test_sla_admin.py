"""Configuration through the admin: resolution codes are extendable; a policy edit goes through the SLA service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from paydesk.core.models import AuditEvent
from paydesk.sla.models import BusinessCalendar, SlaPolicy
from paydesk.sla.services import sla_policy_create
from paydesk.tickets.models import ResolutionCode
from tests.tickets.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = make_user("root", superuser=True)
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_twelve_resolution_codes_are_seeded_and_admin_can_add_one(admin_client: Client) -> None:
    assert ResolutionCode.objects.count() == 12
    response = admin_client.post(
        "/admin/tickets/resolutioncode/add/", {"code": "goodwill_bonus", "label": "Goodwill bonus", "is_active": "on"}
    )
    assert response.status_code == 302
    assert ResolutionCode.objects.filter(code="goodwill_bonus").exists()


def test_policy_edit_in_admin_is_audited_and_queues_recompute(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    policy = sla_policy_create(
        name="P",
        calendar=calendar,
        first_response_minutes=60,
        next_response_minutes=60,
        resolution_minutes=600,
        acting_user=None,
    )
    form = {
        "name": "P",
        "position": "100",
        "is_active": "on",
        "priorities": "[]",
        "channels": "[]",
        "categories": "[]",
        "regions": "[]",
        "calendar": str(calendar.pk),
        "first_response_minutes": "30",
        "next_response_minutes": "60",
        "resolution_minutes": "600",
        "warn_at_percent": "80",
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", form)
    assert response.status_code == 302
    assert SlaPolicy.objects.get(pk=policy.pk).first_response_minutes == 30
    assert AuditEvent.objects.get(action="sla_policy.update").data == {"changed": ["first_response_minutes"]}
    assert len(callbacks) == 1


def test_admin_pages_render(admin_client: Client) -> None:
    for path in (
        "/admin/sla/slapolicy/",
        "/admin/sla/businesscalendar/add/",
        "/admin/tickets/ticket/",
        "/admin/tickets/team/",
        "/admin/sla/slaevent/",
    ):
        assert admin_client.get(path).status_code == 200, path
