"""Console views (thin): the landing page until the full agent console lands, and a health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from paydesk.web import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"stats": selectors.ledger_overview()})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
