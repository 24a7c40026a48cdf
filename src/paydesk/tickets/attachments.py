"""Attachment checks: images and PDF only, up to ``PAYDESK_ATTACHMENT_MAX_BYTES``, typed by their bytes.

The content type is sniffed from the file's first bytes, never taken from the name or the sender; a file whose name
or declared type claims something else than its bytes is refused as disguised. Checks run before anything is
written, so a refused upload leaves no message and no file behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings

from paydesk.core.errors import ValidationError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# content type -> file name extensions that may carry it
ALLOWED: dict[str, frozenset[str]] = {
    "image/png": frozenset({".png"}),
    "image/jpeg": frozenset({".jpg", ".jpeg"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "application/pdf": frozenset({".pdf"}),
}


class AttachmentRefused(ValidationError):
    code = "attachment-refused"


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def max_bytes() -> int:
    return int(getattr(settings, "PAYDESK_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_attachment(*, filename: str, data: bytes, declared_type: str | None = None) -> CheckedFile:
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1][:200]
    if not name:
        raise AttachmentRefused("attachment has no file name")
    limit = max_bytes()
    if len(data) > limit:
        raise AttachmentRefused(f"attachment {name!r} is {len(data)} bytes; the limit is {limit} bytes")
    if not data:
        raise AttachmentRefused(f"attachment {name!r} is empty")
    content_type = sniff(data)
    if content_type is None:
        raise AttachmentRefused(f"attachment {name!r} is not an image (PNG, JPEG, GIF, WebP) or PDF")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED[content_type]:
        raise AttachmentRefused(
            f"attachment {name!r} is disguised: its name says {extension or 'no extension'} but its content is "
            f"{content_type}"
        )
    if declared_type and declared_type.split(";")[0].strip().lower() not in {content_type, "application/octet-stream"}:
        raise AttachmentRefused(
            f"attachment {name!r} is disguised: declared as {declared_type} but its content is {content_type}"
        )
    return CheckedFile(filename=name, content_type=content_type, data=data, sha256=hashlib.sha256(data).hexdigest())
