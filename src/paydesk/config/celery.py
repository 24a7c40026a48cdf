"""Celery application: production runs ``paydesk worker`` against Redis; embedded runs tasks eagerly.

Periodic jobs are listed once in ``paydesk.core.scheduler.PERIODIC_JOBS`` and fed both to Celery beat and to the
embedded scheduler thread, so the same task functions run either way.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")

app = Celery("paydesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]
def _setup_periodic(sender: Celery, **_: object) -> None:
    from paydesk.core.scheduler import PERIODIC_JOBS

    for job in PERIODIC_JOBS:
        sender.add_periodic_task(job.every_seconds, sender.signature(job.task_name), name=job.task_name)
