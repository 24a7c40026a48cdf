"""API tokens: issue, authenticate and revoke bearer tokens for the REST API.

Only a SHA-256 of each token is stored, and the lookup is by that hash (an index hit, so no timing oracle on the
token itself). The plain token is returned once, when it is issued.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from paydesk.core import clock
from paydesk.core.audit import audit_record
from paydesk.core.models import ApiToken

TOKEN_PREFIX = "pdk_"  # noqa: S105 - a public prefix, not a secret


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_issue(*, user: User, name: str, acting_user: Any | None = None) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken.objects.create(
            user=user, name=name, prefix=token[:12], key_hash=_digest(token), created_at=clock.now()
        )
        audit_record(
            action="api_token.issue",
            actor=acting_user,
            object_type="api_token",
            object_id=record.pk,
            data={"user": user.get_username(), "name": name, "prefix": record.prefix},
        )
    return token


def api_token_authenticate(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    record = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if record is None:
        return None
    now = clock.now()
    # Touch at most once a minute: the hot path stays a single read.
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


def api_token_revoke(*, token_id: int, acting_user: Any | None) -> None:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=clock.now())
        if updated:
            audit_record(action="api_token.revoke", actor=acting_user, object_type="api_token", object_id=token_id)
