"""Small readers for untrusted JSON: a wrong type in a PSP payload is a MalformedEvent naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from paydesk.integrations.ports import MalformedEvent


def load_object(body: bytes | str, what: str) -> dict[str, Any]:
    if isinstance(body, bytes):
        # json.loads would also take UTF-16 and UTF-32, but the raw body is stored as UTF-8 text.
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent(f"{what} body is not UTF-8: {exc}") from None
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise MalformedEvent(f"{what} body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedEvent(f"{what} body must be a JSON object, got {type(data).__name__}")
    return data


def text(data: dict[str, Any], key: str, *, required: bool = False, where: str = "event") -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MalformedEvent(f"{where} has no {key!r}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedEvent(f"{where} field {key!r} must be a string, got {type(value).__name__}")
    return str(value)


def obj(data: dict[str, Any], key: str, *, where: str = "event") -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"{where} field {key!r} must be an object, got {type(value).__name__}")
    return value


def integer(data: dict[str, Any], key: str, *, where: str = "event") -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedEvent(f"{where} field {key!r} must be an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise MalformedEvent(f"{where} field {key!r} must be an integer, got {value!r}")


def unix_time(value: Any, *, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"{where} timestamp must be unix seconds, got {value!r}")
    return datetime.fromtimestamp(value, UTC)


def iso_time(value: str, *, where: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedEvent(f"{where} date {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise MalformedEvent(f"{where} date {value!r} has no timezone")
    return parsed.astimezone(UTC)
