"""Stored runs and the exception inbox: record once per file, assign, comment, resolve with a reason, group."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from typer.testing import CliRunner

from paydesk.core.audit import audit_verify
from paydesk.core.errors import Conflict, PermissionDenied, ValidationError
from paydesk.core.models import AuditEvent
from paydesk.core.roles import ensure_role_groups
from paydesk.payments.services import transaction_transition
from paydesk.reconciliation.ledger import read_ledger_csv, stored_ledger
from paydesk.reconciliation.matcher import reconcile
from paydesk.reconciliation.models import Discrepancy, DiscrepancyComment, ReconciliationRun, WorkItem
from paydesk.reconciliation.parsers import parse_report
from paydesk.reconciliation.selectors import inbox, work_items_open
from paydesk.reconciliation.services import (
    discrepancy_assign,
    discrepancy_comment,
    discrepancy_resolve,
    file_sha256,
    reconciliation_run_record,
    work_items_group,
)
from tests.payments.factories import make_deposit, make_player, make_psp
from tests.reconciliation.helpers import adyen_line, ledger_row, write_adyen, write_ledger


def user(name: str, *roles: str) -> User:
    ensure_role_groups()
    account = User.objects.create_user(name, password="x")
    account.groups.set(Group.objects.filter(name__in=roles))
    return account


@pytest.fixture
def recorded(tmp_path: Path, db: None) -> ReconciliationRun:
    report = write_adyen(
        tmp_path / "r.csv",
        [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "D2", "7.00"), adyen_line("P3", "D3", "1.00")],
    )
    ledger = write_ledger(tmp_path / "l.csv", [ledger_row("D1", "P1", "10.00"), ledger_row("D2", "P2", "7.50")])
    result = reconcile(parse_report("adyen", report), read_ledger_csv(ledger), psp="adyen")
    return reconciliation_run_record(
        result=result, file_name="r.csv", file_sha256=file_sha256(report), acting_user=None
    ).run


@pytest.mark.django_db
def test_run_is_recorded_once_per_file(tmp_path: Path, recorded: ReconciliationRun) -> None:
    assert (recorded.report_rows, recorded.matched) == (3, 2)
    assert sorted(Discrepancy.objects.values_list("type", "report_row")) == [
        ("amount_mismatch", 3),
        ("missing_in_ledger", 4),
    ]
    events = AuditEvent.objects.count()
    report = tmp_path / "r.csv"
    again = reconciliation_run_record(
        result=reconcile(parse_report("adyen", report), read_ledger_csv(tmp_path / "l.csv"), psp="adyen"),
        file_name="renamed.csv",
        file_sha256=file_sha256(report),
        acting_user=None,
    )
    assert (again.created, again.run.pk) == (False, recorded.pk)
    assert (ReconciliationRun.objects.count(), Discrepancy.objects.count(), AuditEvent.objects.count()) == (
        1,
        2,
        events,
    )


@pytest.mark.django_db
def test_assign_comment_resolve_are_audited(recorded: ReconciliationRun) -> None:
    lead = user("fin", "finance")
    item = Discrepancy.objects.get(type="amount_mismatch")
    discrepancy_assign(discrepancy_id=item.pk, assignee=lead, acting_user=lead)
    discrepancy_comment(discrepancy_id=item.pk, body="PSP charged 0.50 less; asking Adyen", acting_user=lead)
    resolved = discrepancy_resolve(discrepancy_id=item.pk, reason="Adyen credited 0.50 in batch 8", acting_user=lead)
    assert (resolved.status, resolved.resolution_reason, resolved.resolved_by) == (
        "resolved",
        "Adyen credited 0.50 in batch 8",
        lead,
    )
    actions = list(AuditEvent.objects.filter(object_type="discrepancy").values_list("action", flat=True))
    assert actions == [
        "reconciliation.discrepancy.assign",
        "reconciliation.discrepancy.comment",
        "reconciliation.discrepancy.resolve",
    ]
    assert audit_verify().ok
    assert [d.pk for d in inbox()] == [Discrepancy.objects.get(type="missing_in_ledger").pk]


@pytest.mark.django_db
def test_refusals_change_nothing(recorded: ReconciliationRun) -> None:
    item = Discrepancy.objects.get(type="amount_mismatch")
    auditor = user("aud", "auditor")
    worker = user("pay", "payments")
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        discrepancy_resolve(discrepancy_id=item.pk, reason="looks fine", acting_user=auditor)
    with pytest.raises(ValidationError, match="a resolution needs a reason"):
        discrepancy_resolve(discrepancy_id=item.pk, reason="   ", acting_user=worker)
    with pytest.raises(ValidationError, match="can't work discrepancies"):
        discrepancy_assign(discrepancy_id=item.pk, assignee=auditor, acting_user=worker)
    with pytest.raises(ValidationError, match="comment is empty"):
        discrepancy_comment(discrepancy_id=item.pk, body="", acting_user=worker)
    item.refresh_from_db()
    assert (item.status, item.assignee, item.resolution_reason) == ("open", None, "")
    assert DiscrepancyComment.objects.count() == 0
    assert AuditEvent.objects.count() == events
    discrepancy_resolve(discrepancy_id=item.pk, reason="fixed", acting_user=worker)
    with pytest.raises(Conflict, match="already resolved"):
        discrepancy_resolve(discrepancy_id=item.pk, reason="again", acting_user=worker)


@pytest.mark.django_db
def test_grouping_one_work_item_per_type_and_psp(recorded: ReconciliationRun) -> None:
    touched = work_items_group(acting_user=None, run_id=recorded.pk)
    assert sorted((w.type, w.team, w.psp) for w in touched) == [
        ("amount_mismatch", "finance", "adyen"),
        ("missing_in_ledger", "finance", "adyen"),
    ]
    assert work_items_group(acting_user=None) == []
    assert WorkItem.objects.count() == 2
    assert [(w.type, w.open_count, w.ticket_reference[:3]) for w in work_items_open()] == [  # type: ignore[attr-defined]
        ("amount_mismatch", 1, "PD-"),
        ("missing_in_ledger", 1, "PD-"),
    ]
    worker = user("pay", "payments")
    for item in Discrepancy.objects.filter(type="missing_in_ledger"):
        discrepancy_resolve(discrepancy_id=item.pk, reason="late webhook, credited", acting_user=worker)
    assert list(WorkItem.objects.order_by("type").values_list("type", "status")) == [
        ("amount_mismatch", "open"),
        ("missing_in_ledger", "resolved"),
    ]


@pytest.mark.django_db
def test_stored_ledger_and_cli_record_the_run(tmp_path: Path) -> None:
    psp = make_psp("adyen", "adyen")
    player = make_player()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    deposit = make_deposit(player, psp=psp, psp_reference="P1", amount_minor=1000, reference="D1", created_at=at)
    for status in ("pending", "confirmed", "credited"):
        transaction_transition(reference=deposit.reference, to_status=status, source="psp_webhook")
    make_deposit(player, psp=psp, psp_reference="P2", amount_minor=500, reference="D2", created_at=at)  # initiated
    frame = stored_ledger(psp="adyen")
    assert frame.select("reference", "status", "amount_minor", "psp", "player_id").rows() == [
        ("D1", "credited", 1000, "adyen", player.external_id),
        ("D2", "initiated", 500, "adyen", player.external_id),
    ]
    report = write_adyen(tmp_path / "r.csv", [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "D2", "5.00")])
    from paydesk.cli import _register_domain_clis, app

    _register_domain_clis()
    runner = CliRunner()
    first = runner.invoke(app, ["reconcile", "--psp", "adyen", "--report", str(report), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["matched"], summary["discrepancies"]["missing_in_report"]) == (2, 0)
    second = runner.invoke(app, ["reconcile", "--psp", "adyen", "--report", str(report), "--json"])
    assert json.loads(second.stdout) == summary
    assert ReconciliationRun.objects.count() == 1
