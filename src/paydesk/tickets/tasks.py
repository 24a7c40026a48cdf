"""Ticket periodic jobs: auto-close quiet resolved tickets, and hand waiting queue tickets to available agents."""

from __future__ import annotations

from celery import shared_task

from paydesk.tickets.services import queue_dispatch, tickets_autoclose


@shared_task(name="paydesk.tickets.tasks.autoclose")  # type: ignore[untyped-decorator]
def autoclose() -> int:
    return tickets_autoclose()


@shared_task(name="paydesk.tickets.tasks.dispatch")  # type: ignore[untyped-decorator]
def dispatch() -> int:
    return queue_dispatch()
