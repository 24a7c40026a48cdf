"""PSP webhooks answered on the event loop (``api/webhook_receipt.py``): the same answers as the Django view, the same
rows stored, nothing stored or changed by a refusal. PostgreSQL only, with committed data: the loop's connections
are not the test's."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.test import Client

from paydesk.api.webhook_receipt import webhook_routes
from paydesk.config.bridge import DjangoBridge
from paydesk.core.loop_db import LoopDatabase
from paydesk.integrations.psp.signing import sign_header
from paydesk.payments.models import Transaction, WebhookEvent
from tests.webhooks.conftest import STRIPE_SECRET, MakeTxn, problem, snapshot
from tests.webhooks.test_webhooks_adyen import item_batch, resign
from tests.webhooks.test_webhooks_stripe import event, signed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres", "webhook_secrets"),
]

URL = "/api/v1/webhooks/psp/"


class Answer:
    """An httpx response read the way the Django test client's is (``response["Header"]``)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content = response.content
        self.headers = response.headers

    def __getitem__(self, name: str) -> str:
        return self.headers[name]


Request = tuple[str, bytes | str, dict[str, str]]
LoopSend = Callable[..., list[Answer]]


@pytest.fixture
def loop_send() -> Iterator[LoopSend]:
    """POST requests through the ASGI application as ``paydesk serve`` builds it (one request thread)."""
    routes = webhook_routes()
    assert [route.path.pattern for route in routes] == [r"/api/v1/webhooks/psp/(?P<psp>[^/]+)"]
    app = DjangoBridge(get_wsgi_application(), threads=1, routes=routes)

    def send(*requests: Request, host: str = "127.0.0.1", stream: bool = False, together: bool = False) -> list[Answer]:
        async def main() -> list[Answer]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:

                async def post(psp: str, body: bytes | str, headers: dict[str, str]) -> Answer:
                    data = body.encode() if isinstance(body, str) else body
                    content: bytes | AsyncIterator[bytes] = _chunks(data) if stream else data
                    response = await client.post(
                        URL + psp, content=content, headers={"Content-Type": "application/json", **headers}
                    )
                    return Answer(response)

                if together:
                    answers = list(await asyncio.gather(*(post(*request) for request in requests)))
                else:
                    answers = [await post(*request) for request in requests]
            await app.aclose()  # the pool belongs to this loop
            return answers

        return asyncio.run(main())

    yield send
    # Processing ran on the request thread (eager tasks in tests) with its own connection; close it.
    app.executor.submit(connections.close_all).result()
    app.executor.shutdown()


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 512):
        yield data[start : start + 512]


def _intent(event_id: str, intent_id: str) -> str:
    return event(event_id, "payment_intent.succeeded", {"id": intent_id, "object": "payment_intent", "amount": 2200})


def test_a_signed_event_is_stored_acknowledged_and_processed(loop_send: LoopSend, make_txn: MakeTxn) -> None:
    make_txn("DEP-L1", psp_reference="pi_loop_1", status="pending")
    body = _intent("evt_loop_1", "pi_loop_1")
    headers = signed(body) | {"User-Agent": "Stripe/1.0"}

    (answer,) = loop_send(("stripe", body, headers))

    assert answer.status_code == 200
    assert answer.content == b'{"received": true}'
    assert (answer["Content-Type"], answer["Paydesk-Accepted"], answer["Paydesk-Duplicates"]) == (
        "application/json",
        "1",
        "0",
    )
    assert (answer["X-Content-Type-Options"], answer["X-Frame-Options"]) == ("nosniff", "DENY")
    stored = WebhookEvent.objects.get()
    assert (stored.psp_code, stored.adapter, stored.psp.code if stored.psp else None) == ("stripe", "stripe", "stripe")
    assert (stored.event_key, stored.event_type, stored.body) == ("evt_loop_1", "payment_intent.succeeded", body)
    assert stored.headers == {"Content-Type": "application/json", **headers}
    assert (stored.status, stored.transaction.reference if stored.transaction else None) == ("processed", "DEP-L1")
    assert Transaction.objects.get(reference="DEP-L1").status == "confirmed"


def test_a_redelivery_answers_200_and_changes_nothing(loop_send: LoopSend, make_txn: MakeTxn) -> None:
    make_txn("DEP-L2", psp_reference="pi_loop_2", status="pending")
    body = _intent("evt_loop_2", "pi_loop_2")
    (first,) = loop_send(("stripe", body, signed(body)))
    before = snapshot()

    (second,) = loop_send(("stripe", body, signed(body)))

    assert (first.status_code, first["Paydesk-Accepted"], first["Paydesk-Duplicates"]) == (200, "1", "0")
    assert (second.status_code, second["Paydesk-Accepted"], second["Paydesk-Duplicates"]) == (200, "0", "1")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("psp", "headers", "status", "detail"),
    [
        ("stripe", {"Stripe-Signature": "t=1,v1=" + "0" * 64}, 401, "does not match the body"),
        ("stripe", {}, 401, "missing Stripe-Signature header"),
        ("paypal-classic", None, 404, "unknown PSP code 'paypal-classic'"),
    ],
)
def test_refusals_answer_a_problem_and_store_nothing(
    loop_send: LoopSend, make_txn: MakeTxn, psp: str, headers: dict[str, str] | None, status: int, detail: str
) -> None:
    make_txn("DEP-L3", psp_reference="pi_loop_3", status="pending")
    body = _intent("evt_loop_3", "pi_loop_3")
    before = snapshot()

    (answer,) = loop_send((psp, body, signed(body) if headers is None else headers))

    assert answer.status_code == status
    assert detail in problem(answer)["detail"]
    assert snapshot() == before


def test_malformed_json_with_a_valid_signature_is_400(loop_send: LoopSend) -> None:
    body = '{"id": "evt_broken", "type": "charge.failed", '
    before = snapshot()

    (answer,) = loop_send(("stripe", body, signed(body)))

    assert answer.status_code == 400
    assert problem(answer)["detail"].startswith("Stripe event body is not valid JSON")
    assert snapshot() == before


@pytest.mark.parametrize("stream", [False, True], ids=["declared", "streamed"])
def test_a_body_over_the_limit_is_413_before_it_is_read_whole(loop_send: LoopSend, settings: Any, stream: bool) -> None:
    settings.PAYDESK_WEBHOOK_MAX_BYTES = 1024
    body = event("evt_big", "charge.updated", {"id": "ch_1", "object": "charge", "description": "x" * 2000})
    before = snapshot()

    (answer,) = loop_send(("stripe", body, signed(body)), stream=stream)

    assert answer.status_code == 413
    # Declared, the size is the body's; streamed, it is what was read when the limit was passed (512-byte chunks).
    size = 1536 if stream else len(body)
    assert problem(answer)["detail"] == f"webhook body is {size} bytes; the limit is 1024 bytes"
    assert snapshot() == before


def test_an_adapter_without_a_secret_is_503(loop_send: LoopSend, settings: Any) -> None:
    settings.PAYDESK_STRIPE_WEBHOOK_SECRET = ""
    body = _intent("evt_off", "pi_off")

    (answer,) = loop_send(("stripe", body, signed(body)))

    assert answer.status_code == 503
    assert problem(answer)["detail"] == "the stripe webhook adapter is off: PAYDESK_STRIPE_WEBHOOK_SECRET is not set"
    assert WebhookEvent.objects.count() == 0


def test_no_database_is_503_so_the_psp_retries(loop_send: LoopSend, monkeypatch: pytest.MonkeyPatch) -> None:
    params = LoopDatabase.connection_params

    def unreachable(self: LoopDatabase) -> dict[str, Any]:
        return {**params(self), "host": "127.0.0.1", "port": 1, "connect_timeout": 1}

    monkeypatch.setattr(LoopDatabase, "connection_params", unreachable)
    monkeypatch.setattr(LoopDatabase, "__init__", _short_timeout(LoopDatabase.__init__))
    body = event("evt_503", "charge.failed", {"id": "ch_1", "object": "charge"})

    (answer,) = loop_send(("paypal-classic", body, signed(body)))

    assert answer.status_code == 503
    assert problem(answer)["detail"] == "the desk cannot store webhooks right now (PoolTimeout); retry later"
    assert WebhookEvent.objects.count() == 0


def _short_timeout(init: Callable[..., None]) -> Callable[..., None]:
    def short(self: LoopDatabase, **kwargs: Any) -> None:
        init(self, **{**kwargs, "timeout": 0.5})

    return short


def test_a_host_not_allowed_is_refused_before_anything_runs(loop_send: LoopSend) -> None:
    body = _intent("evt_host", "pi_host")

    (answer,) = loop_send(("stripe", body, signed(body)), host="evil.example")

    assert (answer.status_code, answer.content) == (400, b"invalid Host header\n")
    assert WebhookEvent.objects.count() == 0


def test_an_adyen_batch_and_a_generic_psp_are_acknowledged_in_their_own_words(
    loop_send: LoopSend, make_txn: MakeTxn
) -> None:
    from tests.webhooks.test_webhooks_generic import generic
    from tests.webhooks.test_webhooks_generic import signed as generic_signed

    adyen = resign(item_batch(eventCode="AUTHORISATION", pspReference="8835511210681234", merchantReference="DEP-A"))
    generic_body = generic(id="gen-loop-1", reference="DEP-G")

    first, second = loop_send(("adyen", adyen, {}), ("qiwi-like", generic_body, generic_signed(generic_body)))

    assert (first.status_code, first.content, first["Content-Type"]) == (200, b"[accepted]", "text/plain")
    assert (second.status_code, second["Paydesk-Accepted"]) == (200, "1")
    assert sorted(WebhookEvent.objects.values_list("psp_code", "adapter")) == [
        ("adyen", "adyen"),
        ("qiwi-like", "generic"),
    ]


def test_concurrent_requests_store_each_event_once(loop_send: LoopSend, make_txn: MakeTxn) -> None:
    for i in range(6):
        make_txn(f"DEP-C{i}", psp_reference=f"pi_c{i}", status="pending")
    bodies = [_intent(f"evt_c{i}", f"pi_c{i}") for i in range(6)]
    requests = [("stripe", body, signed(body)) for body in [*bodies, bodies[0], bodies[3]]]

    answers = loop_send(*requests, together=True)

    assert [a.status_code for a in answers] == [200] * 8
    assert sum(int(a["Paydesk-Accepted"]) for a in answers) == 6
    assert sum(int(a["Paydesk-Duplicates"]) for a in answers) == 2
    assert sorted(WebhookEvent.objects.values_list("event_key", flat=True)) == [f"evt_c{i}" for i in range(6)]
    assert set(Transaction.objects.filter(reference__startswith="DEP-C").values_list("status", flat=True)) == {
        "confirmed"
    }


def test_a_batch_larger_than_one_insert_is_stored_whole(loop_send: LoopSend, monkeypatch: pytest.MonkeyPatch) -> None:
    from paydesk.payments import webhooks

    monkeypatch.setattr(webhooks, "INSERT_BATCH", 2)
    items = [
        item_batch(eventCode="AUTHORISATION", pspReference=f"A-{n}", merchantReference=f"R-{n}")["notificationItems"][0]
        for n in (1, 2, 3, 1, 4)
    ]

    (answer,) = loop_send(("adyen", resign({"live": "false", "notificationItems": items}), {}))

    assert (answer["Paydesk-Accepted"], answer["Paydesk-Duplicates"]) == ("4", "1")
    assert list(WebhookEvent.objects.order_by("id").values_list("event_key", flat=True)) == [
        f"A-{n}:AUTHORISATION:true:" for n in (1, 2, 3, 4)
    ]


def test_answers_are_the_django_views_byte_for_byte(loop_send: LoopSend, make_txn: MakeTxn, settings: Any) -> None:
    """Each request goes once through the Django view (test client) and once through the loop route."""
    make_txn("DEP-P1", psp_reference="pi_p1", status="pending")
    make_txn("DEP-P2", psp_reference="pi_p2", status="pending")
    one, two = _intent("evt_p1", "pi_p1"), _intent("evt_p2", "pi_p2")
    broken = '{"id": "evt_broken"'
    nul = resign(item_batch(eventCode="AUTHORISATION", pspReference="A\u0000B", merchantReference="DEP-P1"))
    utf16 = one.encode("utf-16")
    utf16_signed = {"Stripe-Signature": sign_header(utf16, STRIPE_SECRET, int(time.time()))}
    cases: list[tuple[Request, Request]] = [
        (("stripe", one, signed(one)), ("stripe", two, signed(two))),  # each new on its path
        (("stripe", two, signed(two)), ("stripe", one, signed(one))),  # each a duplicate of the other path's
        (("stripe", one, {}), ("stripe", one, {})),
        (("stripe", broken, signed(broken)), ("stripe", broken, signed(broken))),
        (("no-such-psp", one, signed(one)), ("no-such-psp", one, signed(one))),
        (("adyen", nul, {}), ("adyen", nul, {})),
        (("stripe", utf16, utf16_signed), ("stripe", utf16, utf16_signed)),
    ]
    client = Client()
    for via_django, via_loop in cases:
        psp, body, headers = via_django
        expected = client.post(URL + psp, data=body, content_type="application/json", headers=headers)
        (answer,) = loop_send(via_loop)

        assert answer.status_code == expected.status_code
        assert answer.content == expected.content
        for name in ("Content-Type", "Paydesk-Accepted", "Paydesk-Duplicates", "X-Content-Type-Options"):
            assert answer.headers.get(name) == expected.headers.get(name), name
    assert WebhookEvent.objects.count() == 2
    assert json.loads(WebhookEvent.objects.get(event_key="evt_p2").body)["id"] == "evt_p2"


def test_the_route_is_off_on_request_and_other_methods_still_reach_django(
    loop_send: LoopSend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYDESK_WEBHOOK_ON_LOOP", "0")
    assert webhook_routes() == []
    monkeypatch.delenv("PAYDESK_WEBHOOK_ON_LOOP")

    app = DjangoBridge(get_wsgi_application(), threads=1, routes=webhook_routes())

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            return await client.get(URL + "stripe")

    response = asyncio.run(get())
    app.executor.submit(connections.close_all).result()
    app.executor.shutdown()
    assert response.status_code == 405  # Django's view answered: the loop route is POST only
