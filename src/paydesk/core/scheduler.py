"""Periodic jobs: one registry, two runners.

In production Celery beat schedules ``PERIODIC_JOBS``; in the embedded default ``EmbeddedScheduler`` (a daemon
thread started by ``paydesk demo``/``serve``) calls the same functions in-process. A job that raises is logged and
retried on its next tick; it never kills the thread.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    task_name: str  # dotted path of the task function (also its Celery task name)
    every_seconds: float

    def resolve(self) -> Callable[[], object]:
        module_name, _, attr = self.task_name.rpartition(".")
        # Celery task objects are callable with the same signature as the wrapped function.
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("paydesk.simulate.tasks.simulate_live_tick", 5.0),
    PeriodicJob("paydesk.payments.tasks.sweep_stuck_transactions", 60.0),
    PeriodicJob("paydesk.payments.tasks.webhook_events_retry", 60.0),
    PeriodicJob("paydesk.sla.tasks.sla_scan", 60.0),
    PeriodicJob("paydesk.tickets.tasks.dispatch", 30.0),
    PeriodicJob("paydesk.tickets.tasks.autoclose", 300.0),
)


class EmbeddedScheduler:
    def __init__(self, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS, *, tick: float = 1.0) -> None:
        self._jobs = jobs
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paydesk-scheduler", daemon=True)
        self._next_due: dict[str, float] = {}

    def start(self) -> None:
        # Import every job's module here, in the starting thread, before the scheduler thread exists: the server
        # loads its application (which imports the same modules) right after, and two threads importing one
        # package at once can see it half-initialized ("partially initialized module", seen on a fresh checkout).
        for job in self._jobs:
            job.resolve()
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_due(self, now: float) -> None:
        for job in self._jobs:
            due = self._next_due.get(job.task_name, now)
            if now < due:
                continue
            self._next_due[job.task_name] = now + job.every_seconds
            try:
                close_old_connections()
                job.resolve()()
            except Exception:
                logger.exception("periodic job %s failed; it will run again on its next tick", job.task_name)
            finally:
                close_old_connections()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_due(time.monotonic())
            self._stop.wait(self._tick)
