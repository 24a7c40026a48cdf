"""Getting stored webhook events to the worker with a broker: a wake-up flag and a draining task, not a task each.

Publishing a Celery task per webhook cost 0.8 ms of CPU in the request (kombu builds a Redis pipeline per message),
as much as the rest of the acceptance. Instead:

* A request, after committing its events, makes sure the flag ``FLAG`` is set in Redis (``SET NX``); the request that
  finds it unset queues one ``webhook_events_drain`` task. A process that saw the flag set less than
  ``MEMO_SECONDS`` ago skips the Redis call altogether (under load, nearly every request).
* The drain processes every ``received`` event in id order, and keeps polling every ``POLL_SECONDS`` until it has
  found nothing for ``LINGER_SECONDS``; only then does it delete the flag, and it drains once more after deleting it.

Why nothing is stranded: a request that skipped the Redis call committed within ``MEMO_SECONDS`` of another request
seeing the flag set, and that other request's event was committed before it looked. A drain deletes the flag only
``LINGER_SECONDS`` after it last found an event, so it is still polling when the skipping request's event lands, or
that event is found by the final pass after the deletion; an event committed after the deletion by a request whose
memo is fresh can only happen if that request stalled for more than ``LINGER_SECONDS - MEMO_SECONDS`` between its
commit and its flag check. That case, a lost drain task, and Redis being unreachable all leave the event ``received``
for the periodic ``webhook_events_retry`` to apply. Processing is ``webhook_event_process`` per event, each in its own
transaction, exactly as with one task per event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from django.db.models import QuerySet

from paydesk.payments.enums import WebhookEventStatus
from paydesk.payments.models import WebhookEvent

logger = logging.getLogger(__name__)

FLAG = "paydesk:webhooks:drain-queued"
# A lost drain task (worker killed before it ran) must not block wake-ups for good.
FLAG_TTL_SECONDS = 60
BATCH = 200
MEMO_SECONDS = 1.0
POLL_SECONDS = 0.2
LINGER_SECONDS = 5.0

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()
_flag_seen_at = float("-inf")  # monotonic time this process last saw the flag set


def _client(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.setdefault(url, redis.Redis.from_url(url))
    return client


def drain_recently_woken() -> bool:
    """Whether this process saw the flag set less than ``MEMO_SECONDS`` ago (so ``drain_wake`` would do nothing)."""
    return time.monotonic() - _flag_seen_at < MEMO_SECONDS


def drain_wake(broker_url: str, queue_drain: Callable[[], object]) -> bool:
    """After a commit that stored events: queue a drain unless one is queued or running. True when one was queued."""
    global _flag_seen_at
    if drain_recently_woken():
        return False
    now = time.monotonic()
    try:
        queued = bool(_client(broker_url).set(FLAG, b"1", nx=True, ex=FLAG_TTL_SECONDS))
        _flag_seen_at = now
        if queued:
            queue_drain()
    except redis.RedisError:
        logger.warning("could not wake the webhook drain; stored events wait for webhook_events_retry", exc_info=True)
        return False
    return queued


def drain_until_idle(broker_url: str, process: Callable[[int], object], *, linger: float = LINGER_SECONDS) -> int:
    """The drain task's body: process waiting events until none has come for ``linger`` seconds, then release the
    flag and take a last look. The number of events processed."""
    done = 0
    idle_since = time.monotonic()
    while True:
        found = drain(process)
        done += found
        now = time.monotonic()
        if found:
            idle_since = now
            # Still draining: keep the flag alive past its TTL so a long backlog does not queue a second drain.
            _client(broker_url).expire(FLAG, FLAG_TTL_SECONDS)
        elif now - idle_since >= linger:
            break
        else:
            time.sleep(POLL_SECONDS)
    _client(broker_url).delete(FLAG)
    return done + drain(process)


def received_events() -> QuerySet[WebhookEvent, int]:
    return WebhookEvent.objects.filter(status=WebhookEventStatus.RECEIVED).order_by("pk").values_list("pk", flat=True)


def drain(process: Callable[[int], object]) -> int:
    """Process every ``received`` event, oldest first, in batches; the number processed.

    The scan only moves forward (ids above the last batch), so an event that stays ``received`` after its
    processing (the database refused even the failure mark) ends the drain instead of spinning it. An event with a
    lower id committed after the scan passed it queued a drain of its own when it committed.
    """
    done = 0
    last = 0
    while True:
        ids = list(received_events().filter(pk__gt=last)[:BATCH])
        if not ids:
            return done
        for event_id in ids:
            process(event_id)
        done += len(ids)
        last = ids[-1]
