"""In-process background processing of stored webhook events (``PAYDESK_WEBHOOK_PROCESSING=background``).

For a single embedded server without a broker: the request stores the event and answers at once, and one daemon
thread per process applies queued events in arrival order. A queue lost with the process loses no event: whatever
is still ``received`` is picked up by the periodic ``webhook_events_retry``.
"""

from __future__ import annotations

import logging
import queue
import threading

from django.db import connections

logger = logging.getLogger(__name__)

_queue: queue.SimpleQueue[int] = queue.SimpleQueue()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def background_submit(event_id: int) -> None:
    global _thread
    _queue.put(event_id)
    if _thread is None or not _thread.is_alive():
        with _lock:
            if _thread is None or not _thread.is_alive():
                _thread = threading.Thread(target=_run, name="paydesk-webhooks", daemon=True)
                _thread.start()


def _run() -> None:
    from paydesk.payments.tasks import webhook_event_process_task

    while True:
        event_id = _queue.get()
        try:
            webhook_event_process_task(event_id)
        except Exception:  # keep the thread alive; the event stays failed/received for the retry job
            logger.exception("background processing of webhook event %s failed", event_id)
        finally:
            if _queue.empty():
                # Idle: give the connection back (to the pool when serving) instead of holding it open.
                connections.close_all()
