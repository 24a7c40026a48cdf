"""``paydesk demo --no-serve`` end to end through the CLI, twice: same counts, same logins, working token."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model

from paydesk.cli import main
from paydesk.core.roles import Role, roles_of
from paydesk.core.tokens import api_token_authenticate
from paydesk.payments.models import Player, Psp, Transaction, TransactionEvent
from paydesk.simulate.demo import SIMULATE_JOB, scheduler_jobs
from paydesk.simulate.models import SimulatedWorld


@pytest.fixture
def demo_home(settings: Any, tmp_path: Path) -> Path:
    settings.PAYDESK_HOME = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


def _state() -> tuple[int, int, int, int, int, int]:
    return (
        Player.objects.count(),
        Transaction.objects.count(),
        TransactionEvent.objects.count(),
        Psp.objects.count(),
        get_user_model().objects.count(),
        SimulatedWorld.objects.count(),
    )


@pytest.mark.django_db
def test_demo_no_serve_twice_gives_the_same_world_and_logins(
    demo_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["demo", "--no-serve", "--players", "50", "--days", "5"])
    first_out = capsys.readouterr().err
    first_state = _state()
    logins = json.loads((demo_home / "demo_logins.json").read_text())

    main(["demo", "--no-serve", "--players", "50", "--days", "5"])
    second_out = capsys.readouterr().err

    assert _state() == first_state
    assert first_state[0] == 50
    assert first_state[1] > 20
    assert first_state[3:] == (5, len(Role), 1)
    assert json.loads((demo_home / "demo_logins.json").read_text()) == logins
    assert oct((demo_home / "demo_logins.json").stat().st_mode & 0o777) == "0o600"
    for role in Role:
        password = logins["passwords"][role.value]
        assert password in first_out
        assert password in second_out
        user = authenticate(username=role.value, password=password)
        assert user is not None
        assert roles_of(user) == frozenset({role})
        assert user.is_superuser is (role == Role.ADMIN)
    assert logins["token"] in first_out
    assert logins["token"] in second_out
    token_user = api_token_authenticate(logins["token"])
    assert token_user is not None
    assert token_user.get_username() == "agent"
    assert "http://127.0.0.1:8000/" in first_out
    assert "already seeded" in second_out


@pytest.mark.django_db
def test_demo_prints_the_port_it_will_serve_on(demo_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--no-serve", "--players", "3", "--days", "2", "--port", "8765"])
    assert "http://127.0.0.1:8765/" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_lost_logins_file_gets_fresh_passwords_that_work(demo_home: Path) -> None:
    main(["demo", "--no-serve", "--players", "3", "--days", "2"])
    old = json.loads((demo_home / "demo_logins.json").read_text())
    (demo_home / "demo_logins.json").unlink()

    main(["demo", "--no-serve", "--players", "3", "--days", "2"])

    new = json.loads((demo_home / "demo_logins.json").read_text())
    assert new["passwords"]["lead"] != old["passwords"]["lead"]
    assert authenticate(username="lead", password=new["passwords"]["lead"]) is not None
    assert authenticate(username="lead", password=old["passwords"]["lead"]) is None
    assert get_user_model().objects.count() == len(Role)


def test_without_trickle_the_simulated_traffic_job_is_left_out() -> None:
    assert SIMULATE_JOB in [job.task_name for job in scheduler_jobs(trickle=True)]
    assert SIMULATE_JOB not in [job.task_name for job in scheduler_jobs(trickle=False)]
