"""The tickets API: intake, messages, transitions and assignment, with role refusals that change nothing."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from paydesk.core.models import AuditEvent
from paydesk.core.tokens import api_token_issue
from paydesk.payments.models import Player
from paydesk.sla.models import SlaPolicy
from paydesk.tickets.models import Attachment, Message, Team, Ticket
from tests.tickets.conftest import make_agent, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def client_for(username: str, *roles: str) -> Client:
    user = make_user(username, *roles)
    return Client(headers={"Authorization": f"Bearer {api_token_issue(user=user, name='t')}"})


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_create_ticket_then_reply_and_resolve(
    player: Player, deposit: Any, payments_team: Team, policy: SlaPolicy
) -> None:
    api = client_for("alice", "agent")
    response = post(
        api,
        "/api/v1/tickets",
        {"subject": "Where is my deposit", "body": "50 EUR", "player": "p-1", "transactions": ["dep-1"]},
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["status"], created["player"], created["channel"], created["team"]) == (
        "new",
        "p-1",
        "api",
        "payments",
    )
    assert created["transactions"] == [{"reference": "dep-1", "primary": True}]
    assert created["sla_policy"] == policy.pk
    assert created["sla"]["first_response_due_at"] is not None
    ticket_id = created["id"]

    reply = post(api, f"/api/v1/tickets/{ticket_id}/messages", {"body": "We are checking", "kind": "public"})
    assert reply.status_code == 201
    assert (reply.json()["author"], reply.json()["kind"]) == ("alice", "public")

    resolved = post(
        api, f"/api/v1/tickets/{ticket_id}/transitions", {"move": "resolve", "resolution_code": "psp_delay"}
    )
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution_code"]) == ("resolved", "psp_delay")
    assert resolved.json()["sla"]["resolution_due_at"] is None  # resolved: clocks stopped

    detail = api.get(f"/api/v1/tickets/{ticket_id}")
    assert [m["kind"] for m in detail.json()["messages"]] == ["public", "public"]


def test_auditor_cannot_create_ticket_and_nothing_is_written(player: Player, payments_team: Team) -> None:
    api = client_for("audrey", "auditor")
    audit_before = AuditEvent.objects.count()
    response = post(api, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-1"})
    assert response.status_code == 403
    assert response.json()["detail"] == "your role does not allow work tickets"
    assert Ticket.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_auditor_cannot_move_a_ticket(player: Player, payments_team: Team) -> None:
    agent = client_for("alice", "agent")
    ticket_id = post(agent, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-1"}).json()["id"]
    auditor = client_for("audrey", "auditor")
    response = post(auditor, f"/api/v1/tickets/{ticket_id}/transitions", {"move": "open"})
    assert response.status_code == 403
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.status, ticket.version) == ("new", 2)


def test_illegal_move_is_409_problem_and_changes_nothing(player: Player, payments_team: Team) -> None:
    api = client_for("alice", "agent")
    ticket_id = post(api, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-1"}).json()["id"]
    response = post(api, f"/api/v1/tickets/{ticket_id}/transitions", {"move": "close", "resolution_code": "duplicate"})
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    number = Ticket.objects.get(pk=ticket_id).number
    assert response.json()["detail"] == (
        f"ticket {number}: cannot close from status new (allowed: escalate, merge, open)"
    )
    assert Ticket.objects.get(pk=ticket_id).status == "new"


def test_stale_version_is_409(player: Player, payments_team: Team) -> None:
    api = client_for("alice", "agent")
    created = post(api, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-1"}).json()
    post(api, f"/api/v1/tickets/{created['id']}/transitions", {"move": "open", "expected_version": created["version"]})
    stale = post(
        api,
        f"/api/v1/tickets/{created['id']}/transitions",
        {"move": "set_pending", "expected_version": created["version"]},
    )
    assert stale.status_code == 409
    assert "was changed by someone else (now version 3, you had 2)" in stale.json()["detail"]
    assert Ticket.objects.get(pk=created["id"]).status == "open"


def test_agent_cannot_assign_others_but_lead_can(player_en: Player, payments_team: Team, settings: Any) -> None:
    settings.PAYDESK_AUTO_ASSIGN = False
    make_agent("bob", payments_team)
    agent = client_for("alice", "agent")
    ticket_id = post(agent, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-2"}).json()["id"]
    refused = post(agent, f"/api/v1/tickets/{ticket_id}/assignment", {"action": "assign", "agent": "bob"})
    assert refused.status_code == 403
    assert Ticket.objects.get(pk=ticket_id).assignee_id is None
    lead = client_for("larry", "lead")
    done = post(lead, f"/api/v1/tickets/{ticket_id}/assignment", {"action": "assign", "agent": "bob"})
    assert done.status_code == 200
    assert done.json()["assignee"] == "bob"


def test_upload_refuses_disguised_file_and_writes_nothing(player_en: Player, payments_team: Team) -> None:
    api = client_for("alice", "agent")
    ticket_id = post(api, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-2"}).json()["id"]
    messages_before = Message.objects.count()
    disguised = SimpleUploadedFile("receipt.pdf", PNG, content_type="application/pdf")
    response = api.post(f"/api/v1/tickets/{ticket_id}/messages/upload", data={"body": "see file", "files": [disguised]})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "attachment 'receipt.pdf' is disguised: its name says .pdf but its content is image/png"
    )
    assert Message.objects.count() == messages_before
    assert Attachment.objects.count() == 0


def test_upload_stores_sniffed_image(player_en: Player, payments_team: Team) -> None:
    api = client_for("alice", "agent")
    ticket_id = post(api, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-2"}).json()["id"]
    image = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    response = api.post(f"/api/v1/tickets/{ticket_id}/messages/upload", data={"body": "screenshot", "files": [image]})
    assert response.status_code == 201
    assert response.json()["attachments"][0]["content_type"] == "image/png"
    attachment = Attachment.objects.get()
    assert attachment.file.read() == PNG


def test_policy_change_needs_configure_and_recomputes(
    player: Player, payments_team: Team, policy: SlaPolicy, django_capture_on_commit_callbacks: Any
) -> None:
    agent = client_for("alice", "agent")
    created = post(agent, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-1"}).json()
    refused = agent.patch(
        f"/api/v1/sla/policies/{policy.pk}",
        data=json.dumps({"resolution_minutes": 60}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    policy.refresh_from_db()
    assert policy.resolution_minutes == 24 * 60
    admin = client_for("ada", "admin")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changed = admin.patch(
            f"/api/v1/sla/policies/{policy.pk}",
            data=json.dumps({"resolution_minutes": 60}),
            content_type="application/json",
        )
    assert len(callbacks) == 1  # the recompute task, queued on commit
    assert changed.status_code == 200
    ticket = Ticket.objects.get(pk=created["id"])
    # 24/7 calendar: the deadline is registration + 60 minutes (to the second).
    assert ticket.resolution_due_at == ticket.created_at.replace(microsecond=0) + timedelta(minutes=60)


def test_list_and_detail_query_counts_do_not_grow_with_rows(player: Player, deposit: Any, payments_team: Team) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = client_for("alice", "agent")
    body = {"subject": "x", "body": "y", "player": "p-1", "transactions": ["dep-1"], "tags": ["a"]}

    def counts() -> tuple[int, int]:
        ticket_id = post(api, "/api/v1/tickets", body).json()["id"]
        post(api, f"/api/v1/tickets/{ticket_id}/messages", {"body": "reply"})
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/api/v1/tickets?limit=200").status_code == 200
        with CaptureQueriesContext(connection) as shown:
            assert api.get(f"/api/v1/tickets/{ticket_id}").status_code == 200
        return len(listed.captured_queries), len(shown.captured_queries)

    first = counts()
    for _ in range(4):
        latest = counts()
    assert Ticket.objects.count() == 5
    assert latest == first


def test_queues_presence_and_notifications(player: Player, payments_team: Team, settings: Any) -> None:
    from datetime import datetime

    from paydesk.tickets.models import Notification

    settings.PAYDESK_AUTO_ASSIGN = False
    agent = client_for("alice", "agent")
    for _ in range(2):
        post(agent, "/api/v1/tickets", {"subject": "x", "body": "y", "player": "p-1", "priority": "urgent"})
    assert agent.get("/api/v1/queues").json() == [
        {"team": "payments", "region": "cis", "language": "ru", "waiting": 2, "urgent": 2}
    ]

    ivan = make_agent("ivan", payments_team, languages=("ru",))
    token = api_token_issue(user=ivan, name="t")
    ivan_api = Client(headers={"Authorization": f"Bearer {token}"})
    ticket_id = Ticket.objects.order_by("id").values_list("id", flat=True)[0]
    assert post(ivan_api, f"/api/v1/tickets/{ticket_id}/assignment", {"action": "take"}).json()["assignee"] == "ivan"
    offline = post(ivan_api, "/api/v1/agents/me/presence", {"online": False})
    assert offline.json() == {"online": False, "returned_to_queue": 1}
    assert Ticket.objects.get(pk=ticket_id).assignee_id is None

    note = Notification.objects.create(
        user=ivan, ticket_id=ticket_id, kind="sla_breach", text="t", created_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert [n["id"] for n in ivan_api.get("/api/v1/notifications").json()] == [note.pk]
    assert agent.get("/api/v1/notifications").json() == []  # only one's own
    assert post(agent, f"/api/v1/notifications/{note.pk}/read", {}).status_code == 404
    assert post(ivan_api, f"/api/v1/notifications/{note.pk}/read", {}).json() == {"count": 1}
    assert ivan_api.get("/api/v1/notifications").json() == []
