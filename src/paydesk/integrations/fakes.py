"""Fakes beside the real adapters: in-memory implementations of the ports for tests and local runs.

A fake records every call it gets, so a test can assert both what the desk asked and what it did with the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paydesk.integrations.ports import PspStatusQuery, PspStatusReply


@dataclass
class FakePspStatusClient:
    """Answers ``fetch_status`` from a dict keyed by our transaction reference (missing: the PSP has no news)."""

    replies: dict[str, PspStatusReply] = field(default_factory=dict)
    calls: list[PspStatusQuery] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def fetch_status(self, query: PspStatusQuery) -> PspStatusReply | None:
        self.calls.append(query)
        if query.reference in self.failing:
            raise ConnectionError(f"PSP {query.psp_code} did not answer for {query.reference}")
        return self.replies.get(query.reference)
