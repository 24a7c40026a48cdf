"""PSP webhook endpoint: ``POST /api/v1/webhooks/psp/{psp}`` (DESIGN §5).

No API token here: a webhook authenticates by its signature, which ``webhook_receive`` checks before anything is
stored. Answers: 200 accepted (also for a duplicate), 400 malformed, 401 bad or missing signature, 404 unknown PSP,
413 too large, 503 adapter off (its secret is unset) or database unavailable — all but 200 as problem+json.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja import Router, Schema

from paydesk.api.auth import AUTH, require
from paydesk.core.errors import PaydeskError
from paydesk.core.roles import Capability
from paydesk.integrations.psp.generic import GenericEvent
from paydesk.payments import selectors
from paydesk.payments.webhooks import PayloadTooLarge, webhook_check_size, webhook_max_bytes, webhook_receive

router = Router(tags=["webhooks"], auth=None)


class Unavailable(PaydeskError):
    code = "unavailable"
    status = 503


_GENERIC_SCHEMA = GenericEvent.model_json_schema()

_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The PSP's event, byte for byte. stripe: a Stripe event signed with Stripe-Signature. adyen: a "
            "notification batch, each NotificationRequestItem with additionalData.hmacSignature. generic (and PSPs "
            "using the generic adapter): a GenericEvent signed with `Paydesk-Signature: t=<unix>,v1=<hex "
            'HMAC-SHA256(secret, "{t}.{body}")>`.'
        ),
        "content": {"application/json": {"schema": {"oneOf": [{"type": "object"}, _GENERIC_SCHEMA]}}},
    },
    "responses": {
        "200": {"description": "Accepted, or a duplicate of an event already stored (nothing changes)"},
        "400": {"description": "Malformed body"},
        "401": {"description": "Missing or invalid signature"},
        "404": {"description": "Unknown PSP code"},
        "413": {"description": "Body over the size limit"},
        "503": {"description": "The adapter is off: its secret is not configured"},
    },
}


@router.post(
    "/psp/{psp}",
    summary="Receive a PSP webhook (verified, stored, acknowledged, processed in the background)",
    openapi_extra=_OPENAPI,
)
def receive(request: HttpRequest, psp: str) -> HttpResponse:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit():
        webhook_check_size(int(declared))
    try:
        body = request.body
    except (RequestDataTooBig, RawPostDataException):
        raise PayloadTooLarge(f"webhook body is over the limit of {webhook_max_bytes()} bytes") from None
    try:
        receipt = webhook_receive(psp_code=psp, body=body, headers=request.headers)
    except OperationalError as exc:
        # No database connection to be had (pool exhausted or server down): nothing was stored, so say "retry".
        raise Unavailable(f"the desk cannot store webhooks right now ({type(exc).__name__}); retry later") from None
    response = HttpResponse(receipt.adapter.ack_body, content_type=receipt.adapter.ack_content_type)
    response["Paydesk-Accepted"] = str(receipt.accepted)
    response["Paydesk-Duplicates"] = str(receipt.duplicates)
    return response


class WebhookEventOut(Schema):
    id: int
    psp_code: str
    adapter: str
    event_key: str
    event_type: str
    status: str
    attempts: int
    error: str
    received_at: datetime
    processed_at: datetime | None
    transaction: str | None
    waiting_for_reference: str
    waiting_for_psp_reference: str


@router.get(
    "/events",
    auth=AUTH,
    response=list[WebhookEventOut],
    summary="Stored PSP webhook events (filter status=orphan to see events waiting for their transaction)",
)
def events(request: HttpRequest, status: str | None = None, psp: str | None = None, limit: int = 50) -> list[Any]:
    require(request, Capability.READ_LEDGER)
    return [
        {
            "id": e.pk,
            "psp_code": e.psp_code,
            "adapter": e.adapter,
            "event_key": e.event_key,
            "event_type": e.event_type,
            "status": e.status,
            "attempts": e.attempts,
            "error": e.error,
            "received_at": e.received_at,
            "processed_at": e.processed_at,
            "transaction": e.transaction.reference if e.transaction else None,
            "waiting_for_reference": e.match_reference,
            "waiting_for_psp_reference": e.match_psp_reference,
        }
        for e in selectors.webhook_events_list(status=status, psp=psp, limit=limit)
    ]
