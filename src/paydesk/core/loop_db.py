"""PostgreSQL from the event loop: a small pool of async psycopg connections per server process.

For the one request that arrives far more often than any other, the PSP webhook, a round trip through Django's
synchronous stack costs more than the work: the request thread blocks on the socket, sleeps, wakes and takes the
GIL back from the event loop and the other requests (0.5–0.9 ms of server CPU per webhook, measured in
bench/webhooks). Served on the event loop instead, the request waits for PostgreSQL without a thread at all
(``api/webhook_receipt.py``).

``LoopDatabase`` owns those connections. They are made from the same ``DATABASES`` entry as Django's (so the test
database under tests), in autocommit: every statement is its own transaction unless ``fetch(..., atomic=True)``
runs several in one. Statements are prepared once per connection (``prepare=True``), as ``core/prepared.py`` does
on Django's connection, unless ``PAYDESK_DB_PREPARED_STATEMENTS=0``. The pool opens lazily on the running loop,
once per process (uvicorn's workers import the application before their loop runs), and is bounded so a burst of
webhooks cannot take more than ``size`` connections from PostgreSQL. A connection that cannot be had, or that
breaks, raises ``DatabaseUnavailable`` — nothing was stored, so the caller answers "retry later".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connections
from psycopg_pool import AsyncConnectionPool, PoolTimeout

# Connection options Django passes to its own (synchronous) connections that an async connection must not get.
_SYNC_ONLY_OPTIONS = ("cursor_factory", "context", "pool")


class DatabaseUnavailable(Exception):
    """No connection could be had or the one in use broke; nothing the statement would have written was written."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.reason = type(cause).__name__


class LoopDatabase:
    """Up to ``size`` autocommit connections to the ``alias`` database, used from one event loop."""

    def __init__(self, *, alias: str = "default", size: int = 4, timeout: float = 10.0) -> None:
        self.alias = alias
        self.size = size
        self.timeout = timeout
        self.prepare = True
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]] | None = None
        self._opening = asyncio.Lock()

    def connection_params(self) -> dict[str, Any]:
        """The keyword arguments of ``psycopg.AsyncConnection.connect``, from Django's settings for the alias."""
        params = dict(connections[self.alias].get_connection_params())
        for option in _SYNC_ONLY_OPTIONS:
            params.pop(option, None)
        params["autocommit"] = True
        # Settings put a threshold in the options only where prepared statements are allowed; without one, Django
        # turns them off on its connections (for PgBouncer in transaction mode), and so do these.
        self.prepare = params.get("prepare_threshold") is not None
        if not self.prepare:
            params["prepare_threshold"] = None
        return params

    async def fetch(
        self, statements: Sequence[tuple[str, Sequence[Any]]], *, atomic: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run ``statements`` in order (in one transaction when ``atomic``); the rows they returned, concatenated."""
        pool = self._pool or await self._open()
        rows: list[tuple[Any, ...]] = []
        try:
            async with pool.connection(timeout=self.timeout) as conn:
                if atomic and len(statements) > 1:
                    async with conn.transaction():
                        for sql, params in statements:
                            rows += await self._run(conn, sql, params)
                else:
                    for sql, params in statements:
                        rows += await self._run(conn, sql, params)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise DatabaseUnavailable(exc) from exc
        return rows

    async def _run(
        self, conn: psycopg.AsyncConnection[tuple[Any, ...]], sql: str, params: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        cursor = await conn.execute(sql, params, prepare=self.prepare or None)
        return await cursor.fetchall() if cursor.description else []

    async def _open(self) -> AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]]:
        async with self._opening:
            if self._pool is None:
                pool: AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]] = AsyncConnectionPool(
                    kwargs=self.connection_params(),
                    min_size=1,
                    max_size=self.size,
                    timeout=self.timeout,
                    open=False,
                    name=f"paydesk-loop-{self.alias}",
                )
                await pool.open(wait=False)
                self._pool = pool
            return self._pool

    async def close(self) -> None:
        """Close every connection (tests; a server process just exits)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
