"""Storing webhook events from the event loop: concurrent requests of one process share inserts (group commit).

On the loop route (``api/webhook_receipt.py``) every webhook's insert is its own transaction, and for PostgreSQL
the commit — a WAL flush — costs more than the row. So requests that arrive while ``flushes`` inserts are already
in flight wait for the next one, which stores all of them in one ``INSERT … ON CONFLICT DO NOTHING`` and one
commit. A request never waits for others to arrive: with fewer inserts in flight, its own starts at once; grouping
only happens under load, and only as much as the load makes.

What each request keeps: its events are stored all together or not at all (one statement); an event already
stored, or sent twice in the group, is a duplicate for every request but the first to send it; and one request's
bad data cannot fail the others: when a group insert fails for any reason but the database being unreachable,
each request of it is retried alone. A request of more than ``INSERT_BATCH`` events is never grouped (its own
statements, in one transaction).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paydesk.core.loop_db import DatabaseUnavailable, LoopDatabase

logger = logging.getLogger(__name__)

Row = tuple[Any, ...]
Statement = tuple[str, list[Any]]
Key = tuple[str, str]  # (PSP code, event key): what the unique constraint is on


def new_ids(rows: list[Row], requests: list[list[Key]]) -> list[list[int | None]]:
    """Per request, per event: the id the insert gave it, or None for a duplicate. ``rows`` are the inserts'
    ``(id, psp_code, event_key)``; an event sent twice (by two requests, or twice in one) is new only the first
    time, in the order of ``requests``."""
    new = {(psp_code, key): int(event_id) for event_id, psp_code, key in rows}
    return [[new.pop(key, None) for key in keys] for keys in requests]


@dataclass(slots=True)
class _Pending:
    """One request's insert: its rows' parameters, its events' keys, and where their ids go."""

    params: list[Any]
    keys: list[Key]
    done: asyncio.Future[list[int | None]] = field(repr=False)

    @property
    def rows(self) -> int:
        return len(self.keys)


class LoopEventStore:
    """Group inserts of webhook events through ``db``, at most ``flushes`` in flight at once.

    ``insert_sql(rows)`` is the statement storing ``rows`` events (``RETURNING id, psp_code, event_key`` of those
    it stored); ``max_rows`` the most rows one statement takes.
    """

    def __init__(self, db: LoopDatabase, *, insert_sql: Callable[[int], str], max_rows: int, flushes: int = 1) -> None:
        self.db = db
        self.insert_sql = insert_sql
        self.max_rows = max_rows
        self.flushes = flushes
        self._waiting: list[_Pending] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def store(self, statements: list[Statement], keys: list[Key]) -> list[int | None]:
        """Run one request's insert ``statements`` (storing the events ``keys``); per event its new id, or None
        for a duplicate."""
        if len(statements) != 1:  # a request too big for one statement is stored on its own, atomically
            return new_ids(await self.db.fetch(statements, atomic=True), [keys])[0]
        pending = _Pending(statements[0][1], keys, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        if self._in_flight < self.flushes:
            self._flush_next()
        return await pending.done

    def _flush_next(self) -> None:
        group: list[_Pending] = []
        size = 0
        while self._waiting and (not group or size + self._waiting[0].rows <= self.max_rows):
            pending = self._waiting.pop(0)
            group.append(pending)
            size += pending.rows
        self._in_flight += 1
        task = asyncio.get_running_loop().create_task(self._flush(group, size))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, group: list[_Pending], size: int) -> None:
        try:
            params = group[0].params if len(group) == 1 else [value for p in group for value in p.params]
            try:
                rows = await self.db.fetch([(self.insert_sql(size), params)])
            except DatabaseUnavailable as exc:
                for pending in group:
                    _settle(pending, exc=exc)
                return
            except Exception as exc:
                if len(group) == 1:
                    _settle(group[0], exc=exc)
                    return
                logger.warning("a group of %d webhook inserts failed (%s); storing each alone", len(group), exc)
                await asyncio.gather(*(self._alone(pending) for pending in group))
                return
            for pending, ids in zip(group, new_ids(rows, [p.keys for p in group]), strict=True):
                _settle(pending, ids=ids)
        finally:
            self._in_flight -= 1
            if self._waiting:
                self._flush_next()

    async def _alone(self, pending: _Pending) -> None:
        try:
            rows = await self.db.fetch([(self.insert_sql(pending.rows), pending.params)])
            _settle(pending, ids=new_ids(rows, [pending.keys])[0])
        except Exception as exc:
            _settle(pending, exc=exc)


def _settle(pending: _Pending, *, ids: list[int | None] | None = None, exc: BaseException | None = None) -> None:
    if pending.done.done():  # the request went away (cancelled) meanwhile
        return
    if exc is not None:
        pending.done.set_exception(exc)
    else:
        pending.done.set_result(ids if ids is not None else [])
