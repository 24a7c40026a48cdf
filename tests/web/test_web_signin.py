import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.payments.factories import make_deposit

pytestmark = pytest.mark.django_db


def _agent() -> User:
    user = User.objects.create_user(username="agent1", password="correct horse battery")
    user.groups.add(Group.objects.get(name="agent"))
    return user


def test_home_redirects_anonymous_users_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


def test_sign_in_with_a_non_staff_role_user_and_see_the_ledger(client: Client) -> None:
    _agent()
    make_deposit()
    response = client.post("/login/", {"username": "agent1", "password": "correct horse battery", "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    page = client.get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 player" in text
    assert '<td>initiated</td><td class="n">1</td>' in text


def test_wrong_password_is_refused(client: Client) -> None:
    _agent()
    response = client.post("/login/", {"username": "agent1", "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_form_needs_csrf() -> None:
    _agent()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"username": "agent1", "password": "correct horse battery"})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_home_query_count_is_fixed(client: Client) -> None:
    client.force_login(_agent())
    for _ in range(5):
        make_deposit()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    # session, user, players count, grouped ledger counts
    assert len(ctx.captured_queries) == 4


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
