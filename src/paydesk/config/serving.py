"""Running uvicorn for ``paydesk serve`` and ``paydesk demo``: one listening socket, one or more worker processes.

The socket is bound here rather than by uvicorn because uvicorn's multi-worker path (``--workers N``) creates it
without ``IPPROTO_TCP``; asyncio then leaves Nagle's algorithm on for every accepted connection, and each
keep-alive response after the first waits ~40 ms for the client's delayed ACK (uvicorn issue #3149; measured here:
44 ms per request on an empty view with two workers, 1 ms with this socket). A socket created with the protocol
set hands asyncio what it needs to turn on ``TCP_NODELAY``.

With several workers, every worker waits on that one socket, and with asyncio's own loop the connections all went
to whichever worker woke first (measured: 8 keep-alive connections opened together went 8:0 or 7:1, so one
process and one GIL served everything while the other idled). ``FairAcceptLoop`` spreads them.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

APP = "paydesk.config.asgi:application"
LOOP = "paydesk.config.serving:FairAcceptLoop"


class FairAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's event loop, taking one connection at a time and letting the worker with fewer connections go first.

    Every worker is woken when a connection waits on the shared socket, and the same one tends to win the race
    (the kernel wakes waiters in a fixed order). So a worker accepts one connection per wake-up, and one that
    already holds connections first steps aside for ``ACCEPT_DELAY_PER_CONNECTION`` per open connection (at most
    ``ACCEPT_DELAY_MAX``): a worker with fewer open connections takes the connection in the meantime, and the
    counts even out. Only opening a connection waits; requests on open connections never do.
    """

    ACCEPT_DELAY_PER_CONNECTION = 0.0002
    ACCEPT_DELAY_MAX = 0.005

    # asyncio's selector loop calls this when the listening socket is readable, with ``backlog`` as the number of
    # connections to take in a row; ``_transports`` holds this loop's open connections.
    def _accept_connection(self, protocol_factory: Any, sock: Any, *args: Any) -> None:
        delay = min(len(self._transports) * self.ACCEPT_DELAY_PER_CONNECTION, self.ACCEPT_DELAY_MAX)  # type: ignore[attr-defined]
        if delay <= 0:
            self._accept_one(protocol_factory, sock, *args)
            return
        self._remove_reader(sock.fileno())  # type: ignore[attr-defined]
        self.call_later(delay, self._resume_accepting, protocol_factory, sock, *args)

    def _resume_accepting(self, protocol_factory: Any, sock: Any, *args: Any) -> None:
        if sock.fileno() == -1:  # the server closed its socket meanwhile
            return
        self._add_reader(sock.fileno(), self._accept_connection, protocol_factory, sock, *args)  # type: ignore[attr-defined]
        self._accept_one(protocol_factory, sock, *args)

    def _accept_one(
        self, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None, backlog: int = 1, *args: Any
    ) -> None:
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *args)  # type: ignore[misc]


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose accepted connections asyncio will mark ``TCP_NODELAY``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror} (use --port)") from None
    sock.set_inheritable(True)
    return sock


def run_server(*, host: str, port: int, workers: int = 1) -> None:
    """Serve ``APP`` on ``host:port`` with ``workers`` processes until interrupted."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        APP,
        host=host,
        port=port,
        workers=workers,
        loop=LOOP,
        http="httptools",  # C parser; h11 (uvicorn's pure-Python default) cost 0.1-0.2 ms more CPU per request
        lifespan="on",
        log_level="info",
        access_log=False,
    )
    sock = listening_socket(host, port)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
