"""API authentication (bearer token or the console's session) and role checks for handlers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from paydesk.core.errors import PermissionDenied
from paydesk.core.roles import Capability, can
from paydesk.core.tokens import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


AUTH = [TokenAuth(), SessionAuth()]


def require(request: HttpRequest, capability: Capability) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not can(user, capability):
        raise PermissionDenied(f"your role does not allow {capability.value.replace('_', ' ')}")
    return user
