"""Running uvicorn for ``paydesk serve`` and ``paydesk demo``: one listening socket, one or more worker processes.

The socket is bound here rather than by uvicorn because uvicorn's multi-worker path (``--workers N``) creates it
without ``IPPROTO_TCP``; asyncio then leaves Nagle's algorithm on for every accepted connection, and each
keep-alive response after the first waits ~40 ms for the client's delayed ACK (uvicorn issue #3149; measured here:
44 ms per request on an empty view with two workers, 1 ms with this socket). A socket created with the protocol
set hands asyncio what it needs to turn on ``TCP_NODELAY``.
"""

from __future__ import annotations

import socket

APP = "paydesk.config.asgi:application"


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
        APP, host=host, port=port, workers=workers, lifespan="off", log_level="info", access_log=False
    )
    sock = listening_socket(host, port)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
