"""Domain errors: every refusal names the thing refused and why, so the API and CLI can show it as is.

``code`` is a stable machine-readable slug used as the RFC 9457 problem ``type`` suffix; ``status`` is the HTTP
status the API maps it to.
"""

from __future__ import annotations


class PaydeskError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(PaydeskError):
    code = "validation-error"
    status = 422


class NotFound(PaydeskError):
    code = "not-found"
    status = 404


class PermissionDenied(PaydeskError):
    code = "permission-denied"
    status = 403


class Conflict(PaydeskError):
    code = "conflict"
    status = 409
