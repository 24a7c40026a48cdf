"""The exception inbox in the console: list with filters and pages, detail side by side, and the three actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from paydesk.core.models import AuditEvent
from paydesk.reconciliation.ledger import read_ledger_csv
from paydesk.reconciliation.matcher import reconcile
from paydesk.reconciliation.models import Discrepancy, DiscrepancyComment, ReconciliationRun
from paydesk.reconciliation.parsers import parse_report
from paydesk.reconciliation.services import file_sha256, reconciliation_run_record, work_items_group
from tests.reconciliation.helpers import adyen_line, ledger_row, write_adyen, write_ledger

pytestmark = pytest.mark.django_db


def _user(name: str, *roles: str) -> User:
    account = User.objects.create_user(name, password="x")
    account.groups.set(Group.objects.filter(name__in=roles))
    return account


def _client(account: User) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _run(tmp_path: Path, name: str, missing: int, *, psp_prefix: str = "P") -> ReconciliationRun:
    """A run with one amount_mismatch (P0/D0) and ``missing`` missing_in_ledger rows."""
    lines = [adyen_line(f"{psp_prefix}0", "D0", "7.00")]
    lines += [adyen_line(f"{psp_prefix}{i}", f"X{psp_prefix}{i}", "1.00") for i in range(1, missing + 1)]
    report = write_adyen(tmp_path / name, lines)
    ledger = write_ledger(tmp_path / "ledger.csv", [ledger_row("D0", f"{psp_prefix}0", "7.50")])
    result = reconcile(parse_report("adyen", report), read_ledger_csv(ledger), psp="adyen")
    run = reconciliation_run_record(
        result=result, file_name=name, file_sha256=file_sha256(report), acting_user=None
    ).run
    work_items_group(acting_user=None, run_id=run.pk)
    return run


def _state() -> list[tuple[int, str, int | None, str]]:
    return list(Discrepancy.objects.order_by("pk").values_list("pk", "status", "assignee_id", "resolution_reason"))


def test_inbox_lists_open_discrepancies_with_filters(tmp_path: Path) -> None:
    _run(tmp_path, "a.csv", 2)
    fin = _user("fin", "finance")
    client = _client(fin)
    page = client.get("/reconciliation/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "3 discrepancies" in text
    assert text.count('href="/reconciliation/discrepancies/') == 3
    assert 'id="f-psp" autofocus' in text
    mismatch = Discrepancy.objects.get(type="amount_mismatch")
    only = client.get("/reconciliation/", {"type": "amount_mismatch", "psp": "adyen"}).content.decode()
    assert "1 discrepancy" in only
    assert f'href="/reconciliation/discrepancies/{mismatch.pk}/"' in only
    assert "0 discrepancies" in client.get("/reconciliation/", {"psp": "stripe"}).content.decode()
    client.post(f"/reconciliation/discrepancies/{mismatch.pk}/assign", {"assignee": "me"})
    assert "1 discrepancy" in client.get("/reconciliation/", {"assignee": "me"}).content.decode()
    assert "1 discrepancy" in client.get("/reconciliation/", {"assignee": str(fin.pk)}).content.decode()
    assert "2 discrepancies" in client.get("/reconciliation/", {"assignee": "none"}).content.decode()
    client.post(f"/reconciliation/discrepancies/{mismatch.pk}/resolve", {"reason": "booked the 0.50"})
    assert "2 discrepancies" in client.get("/reconciliation/").content.decode()
    assert "1 discrepancy" in client.get("/reconciliation/", {"status": "resolved"}).content.decode()
    assert "3 discrepancies" in client.get("/reconciliation/", {"status": "all"}).content.decode()
    bad = client.get("/reconciliation/", {"type": "nonsense"})
    assert (bad.status_code, bad.content.decode()) == (422, "type='nonsense' is not a discrepancy type")


def test_inbox_pages_and_its_query_count_does_not_grow(tmp_path: Path) -> None:
    client = _client(_user("pay", "payments"))
    _run(tmp_path, "small.csv", 2, psp_prefix="S")
    client.get("/reconciliation/")  # warm the session and content types
    with CaptureQueriesContext(connection) as small:
        assert client.get("/reconciliation/").status_code == 200
    _run(tmp_path, "big.csv", 70, psp_prefix="B")
    for item in Discrepancy.objects.all()[:20]:
        item.assignee = User.objects.get(username="pay")
        item.save(update_fields=["assignee"])
    with CaptureQueriesContext(connection) as big:
        first = client.get("/reconciliation/")
    assert len(big) == len(small) == 7  # session, user, roles, count, page rows, PSPs, assignable users
    text = first.content.decode()
    assert "74 discrepancies" in text
    assert text.count('href="/reconciliation/discrepancies/') == 50
    assert "Page 1 of 2" in text
    assert 'href="?page=2" rel="next"' in text
    second = client.get("/reconciliation/", {"page": "2"}).content.decode()
    assert second.count('href="/reconciliation/discrepancies/') == 24
    filtered = client.get("/reconciliation/", {"psp": "adyen", "page": "2"}).content.decode()
    assert 'href="?psp=adyen&amp;page=1" rel="prev"' in filtered


def test_detail_shows_report_and_ledger_side_by_side_with_comments(tmp_path: Path) -> None:
    _run(tmp_path, "a.csv", 1)
    fin = _user("fin", "finance")
    client = _client(fin)
    mismatch = Discrepancy.objects.get(type="amount_mismatch")
    response = client.post(
        f"/reconciliation/discrepancies/{mismatch.pk}/comment", {"body": "Asked Adyen about the 0.50"}
    )
    assert (response.status_code, response["Location"]) == (302, f"/reconciliation/discrepancies/{mismatch.pk}/")
    text = client.get(response["Location"]).content.decode()
    assert "Comment added." in text
    assert '<tr><th scope="row">Amount</th><td>7.00</td><td>7.50</td></tr>' in text
    assert '<tr><th scope="row">Our reference</th><td>D0</td><td>D0</td></tr>' in text
    assert "<strong>fin</strong>" in text
    assert "Asked Adyen about the 0.50" in text
    assert mismatch.work_item is not None
    assert mismatch.work_item.ticket_reference in text
    assert '<label for="r-reason">Reason</label>' in text
    assert 'id="r-reason" rows="2" cols="60" required autofocus' in text


def test_assign_to_a_user_and_resolve_with_a_reason(tmp_path: Path) -> None:
    _run(tmp_path, "a.csv", 1)
    lead = _user("lead1", "lead")
    pay = _user("pay", "payments")
    client = _client(lead)
    item = Discrepancy.objects.get(type="missing_in_ledger")
    url = f"/reconciliation/discrepancies/{item.pk}/"
    assert client.post(url + "assign", {"assignee": str(pay.pk)}).status_code == 302
    item.refresh_from_db()
    assert item.assignee == pay
    assert client.post(url + "assign", {"assignee": ""}).status_code == 302
    item.refresh_from_db()
    assert item.assignee is None
    assert client.post(url + "resolve", {"reason": "late webhook, credited"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolution_reason, item.resolved_by) == ("resolved", "late webhook, credited", lead)
    assert list(AuditEvent.objects.filter(object_type="discrepancy").values_list("action", flat=True)) == [
        "reconciliation.discrepancy.assign",
        "reconciliation.discrepancy.assign",
        "reconciliation.discrepancy.resolve",
    ]


def test_refusals_change_nothing(tmp_path: Path) -> None:
    _run(tmp_path, "a.csv", 1)
    item = Discrepancy.objects.get(type="amount_mismatch")
    url = f"/reconciliation/discrepancies/{item.pk}/"
    before, events = _state(), AuditEvent.objects.count()
    auditor = _client(_user("aud", "auditor"))
    assert auditor.get("/reconciliation/").status_code == 200
    page = auditor.get(url).content.decode()
    assert "7.00" in page
    assert 'action="' + url + 'resolve"' not in page
    agent = _client(_user("agent1", "agent"))
    assert agent.get("/reconciliation/").status_code == 403
    assert agent.get(url).status_code == 403
    for client in (auditor, agent):
        assert client.post(url + "assign", {"assignee": "me"}).status_code == 403
        assert client.post(url + "comment", {"body": "hello"}).status_code == 403
        assert client.post(url + "resolve", {"reason": "fine"}).status_code == 403
    anonymous = Client().post(url + "resolve", {"reason": "fine"})
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/login/?next={url}resolve")
    fin = _user("fin", "finance")
    worker = _client(fin)
    assert worker.get(url + "resolve").status_code == 405
    empty = worker.post(url + "resolve", {"reason": "  "})
    assert empty.status_code == 422
    assert "a resolution needs a reason" in empty.content.decode()
    not_a_worker = worker.post(url + "assign", {"assignee": str(User.objects.get(username="aud").pk)})
    assert not_a_worker.status_code == 422
    assert "can&#x27;t work discrepancies" in not_a_worker.content.decode()
    assert worker.post(url + "comment", {"body": ""}).status_code == 422
    assert worker.post(url + "assign", {"assignee": "99999"}).status_code == 422
    assert worker.post("/reconciliation/discrepancies/99999/resolve", {"reason": "x"}).status_code == 404
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(fin)
    assert csrf.post(url + "resolve", {"reason": "fine"}).status_code == 403
    assert _state() == before
    assert DiscrepancyComment.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_home_links_to_the_inbox() -> None:
    client = _client(_user("fin", "finance"))
    assert '<a href="/reconciliation/">Reconciliation inbox</a>' in client.get("/").content.decode()
