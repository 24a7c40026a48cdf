from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from paydesk.core import clock
from paydesk.investigations.cli import register
from paydesk.payments.services import payment_method_create, player_create, transaction_create, transaction_transition
from paydesk.simulate.seed import psps_ensure

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps typer from flattening "diagnose" into the root
        pass

    return app


@pytest.mark.django_db
def test_diagnose_prints_findings_and_the_reply_as_json() -> None:
    psps = psps_ensure()
    with clock.frozen(T0):
        player = player_create(external_id="PL-CLI", name="Иван Петров", language="ru")
        card = payment_method_create(player=player, type="card", brand="Mir", bin="220012", last4="0042")
        transaction_create(
            reference="DEP-CLI-1",
            kind="deposit",
            player=player,
            amount_minor=150000,
            currency="RUB",
            method=card,
            psp=psps["volgabank"],
            psp_reference="B123",
        )
        transaction_transition(
            reference="DEP-CLI-1",
            to_status="declined",
            source="psp_webhook",
            payload={"reason": "insufficient_funds"},
            idempotency_key="cli:1",
        )
    result = CliRunner().invoke(_app(), ["diagnose", "DEP-CLI-1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["reference"], data["kind"], data["status"], data["primary"]) == (
        "DEP-CLI-1",
        "deposit",
        "declined",
        "deposit_declined",
    )
    assert data["findings"][0]["facts"] == {"reason": "insufficient_funds", "reason_raw": "insufficient_funds"}
    assert data["reply"]["lang"] == "ru"
    assert data["reply"]["text"].startswith("Здравствуйте, Иван!")
    assert "1\xa0500,00\xa0₽" in data["reply"]["text"]
    assert "Mir •••• 0042" in data["reply"]["text"]


@pytest.mark.django_db
def test_an_unknown_reference_is_an_answer_with_exit_0() -> None:
    result = CliRunner().invoke(_app(), ["diagnose", "WHO-KNOWS-1", "--json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["transaction_found"], data["primary"]) == (False, "transaction_not_found")
    assert data["findings"][0]["actions"][0]["kind"] == "ask_for_details"
    assert "couldn't find a payment matching WHO-KNOWS-1" in data["reply"]["text"]


@pytest.mark.django_db
def test_a_bad_language_is_refused() -> None:
    result = CliRunner().invoke(_app(), ["diagnose", "X", "--lang", "de"])
    assert result.exit_code != 0
    assert "--lang 'de' is not supported (en, ru)" in str(result.exception)


@pytest.mark.django_db
def test_an_unknown_claim_is_refused() -> None:
    result = CliRunner().invoke(_app(), ["diagnose", "X", "--claim", "lottery"])
    assert result.exit_code != 0
    assert "--claim 'lottery' is not an inquiry category" in str(result.exception)
