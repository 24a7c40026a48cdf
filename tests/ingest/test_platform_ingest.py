"""Platform ingest through the API and the CLI: row-numbered errors, valid rows applied, role checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from paydesk.cli import main
from paydesk.core.models import AuditEvent
from paydesk.core.roles import ensure_role_groups
from paydesk.core.tokens import api_token_issue
from paydesk.integrations.psp import signing
from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent, WebhookEvent
from tests.ingest.helpers import row

pytestmark = pytest.mark.django_db
URL = "/api/v1/platform/transactions"


def token_for(role: str) -> str:
    ensure_role_groups()
    user = User.objects.create_user(username=f"{role}-bot")
    user.groups.add(Group.objects.get(name=role))
    return api_token_issue(user=user, name="ingest")


def post(client: Client, token: str, rows: list[Any]) -> Any:
    return client.post(
        URL,
        data=json.dumps({"rows": rows}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
def stripe_psp(db: None) -> Psp:
    return Psp.objects.create(code="stripe", name="Stripe", adapter="stripe")


def ledger() -> list[tuple[Any, ...]]:
    return sorted(Transaction.objects.values_list("reference", "status", "amount_minor", "currency"))


def test_valid_rows_are_applied_and_bad_ones_reported_by_row_number(client: Client, stripe_psp: Psp) -> None:
    rows = [
        row("D-1"),
        row("D-2", amount="12.345"),
        row("D-3", kind="withdrawal", status="paid", psp_reference="", method="bank_transfer", player_id="P-2"),
        row("D-4", psp="nope"),
        row("D-5", amount=12.5),
        row("D-1"),
        row("D-6", created_at="yesterday"),
        row("D-7", psp_reference="pi_D-1"),
    ]

    response = post(client, token_for("platform"), rows)

    assert response.status_code == 200
    body = json.loads(response.content)
    assert {k: body[k] for k in ("rows", "created", "updated", "unchanged", "players_created", "rejected")} == {
        "rows": 8,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "players_created": 2,
        "rejected": 6,
    }
    assert [(e["row"], e["reference"], e["field"]) for e in body["errors"]] == [
        (2, "D-2", "amount"),
        (4, "D-4", "psp"),
        (5, "D-5", "amount"),
        (6, "D-1", "reference"),
        (7, "D-6", "created_at"),
        (8, "D-7", "psp_reference"),
    ]
    assert body["errors"][0]["message"] == (
        "amount '12.345' has more decimal places than EUR allows (2); refusing to round"
    )
    assert body["errors"][2]["message"] == "amount 12.5 is a float; send a decimal string in major units"
    assert ledger() == [("D-1", "credited", 15000, "EUR"), ("D-3", "paid", 15000, "EUR")]
    d1 = Transaction.objects.select_related("psp", "method", "player").get(reference="D-1")
    assert (d1.psp.code, d1.psp_reference, d1.method.type, d1.player.external_id) == (  # type: ignore[union-attr]
        "stripe",
        "pi_D-1",
        "card",
        "P-1",
    )
    event = d1.events.get()
    assert (event.source, event.from_status, event.to_status, event.idempotency_key) == (
        "platform",
        "",
        "credited",
        "create:D-1",
    )
    assert AuditEvent.objects.filter(action="transaction.ingest").count() == 1


def test_known_references_move_through_the_state_machine(client: Client, stripe_psp: Psp) -> None:
    token = token_for("platform")
    post(client, token, [row("D-1", status="pending"), row("D-2", status="credited"), row("D-3", status="pending")])

    response = post(
        client,
        token,
        [
            row("D-1", status="credited", updated_at="2026-05-01T12:05:00Z"),
            row("D-2", status="pending", updated_at="2026-05-01T12:06:00Z"),
            row("D-3", amount="99.00", status="credited"),
            row("D-4", status="pending"),
            row("D-1", status="credited"),
        ],
    )

    body = json.loads(response.content)
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (1, 1, 0, 3)
    assert [(e["row"], e["field"], e["message"]) for e in body["errors"]] == [
        (
            2,
            "status",
            "transaction D-2 (deposit): illegal transition credited -> pending (not allowed from this status)",
        ),
        (3, "amount", "transaction D-3 already exists with amount 150.00 EUR (row: 99.00 EUR); not changed"),
        (5, "reference", "reference repeated (first on row 1)"),
    ]
    assert ledger() == [
        ("D-1", "credited", 15000, "EUR"),
        ("D-2", "credited", 15000, "EUR"),
        ("D-3", "pending", 15000, "EUR"),
        ("D-4", "pending", 15000, "EUR"),
    ]
    kept = TransactionEvent.objects.get(transaction__reference="D-2", applied=False)
    assert (kept.source, kept.to_status) == ("platform", "pending")


def test_repeating_an_import_changes_nothing(client: Client, stripe_psp: Psp) -> None:
    token = token_for("platform")
    rows = [row("D-1"), row("D-2", status="pending")]
    post(client, token, rows)
    before = (ledger(), TransactionEvent.objects.count(), Player.objects.count(), PaymentMethod.objects.count())

    body = json.loads(post(client, token, rows).content)

    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (0, 0, 2, 0)
    assert (ledger(), TransactionEvent.objects.count(), Player.objects.count(), PaymentMethod.objects.count()) == before


@pytest.mark.parametrize("role", ["agent", "auditor", "finance"])
def test_roles_without_ingest_are_refused_and_nothing_changes(role: str, client: Client, stripe_psp: Psp) -> None:
    response = post(client, token_for(role), [row("D-1")])

    assert response.status_code == 403
    assert json.loads(response.content)["detail"] == "your role does not allow ingest platform"
    assert (Transaction.objects.count(), Player.objects.count()) == (0, 0)


def test_admin_may_ingest(client: Client, stripe_psp: Psp) -> None:
    assert json.loads(post(client, token_for("admin"), [row("D-1")]).content)["created"] == 1


def test_no_token_is_401_and_too_many_rows_is_422(client: Client, stripe_psp: Psp) -> None:
    anonymous = client.post(URL, data=json.dumps({"rows": [row("D-1")]}), content_type="application/json")
    too_many = post(client, token_for("platform"), [row(f"D-{i}") for i in range(10_001)])

    assert anonymous.status_code == 401
    assert too_many.status_code == 422
    assert json.loads(too_many.content)["detail"] == "10001 rows in one request; at most 10000"
    assert Transaction.objects.count() == 0


def test_an_orphan_webhook_is_applied_when_its_deposit_is_ingested(
    client: Client, stripe_psp: Psp, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import time

    settings.PAYDESK_GENERIC_WEBHOOK_SECRET = "s3cret"
    body = json.dumps(
        {
            "id": "ev-1",
            "type": "deposit",
            "status": "declined",
            "reference": "D-9",
            "occurred_at": "2026-05-01T13:00:00Z",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/api/v1/webhooks/psp/generic",
            data=body,
            content_type="application/json",
            headers={"Paydesk-Signature": signing.sign_header(body.encode(), "s3cret", int(time.time()))},
        )
    assert WebhookEvent.objects.get().status == WebhookEventStatus.ORPHAN

    with django_capture_on_commit_callbacks(execute=True):
        post(client, token_for("platform"), [row("D-9", status="pending")])

    assert Transaction.objects.get(reference="D-9").status == "declined"
    assert WebhookEvent.objects.get().status == WebhookEventStatus.PROCESSED


def test_cli_imports_a_ledger_csv(tmp_path: Path, stripe_psp: Psp, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "ledger.csv"
    csv.write_text(
        "Currency,amount,player_id,reference,kind,status,created_at,psp,psp_reference\n"
        "EUR,150.00,P-1,D-1,deposit,credited,2026-05-01T12:00:00Z,stripe,pi_1\n"
        "EUR,1.005,P-1,D-2,deposit,credited,2026-05-01T12:00:00Z,stripe,pi_2\n"
        "RUB,1500,P-2,W-1,withdrawal,processing,2026-05-01T12:00:00,,\n"
    )

    with pytest.raises(SystemExit) as exited:
        main(["import", "transactions", str(csv), "--json"])

    assert exited.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["created"], result["rejected"]) == (2, 1)
    assert result["errors"] == [
        {
            "row": 2,
            "reference": "D-2",
            "field": "amount",
            "message": "amount '1.005' has more decimal places than EUR allows (2); refusing to round",
        }
    ]
    assert ledger() == [("D-1", "credited", 15000, "EUR"), ("W-1", "processing", 150000, "RUB")]


def test_cli_names_missing_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "ledger.csv"
    csv.write_text("reference,kind,amount\nD-1,deposit,1.00\n")

    with pytest.raises(SystemExit) as exited:
        main(["import", "transactions", str(csv)])

    assert exited.value.code == 1
    assert capsys.readouterr().err.strip() == (
        f"paydesk: error: {csv}: missing column(s) status, player_id, currency, created_at "
        "(header has: reference, kind, amount)"
    )
    assert Transaction.objects.count() == 0
