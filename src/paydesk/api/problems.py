"""RFC 9457 problem details: every API error is ``application/problem+json`` with a type, title, status, detail."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from paydesk.core.errors import PaydeskError

PROBLEM_BASE = "https://paydesk.dev/problems/"


CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, title: str, detail: str, code: str, **extra: Any) -> bytes:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, **extra}
    return json.dumps(body, ensure_ascii=False).encode()


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> HttpResponse:
    return HttpResponse(problem_body(status, title, detail, code, **extra), status=status, content_type=CONTENT_TYPE)


def domain_problem_body(exc: PaydeskError) -> bytes:
    """The problem document for a domain error (also written by handlers outside Django: api/webhook_receipt.py)."""
    return problem_body(exc.status, exc.code.replace("-", " ").capitalize(), exc.message, exc.code)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(PaydeskError)
    def _domain(request: HttpRequest, exc: PaydeskError) -> HttpResponse:
        return HttpResponse(domain_problem_body(exc), status=exc.status, content_type=CONTENT_TYPE)

    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [{"loc": [str(p) for p in err.get("loc", [])], "msg": str(err.get("msg", ""))} for err in exc.errors]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or "invalid request"
        return problem(422, "Invalid request", detail, "validation-error", errors=errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(401, "Unauthorized", "a valid API token is required", "unauthorized")
        response["WWW-Authenticate"] = 'Bearer realm="paydesk"'
        return response

    @api.exception_handler(AuthorizationError)
    def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return problem(403, "Forbidden", str(exc.message), "permission-denied")

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if exc.status_code == 400 and detail == "Cannot parse request body":
            # django-ninja's wording; say what is wrong with the body instead.
            return problem(400, "Malformed body", "request body is not valid JSON", "malformed-body")
        return problem(exc.status_code, HTTPStatus(exc.status_code).phrase, detail, f"http-{exc.status_code}")
