"""Work items open one internal ticket each, for the team that owns the discrepancy type, and never twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction

from paydesk.core.models import AuditEvent
from paydesk.reconciliation.ledger import read_ledger_csv
from paydesk.reconciliation.matcher import reconcile
from paydesk.reconciliation.models import Discrepancy, DiscrepancyKind, ReconciliationRun, WorkItem
from paydesk.reconciliation.parsers import parse_report
from paydesk.reconciliation.services import (
    TEAM_FOR_TYPE,
    file_sha256,
    reconciliation_run_record,
    work_items_group,
)
from paydesk.tickets.models import Ticket
from tests.reconciliation.helpers import adyen_line, ledger_row, write_adyen, write_ledger


def _record(tmp_path: Path, name: str, lines: list[list[str]]) -> ReconciliationRun:
    report = write_adyen(tmp_path / name, lines)
    ledger = write_ledger(
        tmp_path / "ledger.csv",
        [ledger_row("D1", "P1", "10.00"), ledger_row("D2", "P2", "7.50"), ledger_row("D4", "P4", "3.00")],
    )
    result = reconcile(parse_report("adyen", report), read_ledger_csv(ledger), psp="adyen")
    recorded = reconciliation_run_record(
        result=result, file_name=name, file_sha256=file_sha256(report), acting_user=None
    )
    return recorded.run


def _first_report(tmp_path: Path) -> ReconciliationRun:
    # P1 matches; P2 is 7.00 against 7.50 (amount_mismatch); P3 and P5 are not in the ledger (missing_in_ledger x2);
    # P4 reports a refund of a credited deposit (status_mismatch).
    return _record(
        tmp_path,
        "first.csv",
        [
            adyen_line("P1", "D1", "10.00"),
            adyen_line("P2", "D2", "7.00"),
            adyen_line("P3", "D3", "1.00"),
            adyen_line("P5", "D5", "2.00"),
            adyen_line("P4", "D4", "3.00", type="Refunded"),
        ],
    )


def test_team_mapping_is_the_documented_one() -> None:
    assert {str(kind): str(team) for kind, team in TEAM_FOR_TYPE.items()} == {
        "amount_mismatch": "finance",
        "currency_mismatch": "finance",
        "fee_anomaly": "finance",
        "missing_in_ledger": "finance",
        "status_mismatch": "payments",
        "missing_in_report": "payments",
        "duplicate_in_report": "payments",
    }
    assert set(TEAM_FOR_TYPE) == set(DiscrepancyKind.values)


@pytest.mark.django_db
def test_each_work_item_opens_one_internal_ticket_for_its_team(tmp_path: Path) -> None:
    run = _first_report(tmp_path)
    assert sorted(run.discrepancies.values_list("type", flat=True)) == [
        "amount_mismatch",
        "missing_in_ledger",
        "missing_in_ledger",
        "status_mismatch",
    ]
    touched = work_items_group(acting_user=None, run_id=run.pk)
    assert len(touched) == 3
    tickets = {t.number: t for t in Ticket.objects.select_related("team").prefetch_related("tags", "messages")}
    assert len(tickets) == 3
    rows = []
    for work in WorkItem.objects.order_by("type"):
        ticket = tickets[work.ticket_reference]
        message = ticket.messages.get()
        rows.append((work.type, work.team, ticket.team.code if ticket.team else None, ticket.channel, ticket.subject))
        assert message.kind == "internal"
        assert message.external_id == f"recon-work-item-{work.pk}"
        assert sorted(tag.name for tag in ticket.tags.all()) == sorted(["reconciliation", work.type.replace("_", "-")])
    assert rows == [
        ("amount_mismatch", "finance", "finance", "internal", "Reconciliation: amount mismatch at adyen"),
        ("missing_in_ledger", "finance", "finance", "internal", "Reconciliation: missing in ledger at adyen"),
        ("status_mismatch", "payments", "payments", "internal", "Reconciliation: status mismatch at adyen"),
    ]
    missing = Ticket.objects.get(number=WorkItem.objects.get(type="missing_in_ledger").ticket_reference)
    assert missing.messages.get().body == (
        "Reconciliation found 2 missing in ledger discrepancies at adyen; later runs add theirs to the same work item "
        f"(#{WorkItem.objects.get(type='missing_in_ledger').pk}).\n"
        "Work them in the exception inbox: /reconciliation/?psp=adyen&type=missing_in_ledger"
    )
    assert AuditEvent.objects.filter(action="ticket.register").count() == 3


@pytest.mark.django_db
def test_rerunning_the_same_report_or_grouping_again_opens_nothing_twice(tmp_path: Path) -> None:
    run = _first_report(tmp_path)
    work_items_group(acting_user=None, run_id=run.pk)
    before = (Ticket.objects.count(), WorkItem.objects.count(), AuditEvent.objects.count())
    refs = sorted(WorkItem.objects.values_list("ticket_reference", flat=True))
    again = _first_report(tmp_path)
    assert again.pk == run.pk
    assert work_items_group(acting_user=None, run_id=again.pk) == []
    assert work_items_group(acting_user=None) == []
    assert (Ticket.objects.count(), WorkItem.objects.count(), AuditEvent.objects.count()) == before
    assert sorted(WorkItem.objects.values_list("ticket_reference", flat=True)) == refs


@pytest.mark.django_db
def test_a_new_report_joins_the_open_work_item_and_its_ticket(tmp_path: Path) -> None:
    first = _first_report(tmp_path)
    work_items_group(acting_user=None, run_id=first.pk)
    amount = WorkItem.objects.get(type="amount_mismatch")
    # A different file (new hash): P2 mismatches again, P9 is a new missing_in_ledger at the same PSP.
    second = _record(
        tmp_path,
        "second.csv",
        [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "D2", "7.10"), adyen_line("P4", "D4", "3.00"),
         adyen_line("P9", "D9", "4.00")],
    )  # fmt: skip
    touched = work_items_group(acting_user=None, run_id=second.pk)
    assert sorted(w.type for w in touched) == ["amount_mismatch", "missing_in_ledger"]
    assert Ticket.objects.count() == 3
    assert WorkItem.objects.count() == 3
    assert Discrepancy.objects.filter(work_item=amount).count() == 2
    amount.refresh_from_db()
    assert amount.ticket_reference == next(w.ticket_reference for w in touched if w.type == "amount_mismatch")


@pytest.mark.django_db
def test_a_work_item_resolved_and_found_again_opens_a_new_ticket(tmp_path: Path) -> None:
    from django.contrib.auth.models import Group, User

    first = _first_report(tmp_path)
    work_items_group(acting_user=None, run_id=first.pk)
    worker = User.objects.create_user("fin", password="x")
    worker.groups.set(Group.objects.filter(name="finance"))
    from paydesk.reconciliation.services import discrepancy_resolve

    old = WorkItem.objects.get(type="amount_mismatch")
    discrepancy_resolve(
        discrepancy_id=Discrepancy.objects.get(type="amount_mismatch").pk, reason="booked", acting_user=worker
    )
    second = _record(
        tmp_path,
        "second.csv",
        [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "D2", "7.10"), adyen_line("P4", "D4", "3.00")],
    )
    work_items_group(acting_user=None, run_id=second.pk)
    new = WorkItem.objects.get(type="amount_mismatch", status="open")
    assert new.pk != old.pk
    assert new.ticket_reference not in {"", old.ticket_reference}
    assert Ticket.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_grouping_that_rolls_back_leaves_no_ticket(tmp_path: Path) -> None:
    run = _first_report(tmp_path)
    events = AuditEvent.objects.count()
    seen: list[int] = []

    def group_then_fail() -> None:
        with transaction.atomic():
            work_items_group(acting_user=None, run_id=run.pk)
            seen.append(Ticket.objects.count())
            raise RuntimeError("later step failed")

    with pytest.raises(RuntimeError, match="later step failed"):
        group_then_fail()
    assert seen == [3]
    assert (Ticket.objects.count(), WorkItem.objects.count(), AuditEvent.objects.count()) == (0, 0, events)
    assert Discrepancy.objects.filter(work_item__isnull=False).count() == 0
    work_items_group(acting_user=None, run_id=run.pk)
    assert Ticket.objects.count() == 3
    assert sorted(WorkItem.objects.values_list("ticket_reference", flat=True)) == sorted(
        Ticket.objects.values_list("number", flat=True)
    )
