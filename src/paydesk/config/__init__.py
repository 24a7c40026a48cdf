"""Project configuration. The Celery app is loaded with it so ``shared_task``s bind to Paydesk's app (eager in the
embedded default, Redis in production) and never to Celery's unconfigured default."""

from paydesk.config.celery import app as celery_app

__all__ = ["celery_app"]
