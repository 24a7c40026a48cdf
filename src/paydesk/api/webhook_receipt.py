"""PSP webhooks answered on the event loop: ``POST /api/v1/webhooks/psp/{psp}`` without a request thread.

The same endpoint as ``api.webhooks.receive`` — same service rules (``webhook_receive_on_loop``), same answers and
problem documents — served by the ASGI bridge (``config/bridge.py``) before Django's stack, so the one database
round trip a webhook makes is awaited on the loop rather than blocking a thread (why: ``core/loop_db.py``), and
concurrent webhooks share inserts and commits (``payments/loop_store.py``). The
Django view still serves the path wherever this route is off: on SQLite, under Django's test client, and with
``PAYDESK_WEBHOOK_ON_LOOP=0``. Headers the middleware would add to the view's answer that matter for an API
response (``nosniff``, the referrer and opener policies, ``X-Frame-Options``) are added here too; sessions, CSRF,
locale and authentication do not apply (a webhook authenticates by its signature).
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.db import connection

from paydesk.api.problems import CONTENT_TYPE, domain_problem_body
from paydesk.api.webhooks import Unavailable
from paydesk.config.bridge import LoopAnswer, LoopRequest, LoopRoute
from paydesk.core.errors import PaydeskError
from paydesk.core.loop_db import DatabaseUnavailable, LoopDatabase
from paydesk.payments.webhooks import loop_event_store, webhook_max_bytes, webhook_receive_on_loop, webhook_too_large

PATH = re.compile(r"/api/v1/webhooks/psp/(?P<psp>[^/]+)")
# Connections per server process for webhook inserts; the loop never waits on more than a few at once.
LOOP_DB_CONNECTIONS = int(os.environ.get("PAYDESK_WEBHOOK_DB_CONNECTIONS", "4"))
# Inserts in flight at once per process; requests arriving meanwhile share the next one (payments/loop_store.py).
# One made the most of grouping in bench/webhooks: PostgreSQL's CPU per webhook is mostly its commit.
LOOP_INSERTS_IN_FLIGHT = int(os.environ.get("PAYDESK_WEBHOOK_INSERTS_IN_FLIGHT", "1"))


def _security_headers() -> list[tuple[bytes, bytes]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to the Django view's answer."""
    headers: list[tuple[str, str]] = []
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("x-content-type-options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("referrer-policy", str(settings.SECURE_REFERRER_POLICY)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("cross-origin-opener-policy", str(settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)))
    headers.append(("x-frame-options", str(getattr(settings, "X_FRAME_OPTIONS", "DENY")).upper()))
    return [(name.encode(), value.encode("latin1")) for name, value in headers]


class WebhookReceipt:
    """The route's handler, holding this process's loop connections."""

    def __init__(self, db: LoopDatabase) -> None:
        self.db = db
        self.store = loop_event_store(db, in_flight=LOOP_INSERTS_IN_FLIGHT)
        self.security_headers = _security_headers()

    async def __call__(self, request: LoopRequest) -> LoopAnswer:
        try:
            receipt = await webhook_receive_on_loop(
                psp_code=request.path_params["psp"],
                body=request.body,
                headers=request.headers,
                store=self.store,
                run_sync=request.run_sync,
            )
        except PaydeskError as exc:
            return self.problem(exc)
        except DatabaseUnavailable as exc:
            # Nothing was stored, so say "retry" (the Django view's answer to an OperationalError).
            return self.problem(Unavailable(f"the desk cannot store webhooks right now ({exc.reason}); retry later"))
        headers = [
            (b"content-type", receipt.adapter.ack_content_type.encode()),
            (b"paydesk-accepted", str(receipt.accepted).encode()),
            (b"paydesk-duplicates", str(receipt.duplicates).encode()),
            *self.security_headers,
        ]
        return LoopAnswer(200, headers, receipt.adapter.ack_body.encode())

    def problem(self, exc: PaydeskError) -> LoopAnswer:
        headers = [(b"content-type", CONTENT_TYPE.encode()), *self.security_headers]
        return LoopAnswer(exc.status, headers, domain_problem_body(exc))

    def too_large(self, size: int) -> LoopAnswer:
        return self.problem(webhook_too_large(size))


def webhook_routes() -> list[LoopRoute]:
    """The loop route for PSP webhooks, where it can serve them (PostgreSQL, not turned off); else none."""
    if connection.vendor != "postgresql" or os.environ.get("PAYDESK_WEBHOOK_ON_LOOP", "1") == "0":
        return []
    handler = WebhookReceipt(LoopDatabase(size=LOOP_DB_CONNECTIONS))
    return [LoopRoute("POST", PATH, handler, webhook_max_bytes, handler.too_large, close=handler.db.close)]
