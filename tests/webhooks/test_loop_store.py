"""Grouped webhook inserts on the event loop (``payments/loop_store.py``), against a fake database: who waits, what
is grouped, who gets which id, and what a failure does to the others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paydesk.core.loop_db import DatabaseUnavailable
from paydesk.payments.loop_store import Key, LoopEventStore

Statement = tuple[str, list[Any]]


class FakeDb:
    """Stores (psp, key) pairs given two parameters a row; each fetch waits until ``release``d when gated."""

    def __init__(self, *, gated: bool = False, fail_on: str | None = None, down: bool = False) -> None:
        self.stored: dict[Key, int] = {}
        self.calls: list[list[Statement]] = []
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()
        self.fail_on = fail_on
        self.down = down

    async def fetch(self, statements: list[Statement], *, atomic: bool = False) -> list[tuple[Any, ...]]:
        self.calls.append(statements)
        await self.gate.wait()
        if self.down:
            raise DatabaseUnavailable(ConnectionRefusedError("connection refused"))
        pairs = [(params[i], params[i + 1]) for _, params in statements for i in range(0, len(params), 2)]
        if self.fail_on is not None and any(key == self.fail_on for _, key in pairs):
            raise ValueError(f"bad value {self.fail_on!r}")
        rows = []
        for pair in pairs:
            if pair not in self.stored:
                self.stored[pair] = len(self.stored) + 1
                rows.append((self.stored[pair], *pair))
        return rows


def _store(db: FakeDb, *, flushes: int = 1, max_rows: int = 100) -> LoopEventStore:
    return LoopEventStore(db, insert_sql=lambda rows: f"INSERT {rows}", max_rows=max_rows, flushes=flushes)  # type: ignore[arg-type]


def _request(*keys: str, psp: str = "stripe") -> tuple[list[Statement], list[Key]]:
    params = [value for key in keys for value in (psp, key)]
    return [(f"INSERT {len(keys)}", params)], [(psp, key) for key in keys]


async def _store_all(store: LoopEventStore, db: FakeDb, requests: list[tuple[str, ...]]) -> list[Any]:
    tasks = [asyncio.ensure_future(store.store(*_request(*keys))) for keys in requests]
    await asyncio.sleep(0)  # every request has arrived before the first insert is answered
    db.gate.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_requests_arriving_while_an_insert_is_in_flight_share_the_next() -> None:
    db = FakeDb(gated=True)
    store = _store(db, flushes=1)

    ids = asyncio.run(_store_all(store, db, [("evt_1",), ("evt_2", "evt_3"), ("evt_2",), ("evt_4",)]))

    # The first went alone at once; the three that came while it was in flight went together in one statement.
    assert [[sql for sql, _ in call] for call in db.calls] == [["INSERT 1"], ["INSERT 4"]]
    assert ids == [[1], [2, 3], [None], [4]]  # evt_2 is new for the request that sent it first
    assert len(db.calls) == 2


def test_with_an_insert_free_a_request_never_waits_for_others() -> None:
    db = FakeDb(gated=True)
    store = _store(db, flushes=3)

    asyncio.run(_store_all(store, db, [("a",), ("b",), ("c",), ("d",)]))

    assert [[sql for sql, _ in call] for call in db.calls] == [["INSERT 1"], ["INSERT 1"], ["INSERT 1"], ["INSERT 1"]]


def test_a_group_is_at_most_max_rows() -> None:
    db = FakeDb(gated=True)
    store = _store(db, flushes=1, max_rows=3)

    ids = asyncio.run(_store_all(store, db, [("a",), ("b", "c"), ("d",), ("e", "f", "g"), ("h",)]))

    assert [[sql for sql, _ in call] for call in db.calls] == [["INSERT 1"], ["INSERT 3"], ["INSERT 3"], ["INSERT 1"]]
    assert ids == [[1], [2, 3], [4], [5, 6, 7], [8]]


def test_a_failing_group_is_retried_request_by_request_so_only_the_bad_one_fails() -> None:
    db = FakeDb(gated=True, fail_on="bad")
    store = _store(db, flushes=1)

    results = asyncio.run(_store_all(store, db, [("first",), ("good",), ("x", "bad"), ("also-good",)]))

    assert results[0] == [1]
    assert results[1] == [2]
    assert isinstance(results[2], ValueError)
    assert results[3] == [3]
    assert set(db.stored) == {("stripe", "first"), ("stripe", "good"), ("stripe", "also-good")}


def test_an_unreachable_database_fails_the_whole_group_without_retrying() -> None:
    db = FakeDb(gated=True, down=True)
    store = _store(db, flushes=1)

    results = asyncio.run(_store_all(store, db, [("a",), ("b",), ("c",)]))

    assert all(isinstance(result, DatabaseUnavailable) for result in results)
    assert len(db.calls) == 2  # the first alone, then b and c together; no retries


def test_a_request_of_several_statements_is_stored_alone_in_one_transaction() -> None:
    db = FakeDb()
    store = _store(db)
    statements = [("INSERT 2", ["stripe", "a", "stripe", "b"]), ("INSERT 1", ["stripe", "a"])]

    ids = asyncio.run(store.store(statements, [("stripe", "a"), ("stripe", "b"), ("stripe", "a")]))

    assert ids == [1, 2, None]
    assert db.calls == [statements]


def test_the_same_key_under_two_psps_is_two_events() -> None:
    db = FakeDb(gated=True)
    store = _store(db, flushes=1)

    async def run() -> list[Any]:
        first = asyncio.ensure_future(store.store(*_request("evt_1", psp="stripe")))
        second = asyncio.ensure_future(store.store(*_request("evt_1", psp="stripe-eu")))
        third = asyncio.ensure_future(store.store(*_request("evt_1", psp="stripe")))
        await asyncio.sleep(0)
        db.gate.set()
        return list(await asyncio.gather(first, second, third))

    assert asyncio.run(run()) == [[1], [2], [None]]


@settings(max_examples=60, deadline=None)
@given(
    requests=st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=4), min_size=1, max_size=12),
    flushes=st.integers(1, 3),
    max_rows=st.integers(1, 8),
    stored_before=st.sets(st.sampled_from("abcdefgh"), max_size=3),
)
def test_every_event_is_new_exactly_once_whatever_the_grouping(
    requests: list[list[str]], flushes: int, max_rows: int, stored_before: set[str]
) -> None:
    db = FakeDb(gated=True)
    for key in sorted(stored_before):
        db.stored[("stripe", key)] = len(db.stored) + 1
    store = _store(db, flushes=flushes, max_rows=max(max_rows, max(len(r) for r in requests)))

    results = asyncio.run(_store_all(store, db, [tuple(keys) for keys in requests]))

    new = [
        (key, event_id)
        for keys, ids in zip(requests, results, strict=True)
        for key, event_id in zip(keys, ids, strict=True)
    ]
    accepted = [key for key, event_id in new if event_id is not None]
    assert sorted(accepted) == sorted({key for keys in requests for key in keys} - stored_before)
    # ... and in arrival order: an event's first sender gets the id, every later one a duplicate.
    first_senders: dict[str, tuple[int, int]] = {}
    for index, keys in enumerate(requests):
        for position, key in enumerate(keys):
            first_senders.setdefault(key, (index, position))
    for (index, position), key in ((v, k) for k, v in first_senders.items() if k not in stored_before):
        assert results[index][position] == db.stored[("stripe", key)]


@pytest.mark.parametrize("flushes", [1, 2])
def test_a_cancelled_request_does_not_break_the_others(flushes: int) -> None:
    db = FakeDb(gated=True)
    store = _store(db, flushes=flushes)

    async def run() -> list[Any]:
        tasks = [asyncio.ensure_future(store.store(*_request(key))) for key in ("a", "b", "c")]
        await asyncio.sleep(0)
        tasks[1].cancel()
        db.gate.set()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    results = asyncio.run(run())

    assert results[0] == [1]
    assert isinstance(results[1], asyncio.CancelledError)
    assert results[2] == [results[2][0]]
    assert set(db.stored) == {("stripe", "a"), ("stripe", "b"), ("stripe", "c")}  # b was stored all the same
