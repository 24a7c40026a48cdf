from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from paydesk.core import clock
from paydesk.core.models import AuditEvent
from tests.reports.conftest import Desk, minutes
from tests.tickets.conftest import make_user


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.django_db
def test_lead_downloads_root_causes_csv(desk: Desk) -> None:
    lead = make_user("lina", "lead")
    with clock.frozen(minutes(600)):
        response = _client(lead).get("/reports/root_causes.csv?from=2024-05-06&to=2024-05-06")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="paydesk-root_causes-2024-05-06-2024-05-06.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["Resolution code", "PSP", "Method", "Tickets", "Share %"],
        ["bank_decline", "(none)", "(none)", "1", "50.0"],
        ["psp_delay", "stripe", "card", "1", "50.0"],
    ]
    event = AuditEvent.objects.filter(action="report.export").get()
    assert (event.actor_label, event.object_type, event.object_id) == ("lina", "report", "root_causes")
    assert event.data == {
        "from": "2024-05-06",
        "to": "2024-05-06",
        "format": "csv",
        "rows": 2,
        "destination": "download",
    }


@pytest.mark.django_db
def test_auditor_downloads_sla_xlsx_default_period_is_last_30_days(desk: Desk) -> None:
    auditor = make_user("audrey", "auditor")
    with clock.frozen(minutes(600)):
        response = _client(auditor).get("/reports/sla.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="paydesk-sla-2024-04-07-2024-05-06.xlsx"'
    assert response.content[:2] == b"PK"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "platform", "payments"])
def test_users_without_export_capability_get_403(db: None, role: str) -> None:
    user = make_user(f"user-{role}", role)
    audit_before = AuditEvent.objects.count()
    response = _client(user).get("/reports/sla.csv?from=2024-05-06&to=2024-05-06")
    assert response.status_code == 403
    assert response.content == b"Exporting reports needs the export capability."
    assert "Content-Disposition" not in response
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(db: None) -> None:
    response = Client().get("/reports/sla.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_bad_requests_name_the_problem(db: None) -> None:
    client = _client(make_user("lina", "lead"))
    unknown = client.get("/reports/nope.csv")
    assert (unknown.status_code, unknown.content) == (404, b"No report nope.csv.")
    pdf = client.get("/reports/sla.pdf")
    assert (pdf.status_code, pdf.content) == (404, b"No report sla.pdf.")
    bad_date = client.get("/reports/sla.csv?from=yesterday")
    assert (bad_date.status_code, bad_date.content) == (400, b"from='yesterday' is not a date (expected YYYY-MM-DD)")
    inverted = client.get("/reports/sla.csv?from=2024-05-07&to=2024-05-06")
    assert inverted.status_code == 400
    assert inverted.content == b"report period ends (2024-05-06) before it starts (2024-05-07)"
    post = client.post("/reports/sla.csv")
    assert post.status_code == 405
