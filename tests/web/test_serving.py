"""How Paydesk is served: the listening socket keeps Nagle off, and the ASGI app answers through Django's handler."""

import asyncio
import socket

import httpx
import pytest

from paydesk.config.serving import listening_socket


def test_listening_socket_is_tcp_so_asyncio_sets_nodelay_on_accepted_connections() -> None:
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert sock.proto == socket.IPPROTO_TCP
    assert seen == [1]


def test_listening_socket_names_a_port_in_use() -> None:
    first = listening_socket("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            listening_socket("127.0.0.1", port).close()
    finally:
        first.close()


@pytest.mark.django_db
def test_asgi_application_serves_django_views_with_content_length() -> None:
    from paydesk.config.asgi import application

    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/healthz")

    response = asyncio.run(main())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
