"""Reconciliation writes: recording a run, and working its discrepancies (assign, comment, resolve, group).

A run and all its discrepancies commit together with one audit event; the same report file (SHA-256) for the same
PSP is recorded once: a second attempt returns the first run and creates nothing (the unique constraint decides,
so two concurrent runs of one file can't both land). Each change to a discrepancy is audited in its transaction.
Grouping puts every open, ungrouped discrepancy into the one open work item of its (PSP, type), owned by Finance or
Payments (``TEAM_FOR_TYPE``), and a work item without a ticket opens ONE internal ticket for its team through
``ticket_register`` in the same transaction, storing the ticket number in ``ticket_reference``: re-running a report
(or grouping again) finds the open work item with its ticket and opens nothing; if grouping rolls back, so does the
ticket (the ticket is keyed by ``recon-work-item-<id>`` on the internal channel as a second guard).
Only Finance, Payments, leads and admins work discrepancies (``Capability.WORK_RECONCILIATION``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from paydesk.core.roles import Capability, can
from paydesk.reconciliation.matcher import ReconResult
from paydesk.reconciliation.models import (
    Discrepancy,
    DiscrepancyComment,
    DiscrepancyKind,
    DiscrepancyStatus,
    ReconciliationRun,
    WorkItem,
    WorkTeam,
)
from paydesk.tickets.enums import Channel

# Who owns each type. Finance: the money differs or money the PSP settled is not booked (amount, currency, fee,
# missing_in_ledger). Payments: the transaction itself is mis-stated or absent at the PSP and needs the PSP or the
# payment flow looked at (status, missing_in_report, duplicate_in_report).
TEAM_FOR_TYPE: dict[str, str] = {
    DiscrepancyKind.AMOUNT_MISMATCH: WorkTeam.FINANCE,
    DiscrepancyKind.CURRENCY_MISMATCH: WorkTeam.FINANCE,
    DiscrepancyKind.FEE_ANOMALY: WorkTeam.FINANCE,
    DiscrepancyKind.MISSING_IN_LEDGER: WorkTeam.FINANCE,
    DiscrepancyKind.STATUS_MISMATCH: WorkTeam.PAYMENTS,
    DiscrepancyKind.MISSING_IN_REPORT: WorkTeam.PAYMENTS,
    DiscrepancyKind.DUPLICATE_IN_REPORT: WorkTeam.PAYMENTS,
}
INBOX_PATH = "/reconciliation/"
MAX_TEXT = 255


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RecordedRun:
    run: ReconciliationRun
    created: bool


def reconciliation_run_record(
    *, result: ReconResult, file_name: str, file_sha256: str, acting_user: Any | None
) -> RecordedRun:
    """Store a run with its discrepancies, once per (PSP, file hash)."""
    existing = ReconciliationRun.objects.filter(psp=result.psp, file_sha256=file_sha256).first()
    if existing is not None:
        return RecordedRun(run=existing, created=False)
    summary = result.summary()
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                psp=result.psp,
                file_name=file_name[:255],
                file_sha256=file_sha256,
                created_at=clock.now(),
                created_by=acting_user if getattr(acting_user, "pk", None) else None,
                window_from=result.window[0],
                window_to=result.window[1],
                report_rows=result.report_rows,
                ledger_rows=result.ledger_rows,
                matched=result.matched,
                matched_fuzzy=result.matched_fuzzy,
                summary=summary,
            )
            Discrepancy.objects.bulk_create(
                [
                    Discrepancy(
                        run=run,
                        type=row["type"],
                        psp=result.psp,
                        report_row=row["report_row"],
                        record_type=row["record_type"] or "",
                        psp_reference=(row["psp_reference"] or "")[:128],
                        merchant_reference=(row["merchant_reference"] or "")[:128],
                        ledger_reference=row["ledger_reference"] or "",
                        report_currency=row["report_currency"] or "",
                        report_amount_minor=row["report_amount_minor"],
                        ledger_currency=row["ledger_currency"] or "",
                        ledger_amount_minor=row["ledger_amount_minor"],
                        report_status=(row["report_status"] or "")[:64],
                        ledger_status=row["ledger_status"] or "",
                        fee_minor=row["fee_minor"],
                        expected_fee_minor=row["expected_fee_minor"],
                        detail=(row["detail"] or "")[:MAX_TEXT],
                    )
                    for row in result.discrepancies.iter_rows(named=True)
                ],
                batch_size=2000,
            )
            audit_record(
                action="reconciliation.run",
                actor=acting_user,
                object_type="reconciliation_run",
                object_id=run.pk,
                data={"psp": result.psp, "file": file_name, "sha256": file_sha256, **summary["discrepancies"]},
            )
    except IntegrityError:
        # A concurrent run of the same file won the unique constraint; that run is the record.
        run = ReconciliationRun.objects.get(psp=result.psp, file_sha256=file_sha256)
        return RecordedRun(run=run, created=False)
    return RecordedRun(run=run, created=True)


def _require_worker(user: Any) -> None:
    if not can(user, Capability.WORK_RECONCILIATION):
        raise PermissionDenied(f"{getattr(user, 'username', 'this user')} may not work reconciliation discrepancies")


def _locked(discrepancy_id: int) -> Discrepancy:
    found = Discrepancy.objects.select_for_update().filter(pk=discrepancy_id).first()
    if found is None:
        raise NotFound(f"discrepancy {discrepancy_id} not found")
    return found


def discrepancy_assign(*, discrepancy_id: int, assignee: Any | None, acting_user: Any) -> Discrepancy:
    """Give a discrepancy to ``assignee`` (None: unassign). The assignee must be able to work it too."""
    _require_worker(acting_user)
    if assignee is not None and not can(assignee, Capability.WORK_RECONCILIATION):
        raise ValidationError(f"{assignee.get_username()} can't work discrepancies, so can't be assigned one")
    with transaction.atomic():
        item = _locked(discrepancy_id)
        if item.status != DiscrepancyStatus.OPEN:
            raise Conflict(f"discrepancy {discrepancy_id} is resolved; reopen is not supported")
        before = item.assignee.get_username() if item.assignee else None
        item.assignee = assignee
        item.save(update_fields=["assignee"])
        audit_record(
            action="reconciliation.discrepancy.assign",
            actor=acting_user,
            object_type="discrepancy",
            object_id=item.pk,
            data={"from": before, "to": assignee.get_username() if assignee is not None else None},
        )
    return item


def discrepancy_comment(*, discrepancy_id: int, body: str, acting_user: Any) -> DiscrepancyComment:
    _require_worker(acting_user)
    text = body.strip()
    if not text:
        raise ValidationError("comment is empty")
    if len(text) > 5000:
        raise ValidationError(f"comment is {len(text)} characters; the limit is 5000")
    with transaction.atomic():
        item = _locked(discrepancy_id)
        comment = DiscrepancyComment.objects.create(
            discrepancy=item, author=acting_user, body=text, created_at=clock.now()
        )
        audit_record(
            action="reconciliation.discrepancy.comment",
            actor=acting_user,
            object_type="discrepancy",
            object_id=item.pk,
            data={"comment": comment.pk},
        )
    return comment


def discrepancy_resolve(*, discrepancy_id: int, reason: str, acting_user: Any) -> Discrepancy:
    """Close a discrepancy with the reason it is settled; a work item with nothing open left closes too."""
    _require_worker(acting_user)
    text = reason.strip()
    if not text:
        raise ValidationError("a resolution needs a reason")
    with transaction.atomic():
        item = _locked(discrepancy_id)
        if item.status == DiscrepancyStatus.RESOLVED:
            raise Conflict(f"discrepancy {discrepancy_id} is already resolved")
        now = clock.now()
        item.status = DiscrepancyStatus.RESOLVED
        item.resolution_reason = text
        item.resolved_at = now
        item.resolved_by = acting_user
        item.save(update_fields=["status", "resolution_reason", "resolved_at", "resolved_by"])
        closed_item = None
        if item.work_item_id is not None:
            work = WorkItem.objects.select_for_update().get(pk=item.work_item_id)
            if (
                work.status == DiscrepancyStatus.OPEN
                and not work.discrepancies.filter(status=DiscrepancyStatus.OPEN).exists()
            ):
                work.status = DiscrepancyStatus.RESOLVED
                work.updated_at = now
                work.save(update_fields=["status", "updated_at"])
                closed_item = work.pk
        audit_record(
            action="reconciliation.discrepancy.resolve",
            actor=acting_user,
            object_type="discrepancy",
            object_id=item.pk,
            data={"reason": text, "work_item_closed": closed_item},
        )
    return item


def _work_item_ticket(work: WorkItem, *, added: int, acting_user: Any | None) -> str:
    """Open the internal ticket of a work item for its team; returns its number (inside the grouping transaction)."""
    from paydesk.tickets.services.intake import ticket_register

    label = DiscrepancyKind(work.type).label.lower()
    query = urlencode({"psp": work.psp, "type": work.type})
    ticket = ticket_register(
        subject=f"Reconciliation: {label} at {work.psp}",
        body=(
            f"Reconciliation found {added} {label} discrepanc{'y' if added == 1 else 'ies'} at {work.psp}; "
            f"later runs add theirs to the same work item (#{work.pk}).\n"
            f"Work them in the exception inbox: {INBOX_PATH}?{query}"
        ),
        channel=Channel.INTERNAL,
        team=work.team,
        tags=["reconciliation", work.type.replace("_", "-")],
        external_id=f"recon-work-item-{work.pk}",
        acting_user=acting_user if getattr(acting_user, "pk", None) else None,
    )
    return ticket.number or f"PD-{ticket.pk:06d}"


def work_items_group(*, acting_user: Any | None, run_id: int | None = None) -> list[WorkItem]:
    """Attach open, ungrouped discrepancies (of one run, or all) to the open work item of their (PSP, type).

    Returns the work items that received discrepancies. Running it again changes nothing.
    """
    touched: list[WorkItem] = []
    with transaction.atomic():
        pending = Discrepancy.objects.select_for_update().filter(status=DiscrepancyStatus.OPEN, work_item=None)
        if run_id is not None:
            pending = pending.filter(run_id=run_id)
        keys = sorted(set(pending.values_list("psp", "type")))
        now = clock.now()
        for psp, kind in keys:
            work = (
                WorkItem.objects.select_for_update().filter(psp=psp, type=kind, status=DiscrepancyStatus.OPEN).first()
            )
            created = work is None
            if work is None:
                work = WorkItem.objects.create(
                    psp=psp, type=kind, team=TEAM_FOR_TYPE[kind], created_at=now, updated_at=now
                )
            count = pending.filter(psp=psp, type=kind).update(work_item=work)
            work.updated_at = now
            if not work.ticket_reference:
                work.ticket_reference = _work_item_ticket(work, added=count, acting_user=acting_user)
            work.save(update_fields=["updated_at", "ticket_reference"])
            audit_record(
                action="reconciliation.work_item.group",
                actor=acting_user,
                object_type="work_item",
                object_id=work.pk,
                data={"psp": psp, "type": kind, "team": work.team, "added": count, "created": created},
            )
            touched.append(work)
    return touched
