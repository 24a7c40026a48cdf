"""ASGI entry point served by uvicorn (``paydesk serve``): HTTP requests run Django's synchronous handler on a
fixed pool of threads, one crossing per request (``config.bridge``); PSP webhooks, on PostgreSQL, are answered on
the event loop itself (``api/webhook_receipt.py``).

Every Paydesk view and middleware is synchronous. Under Django's own ``ASGIHandler`` such a stack hops threads for
each middleware method and each request signal, through a new single-thread executor per request: measured 2.4 ms of
CPU for an empty view, in process, against 0.47 ms when the whole request runs once on a pool thread
(bench/webhooks/README.md). A fixed pool also bounds the database connections a worker process can take.
"""

import os

from django.core.wsgi import get_wsgi_application

from paydesk.config.bridge import DjangoBridge

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")

# Threads per worker process serving requests; the PostgreSQL pool is sized from the same number (settings).
HTTP_THREADS = int(os.environ.get("PAYDESK_HTTP_THREADS", "8"))

_django = get_wsgi_application()  # sets Django up; the webhook route reads its settings

from paydesk.api.webhook_receipt import webhook_routes  # noqa: E402 - needs Django set up

application = DjangoBridge(_django, threads=HTTP_THREADS, routes=webhook_routes())
