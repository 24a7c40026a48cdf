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
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, cast

from a2wsgi.wsgi import build_environ

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


class DjangoBridge:
    """An ASGI application serving ``app`` (a WSGI callable: Django's handler) on ``threads`` threads."""

    def __init__(self, app: WsgiApp, threads: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="paydesk-http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # no WebSocket route yet
            await send({"type": "websocket.close", "code": 1000})
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


async def _read_body(receive: Receive) -> IO[bytes] | None:
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by the caller
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            body.close()
            raise BodyTooLarge
        body.write(chunk)
        if not message.get("more_body", False):
            body.seek(0)
            return body


async def _plain(send: Send, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
