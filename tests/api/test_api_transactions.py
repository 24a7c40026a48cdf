import json

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from paydesk.core.models import ApiToken
from paydesk.core.tokens import api_token_issue, api_token_revoke
from paydesk.payments.services import transaction_transition
from tests.payments.factories import make_card, make_deposit, make_player

pytestmark = pytest.mark.django_db


def _token(*roles: str, username: str = "u") -> str:
    user = User.objects.create(username=username)
    user.groups.set(Group.objects.filter(name__in=roles))
    return api_token_issue(user=user, name="test")


def _get(client: Client, url: str, token: str | None) -> tuple[int, dict[str, object] | list[object], str]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.get(url, **headers)
    return response.status_code, json.loads(response.content), response["Content-Type"]


def test_transaction_detail_with_timeline(client: Client) -> None:
    player = make_player(external_id="P-1")
    txn = make_deposit(player=player, reference="DEP-1", amount_minor=5050, method=make_card(player))
    transaction_transition(
        reference="DEP-1", to_status="pending", source="psp_webhook", psp_status="processing", payload={"id": "evt_1"}
    )
    status, body, _ = _get(client, "/api/v1/transactions/DEP-1", _token("agent"))
    assert status == 200
    assert isinstance(body, dict)
    assert {
        k: body[k]
        for k in (
            "reference",
            "kind",
            "status",
            "psp_status",
            "amount_minor",
            "amount",
            "currency",
            "player",
            "method",
            "psp",
            "psp_reference",
        )
    } == {
        "reference": "DEP-1",
        "kind": "deposit",
        "status": "pending",
        "psp_status": "processing",
        "amount_minor": 5050,
        "amount": "50.50",
        "currency": "EUR",
        "player": "P-1",
        "method": "visa •••• 4242",
        "psp": "stripe",
        "psp_reference": txn.psp_reference,
    }
    timeline = body["timeline"]
    assert isinstance(timeline, list)
    assert [(e["from_status"], e["to_status"], e["source"]) for e in timeline] == [
        ("", "initiated", "platform"),
        ("initiated", "pending", "psp_webhook"),
    ]
    assert timeline[1]["payload"] == {"id": "evt_1"}


def test_search_by_player_and_psp_reference(client: Client) -> None:
    player = make_player(external_id="P-9")
    make_deposit(player=player, reference="DEP-A", psp_reference="pi_A")
    make_deposit(player=player, reference="DEP-B", psp_reference="pi_B")
    make_deposit(reference="DEP-C", psp_reference="pi_C")
    token = _token("auditor")
    status, body, _ = _get(client, "/api/v1/transactions?player=P-9", token)
    assert status == 200
    assert [t["reference"] for t in body] == ["DEP-B", "DEP-A"]  # type: ignore[index]
    status, body, _ = _get(client, "/api/v1/transactions?psp_reference=pi_C", token)
    assert [t["reference"] for t in body] == ["DEP-C"]  # type: ignore[index]


def test_search_needs_a_criterion(client: Client) -> None:
    status, body, content_type = _get(client, "/api/v1/transactions", _token("agent"))
    assert (status, content_type) == (422, "application/problem+json")
    assert body == {
        "type": "https://paydesk.dev/problems/validation-error",
        "title": "Validation error",
        "status": 422,
        "detail": "search needs a player or a psp_reference",
    }


def test_unknown_reference_is_a_404_problem(client: Client) -> None:
    status, body, content_type = _get(client, "/api/v1/transactions/NOPE", _token("agent"))
    assert (status, content_type) == (404, "application/problem+json")
    assert body["detail"] == "transaction NOPE not found"  # type: ignore[index,call-overload]


@pytest.mark.parametrize("header", [None, "Bearer pdk_wrong", "Bearer ", "Basic abc", "Token pdk_x"])
def test_missing_or_bad_token_is_401(client: Client, header: str | None) -> None:
    make_deposit(reference="DEP-1")
    headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/v1/transactions/DEP-1", **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "DEP-1" not in response.content.decode()


def test_revoked_token_is_refused(client: Client) -> None:
    make_deposit(reference="DEP-1")
    token = _token("agent")
    api_token_revoke(token_id=ApiToken.objects.get().pk, acting_user=None)
    assert client.get("/api/v1/transactions/DEP-1", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_user_without_any_role_is_403(client: Client) -> None:
    make_deposit(reference="DEP-1")
    status, body, _ = _get(client, "/api/v1/transactions/DEP-1", _token())
    assert status == 403
    assert body["detail"] == "your role does not allow read ledger"  # type: ignore[index,call-overload]


def test_inactive_user_token_is_refused(client: Client) -> None:
    token = _token("agent")
    User.objects.filter(username="u").update(is_active=False)
    assert client.get("/api/v1/transactions?player=x", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_only_the_token_hash_is_stored() -> None:
    token = _token("agent")
    stored = ApiToken.objects.get()
    assert token not in (stored.key_hash, stored.prefix)
    assert stored.prefix == token[:12]


def test_detail_query_count_does_not_grow_with_the_timeline(client: Client) -> None:
    token = _token("agent")
    make_deposit(reference="DEP-1")
    client.get("/api/v1/transactions/DEP-1", HTTP_AUTHORIZATION=f"Bearer {token}")  # warm last_used_at
    for status in ("pending", "confirmed", "credited", "partially_refunded"):
        transaction_transition(reference="DEP-1", to_status=status, source="psp_webhook")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/transactions/DEP-1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    # token lookup, groups, transaction with joins, timeline prefetch
    assert len(ctx.captured_queries) == 4


def test_search_query_count_is_fixed(client: Client) -> None:
    token = _token("agent")
    player = make_player(external_id="P-Q")
    for _ in range(7):
        make_deposit(player=player, method=make_card(player))
    client.get("/api/v1/transactions?player=P-Q", HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/transactions?player=P-Q", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(json.loads(response.content)) == 7
    assert len(ctx.captured_queries) == 3


def test_openapi_is_served_and_lists_the_ledger_endpoints(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.content)
    assert {"/api/v1/transactions", "/api/v1/transactions/{reference}"} <= set(spec["paths"])


def test_malformed_json_body_is_a_400_problem_naming_it(client: Client) -> None:
    token = _token("agent")
    response = client.post(
        "/api/v1/tickets", "{bad", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert (response.status_code, response["Content-Type"]) == (400, "application/problem+json")
    assert json.loads(response.content) == {
        "type": "https://paydesk.dev/problems/malformed-body",
        "title": "Malformed body",
        "status": 400,
        "detail": "request body is not valid JSON",
    }
