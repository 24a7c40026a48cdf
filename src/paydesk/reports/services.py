"""Report exports as audited actions: who took which figures out of the desk, for which period, in which form.

Reading a report changes nothing, but an export hands desk data to a file or a spreadsheet outside Paydesk, so each
one appends an audit event (``report.export``) in its own transaction, after the file was produced: a failed export
leaves no event, a successful one always has it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from paydesk.core.audit import audit_record
from paydesk.reports.exports import render
from paydesk.reports.selectors import Period, Report, report_build


def report_export_record(
    *, report: Report, fmt: str, destination: str, acting_user: Any | None, actor_label: str | None = None
) -> None:
    """Append the audit event of one export (``destination``: file, download or Google Sheets)."""
    last_day = report.period.label.rsplit(" to ", 1)[-1]
    with transaction.atomic():
        audit_record(
            action="report.export",
            actor=acting_user,
            actor_label=actor_label,
            object_type="report",
            object_id=report.name,
            data={
                "from": report.period.start.date().isoformat(),
                "to": last_day,
                "format": fmt,
                "rows": len(report.rows),
                "destination": destination,
            },
        )


def report_download(*, name: str, period: Period, fmt: str, acting_user: Any) -> tuple[Report, bytes]:
    """Build the named report, render it as ``fmt`` and record the export; returns the report and the file bytes."""
    report = report_build(name=name, period=period)
    content = render(report, fmt)
    report_export_record(report=report, fmt=fmt, destination="download", acting_user=acting_user)
    return report, content
