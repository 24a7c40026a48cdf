"""The ASGI → Django bridge behind ``config.asgi``: each HTTP request crosses into a pool thread once.

The request body is read on the event loop first (as Django's own ASGIHandler does, spooled to disk above
``SPOOL_BYTES``), Django's synchronous handler runs once on a pool thread, and the answer goes out from the loop. A
response is buffered in the thread up to ``BUFFER_BYTES``; a bigger or streaming one (exports, downloads) is handed
to the loop chunk by chunk, each send awaited, so memory stays bounded.

Why not a2wsgi's responder, which this replaced: it goes back to the event loop for every body read and every
response message, four round trips through the loop per request; in process, that took more CPU than the Django
view it wrapped (bench/webhooks/README.md). a2wsgi still builds the WSGI environ.

Bodies above ``MAX_BODY_BYTES`` (``PAYDESK_MAX_REQUEST_BYTES``) are refused with 413 while they are read, before
any Django code runs; the views' own, smaller limits (webhooks, uploads, ``DATA_UPLOAD_MAX_MEMORY_SIZE``) apply
after.

``LoopRoute``s are the exception to "every request crosses once": a request matching one (method and whole path)
is answered by its async handler on the event loop and never enters Django's stack. That is for an endpoint whose
work is waiting on I/O and whose rate dwarfs the rest, the PSP webhook (``api/webhook_receipt.py``). The bridge
still does for such a request what Django's stack would do before any view: the Host header is checked against
``ALLOWED_HOSTS``, and the body is read only up to the route's own limit. The handler gets ``run_sync`` to run the
rare blocking step on a request thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, cast

from a2wsgi.wsgi import build_environ
from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host
from django.utils.datastructures import CaseInsensitiveMapping

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Coroutine[Any, Any, None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SPOOL_BYTES = 2_621_440  # Django's FILE_UPLOAD_MAX_MEMORY_SIZE default
BUFFER_BYTES = 1 << 20
MAX_BODY_BYTES = int(os.environ.get("PAYDESK_MAX_REQUEST_BYTES", str(64 << 20)))


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class LoopRequest:
    """What a ``LoopRoute`` handler gets: the path's named groups, the headers (any case), the whole body."""

    path_params: dict[str, str]
    headers: CaseInsensitiveMapping[str]
    body: bytes
    run_sync: Callable[[Callable[[], object]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class LoopAnswer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(frozen=True, slots=True)
class LoopRoute:
    """Requests with ``method`` whose whole path matches ``path``, answered on the event loop by ``handler``.

    ``max_body`` is the route's body limit in bytes (read per request: settings may change it), and ``too_large``
    the answer to a body over it, given the size declared or read so far.
    """

    method: str
    path: re.Pattern[str]
    handler: Callable[[LoopRequest], Awaitable[LoopAnswer]]
    max_body: Callable[[], int]
    too_large: Callable[[int], LoopAnswer]
    close: Callable[[], Awaitable[None]] | None = None


class DjangoBridge:
    """An ASGI application serving ``app`` (a WSGI callable: Django's handler) on ``threads`` threads, except the
    requests ``routes`` answer on the event loop."""

    def __init__(self, app: WsgiApp, threads: int, routes: Sequence[LoopRoute] = ()) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="paydesk-http")
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # no WebSocket route yet
            await send({"type": "websocket.close", "code": 1000})
            return
        for route in self.routes:
            if scope["method"] == route.method and (match := route.path.fullmatch(scope["path"])) is not None:
                await self._serve_on_loop(route, match.groupdict(), scope, receive, send)
                return
        try:
            body = await _read_body(receive)
        except BodyTooLarge:
            await _plain(send, 413, b"request body too large\n")
            return
        if body is None:  # the client went away before sending the whole body
            return
        environ = cast(dict[str, Any], build_environ(cast(Any, scope), cast(Any, body)))
        loop = asyncio.get_running_loop()
        response = _Response(loop, send)
        try:
            call = functools.partial(contextvars.copy_context().run, response.run, self.app, environ)
            await loop.run_in_executor(self.executor, call)
        except Exception:
            logger.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if not response.streaming:
                await _plain(send, 500, b"internal server error\n")
            return
        finally:
            body.close()
        if not response.streaming:
            await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
            await send({"type": "http.response.body", "body": b"".join(response.chunks)})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()  # the loop routes' connections end cleanly, not as a dropped client
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Release what the loop routes hold (their database connections), on the loop that used them."""
        for route in self.routes:
            if route.close is not None:
                await route.close()

    async def run_sync(self, function: Callable[[], object]) -> object:
        """Run ``function`` on a request thread (in this context), then give back its database connection as the
        end of a Django request would."""

        def call() -> object:
            try:
                return function()
            finally:
                close_old_connections()

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(contextvars.copy_context().run, call))

    async def _serve_on_loop(
        self, route: LoopRoute, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        headers: CaseInsensitiveMapping[str] = CaseInsensitiveMapping(_headers(scope))
        if not _host_allowed(_host(headers, scope)):
            await _plain(send, 400, b"invalid Host header\n")
            return
        limit = route.max_body()
        declared = headers.get("content-length", "")
        try:
            if declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(int(declared))
            spooled = await _read_body(receive, limit)
        except BodyTooLarge as exc:
            await _answer(send, route.too_large(int(exc.args[0])))
            return
        if spooled is None:
            return
        with spooled:
            body = spooled.read()
        try:
            answer = await route.handler(LoopRequest(params, headers, body, self.run_sync))
        except Exception:
            logger.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            await _plain(send, 500, b"internal server error\n")
            return
        await _answer(send, answer)


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin1").lower(), raw_value.decode("latin1")
        # Repeated headers are joined with commas, as Django's ASGI handler and a2wsgi's environ do.
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _host(headers: CaseInsensitiveMapping[str], scope: Scope) -> str:
    """The host a request names, as Django's ``request.get_host()`` reads it."""
    if settings.USE_X_FORWARDED_HOST and headers.get("x-forwarded-host"):
        return str(headers["x-forwarded-host"])
    if headers.get("host"):
        return str(headers["host"])
    server = scope.get("server") or ("", None)
    return f"{server[0]}:{server[1]}" if server[1] not in (None, 80, 443) else str(server[0])


def _host_allowed(host: str) -> bool:
    """Django's ``request.get_host()`` check, for a request that never reaches Django."""
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


async def _answer(send: Send, answer: LoopAnswer) -> None:
    headers = [*answer.headers, (b"content-length", str(len(answer.body)).encode())]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


class _Response:
    """What the handler answered; filled in on the pool thread, sent by the loop (or streamed when large)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: Send) -> None:
        self.loop = loop
        self.send = send
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.streaming = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.streaming:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        # Django's WSGI handler writes Set-Cookie values with a leading space (``cookie.output(header="")``).
        self.headers = [
            (name.strip().lower().encode("latin1"), value.strip().encode("latin1")) for name, value in headers
        ]
        return self.write

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.streaming:
            self._send_from_thread({"type": "http.response.body", "body": chunk, "more_body": True})
            return
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size > BUFFER_BYTES:
            self.streaming = True
            self._send_from_thread({"type": "http.response.start", "status": self.status, "headers": self.headers})
            self._send_from_thread({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": True})
            self.chunks = []

    def run(self, app: WsgiApp, environ: dict[str, Any]) -> None:
        iterable = app(environ, self.start_response)
        try:
            for chunk in iterable:
                self.write(chunk)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        if self.streaming:
            self._send_from_thread({"type": "http.response.body", "body": b""})

    def _send_from_thread(self, message: Message) -> None:
        asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()


async def _read_body(receive: Receive, limit: int | None = None) -> IO[bytes] | None:
    """The whole body, spooled to disk when large, or None when the client went away; ``BodyTooLarge(size)`` past
    ``limit`` bytes (default ``MAX_BODY_BYTES``)."""
    limit = MAX_BODY_BYTES if limit is None else limit
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by the caller
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            body.close()
            raise BodyTooLarge(size)
        body.write(chunk)
        if not message.get("more_body", False):
            body.seek(0)
            return body


async def _plain(send: Send, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})
