"""The simulated PSPs answering status polls (``PspStatusClient``) for the stuck-transaction sweeper in the demo.

A simulated payment carries its plan in ``metadata["sim"]["plan"]``: what its PSP does and when. Asked about a
payment, a simulated PSP reports the latest PSP-side step that has already happened (due by now) and that the
ledger could still take from where the payment stands — in particular the steps it never sent as webhooks
(source ``psp_poll``), which only a poll reveals. Nothing due: no news (None), like a real PSP with nothing new.
"""

from __future__ import annotations

from paydesk.core import clock
from paydesk.integrations.ports import PspStatusQuery, PspStatusReply
from paydesk.payments.enums import EventSource
from paydesk.payments.machines import machine_for
from paydesk.payments.models import Transaction
from paydesk.simulate.world import EventSpec

_PSP_SOURCES = frozenset({EventSource.PSP_WEBHOOK, EventSource.PSP_POLL})


class SimulatedPspStatusClient:
    def fetch_status(self, query: PspStatusQuery) -> PspStatusReply | None:
        txn = Transaction.objects.filter(reference=query.reference).only("kind", "status", "metadata").first()
        if txn is None:
            return None
        sim = txn.metadata.get("sim") if isinstance(txn.metadata, dict) else None
        items = sim.get("plan") if isinstance(sim, dict) else None
        if not isinstance(items, list):
            return None
        now = clock.now()
        machine = machine_for(txn.kind)
        answer: EventSpec | None = None
        for item in items:
            if not isinstance(item, dict):
                continue
            spec = EventSpec.from_plan(item)
            if spec.at > now:
                break
            if spec.source in _PSP_SOURCES and machine.allows(txn.status, spec.to_status):
                answer = spec
        if answer is None:
            return None
        return PspStatusReply(
            psp_status=answer.psp_status or answer.to_status,
            status=answer.to_status,
            occurred_at=answer.at,
            reason=answer.note,
            payload={"simulated": True, "step": answer.index},
        )
