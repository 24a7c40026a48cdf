"""The exception inbox in the console: open discrepancies to work, one discrepancy's detail, and its actions.

Thin views: parse the request, check the role, call the reconciliation selectors and services, render. Who may see
the inbox is ``Capability.READ_RECONCILIATION`` (finance, payments, lead, admin, auditor); who may assign, comment
and resolve is ``Capability.WORK_RECONCILIATION`` (auditors read only). Anyone else gets 403 and nothing is read or
written. Actions are POST only (CSRF-protected by the middleware) and redirect back to the detail on success; a
refused action (a domain error) re-renders the detail with the message and the error's HTTP status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from paydesk.core.errors import NotFound, PaydeskError, ValidationError
from paydesk.core.money import MoneyError, format_minor
from paydesk.core.roles import Capability, can
from paydesk.reconciliation import selectors, services
from paydesk.reconciliation.models import Discrepancy, DiscrepancyKind, DiscrepancyStatus

PAGE_SIZE = 50
STATUS_CHOICES = ("open", "resolved", "all")


def _forbidden(message: str) -> HttpResponseForbidden:
    return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")


def _money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None:
        return ""
    try:
        return format_minor(amount_minor, currency)
    except MoneyError:
        return f"{amount_minor} (minor units)"


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The inbox filters from the query string; unknown values are refused with a message naming them."""
    psp = request.GET.get("psp", "").strip()
    kind = request.GET.get("type", "").strip()
    status = request.GET.get("status", "").strip() or DiscrepancyStatus.OPEN.value
    assignee = request.GET.get("assignee", "").strip()
    if kind and kind not in DiscrepancyKind.values:
        raise ValidationError(f"type={kind[:40]!r} is not a discrepancy type")
    if status not in STATUS_CHOICES:
        raise ValidationError(f"status={status[:40]!r} must be one of {', '.join(STATUS_CHOICES)}")
    if assignee and assignee not in {"me", "none"} and not assignee.isdigit():
        raise ValidationError(f"assignee={assignee[:40]!r} must be 'me', 'none' or a user id")
    return {"psp": psp, "type": kind, "status": status, "assignee": assignee}


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Capability.READ_RECONCILIATION):
        return _forbidden(_("The reconciliation inbox is for Finance, Payments, leads, admins and auditors."))
    try:
        chosen = _filters(request)
    except ValidationError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    assignee = chosen["assignee"]
    queryset = selectors.inbox_filtered(
        psp=chosen["psp"] or None,
        type=chosen["type"] or None,
        status=None if chosen["status"] == "all" else chosen["status"],
        unassigned=assignee == "none",
        assignee_id=request.user.pk if assignee == "me" else (int(assignee) if assignee.isdigit() else None),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reconciliation/inbox.html",
        {
            "page": page,
            "chosen": chosen,
            "query": query.urlencode(),
            "psps": selectors.inbox_psps(),
            "types": DiscrepancyKind.choices,
            "statuses": STATUS_CHOICES,
            "workers": selectors.reconciliation_workers(),
            "may_work": can(request.user, Capability.WORK_RECONCILIATION),
        },
    )


def _detail(
    request: HttpRequest, discrepancy_id: int, *, error: str = "", status: int = 200, form: dict[str, str] | None = None
) -> HttpResponse:
    try:
        item: Discrepancy = selectors.discrepancy_get(discrepancy_id=discrepancy_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    sides = [
        (_("PSP reference"), item.psp_reference, ""),
        (_("Our reference"), item.merchant_reference, item.ledger_reference),
        (_("Currency"), item.report_currency, item.ledger_currency),
        (
            _("Amount"),
            _money(item.report_amount_minor, item.report_currency),
            _money(item.ledger_amount_minor, item.ledger_currency),
        ),
        (_("Status"), item.report_status, item.ledger_status),
        (_("Fee"), _money(item.fee_minor, item.report_currency), ""),
        (_("Expected fee (contract)"), _money(item.expected_fee_minor, item.report_currency), ""),
    ]
    return render(
        request,
        "reconciliation/detail.html",
        {
            "item": item,
            "sides": sides,
            "comments": list(item.comments.all()),
            "workers": selectors.reconciliation_workers(),
            "may_work": can(request.user, Capability.WORK_RECONCILIATION),
            "error": error,
            "form": form or {},
        },
        status=status,
    )


@require_GET
@login_required
def detail(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    if not can(request.user, Capability.READ_RECONCILIATION):
        return _forbidden(_("Discrepancies are for Finance, Payments, leads, admins and auditors."))
    return _detail(request, discrepancy_id)


def _act(request: HttpRequest, discrepancy_id: int, action: str) -> HttpResponse:
    """Run one action through its service; on a domain error show the detail again with the message."""
    if not can(request.user, Capability.WORK_RECONCILIATION):
        return _forbidden(_("Only Finance, Payments, leads and admins may work discrepancies."))
    user = request.user
    form = {key: request.POST.get(key, "") for key in ("assignee", "body", "reason")}
    try:
        if action == "assign":
            choice = form["assignee"].strip()
            assignee: Any | None
            if choice in {"", "me"}:
                assignee = user if choice == "me" else None
            elif choice.isdigit():
                assignee = get_user_model().objects.filter(pk=int(choice), is_active=True).first()
                if assignee is None:
                    raise ValidationError(f"user {choice} not found")
            else:
                raise ValidationError(f"assignee={choice[:40]!r} must be 'me', empty or a user id")
            services.discrepancy_assign(discrepancy_id=discrepancy_id, assignee=assignee, acting_user=user)
            done = _("Assigned.") if assignee is not None else _("Unassigned.")
        elif action == "comment":
            services.discrepancy_comment(discrepancy_id=discrepancy_id, body=form["body"], acting_user=user)
            done = _("Comment added.")
        else:
            services.discrepancy_resolve(discrepancy_id=discrepancy_id, reason=form["reason"], acting_user=user)
            done = _("Resolved.")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PaydeskError as exc:
        return _detail(request, discrepancy_id, error=exc.message, status=exc.status, form=form)
    messages.success(request, done)
    return redirect("reconciliation:detail", discrepancy_id=discrepancy_id)


@require_POST
@login_required
def assign(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    return _act(request, discrepancy_id, "assign")


@require_POST
@login_required
def comment(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    return _act(request, discrepancy_id, "comment")


@require_POST
@login_required
def resolve(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    return _act(request, discrepancy_id, "resolve")
