"""The Stripe-style signature scheme: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">``.

Used verbatim by Stripe (``Stripe-Signature``) and by our generic adapter (``Paydesk-Signature``). Every ``v1`` in the
header is tried (Stripe sends several while a secret is rolled), each compared in constant time, and a timestamp
further than the tolerance from now is refused so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

from paydesk.integrations.ports import SignatureError

DEFAULT_TOLERANCE_SECONDS = 300


def compute(body: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign_header(body: bytes, secret: str, timestamp: int) -> str:
    """The header value a sender puts on ``body`` (the simulator and the bench sign with this)."""
    return f"t={timestamp},v1={compute(body, secret, timestamp)}"


def verify_header(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    now: float,
    header_name: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    if not header:
        raise SignatureError(f"missing {header_name} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(f"{header_name} timestamp {value!r} is not a number") from None
        elif name == "v1":
            signatures.append(value)
    if timestamp is None:
        raise SignatureError(f"{header_name} header has no timestamp (t=)")
    if not signatures:
        raise SignatureError(f"{header_name} header has no v1 signature")
    expected = compute(body, secret, timestamp)
    # Check every candidate so the time taken does not depend on which one matched.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError(f"{header_name} does not match the body (wrong secret or altered body)")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            f"{header_name} timestamp {timestamp} is outside the {tolerance} s tolerance (replayed or clock skew)"
        )
