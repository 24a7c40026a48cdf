"""Console downloads: ``/reports/<name>.csv`` and ``/reports/<name>.xlsx`` for users who may export.

Thin: parse the period (``?from=YYYY-MM-DD&to=YYYY-MM-DD``, default the last 30 days up to today, UTC), check the
export capability, and call ``report_download`` (the same selectors the CLI and the dashboard use; the export is
audited), then return the file.
Anyone without ``Capability.EXPORT`` gets 403 and nothing is built.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET

from paydesk.core import clock
from paydesk.core.errors import ValidationError
from paydesk.core.roles import Capability, can
from paydesk.reports.selectors import REPORTS, period_from_dates
from paydesk.reports.services import report_download as report_download_service

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEFAULT_DAYS = 30


def _day(request: HttpRequest, name: str, default: date) -> date:
    raw = request.GET.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(f"{name}={raw[:40]!r} is not a date (expected YYYY-MM-DD)") from exc


@require_GET
@login_required
def report_download(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if not can(request.user, Capability.EXPORT):
        return HttpResponseForbidden("Exporting reports needs the export capability.", content_type="text/plain")
    if name not in REPORTS or fmt not in CONTENT_TYPES:
        return HttpResponse(f"No report {name}.{fmt}.", status=404, content_type="text/plain")
    today = clock.now().date()
    try:
        date_to = _day(request, "to", today)
        date_from = _day(request, "from", date_to - timedelta(days=DEFAULT_DAYS - 1))
        period = period_from_dates(date_from, date_to)
    except ValidationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain")
    _, content = report_download_service(name=name, period=period, fmt=fmt, acting_user=request.user)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    filename = f"paydesk-{name}-{date_from.isoformat()}-{date_to.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
