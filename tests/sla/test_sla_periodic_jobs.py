"""The ticket and SLA periodic jobs are registered and run (the scheduler would only log a failure)."""

from __future__ import annotations

import pytest

from paydesk.core.scheduler import PERIODIC_JOBS

OURS = ("paydesk.sla.tasks.sla_scan", "paydesk.tickets.tasks.dispatch", "paydesk.tickets.tasks.autoclose")


@pytest.mark.django_db
def test_ticket_and_sla_jobs_are_registered_and_run() -> None:
    jobs = {job.task_name: job for job in PERIODIC_JOBS}
    assert {name: jobs[name].every_seconds for name in OURS} == {
        "paydesk.sla.tasks.sla_scan": 60.0,
        "paydesk.tickets.tasks.dispatch": 30.0,
        "paydesk.tickets.tasks.autoclose": 300.0,
    }
    results = [jobs[name].resolve()() for name in OURS]
    assert results == [{"warnings": 0, "breaches": 0, "notified": 0, "bumped": 0, "escalated": 0}, 0, 0]
