"""``transaction_diagnose``: what happened to a transaction and what to do next. A read; it changes nothing.

Queries are fixed: the investigation selector (three or four, see ``selectors``) plus one grouped query for PSP
health, skipped when the caller passes health it computed once for many diagnoses (the evaluation does). An unknown
reference is an answer, not an error: a ``transaction_not_found`` finding that lists the details to ask for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from paydesk.core import clock
from paydesk.investigations.findings import Diagnosis
from paydesk.investigations.health import PspHealth, psp_health
from paydesk.investigations.rules import Inputs, diagnose_inputs, not_found
from paydesk.investigations.selectors import investigation_get
from paydesk.payments.enums import Kind

HealthMap = Mapping[tuple[str, str], PspHealth]


def transaction_diagnose(
    *,
    reference: str,
    claim: str | None = None,
    now: datetime | None = None,
    health: Mapping[str, HealthMap] | None = None,
) -> Diagnosis:
    """Diagnose ``reference`` (ours or the PSP's). ``claim`` is the inquiry's triage category, if any.

    ``health`` maps a transaction kind to ``psp_health(kind=…)``; without it the health of this transaction's kind
    is computed here (one query).
    """
    at = now or clock.now()
    investigation = investigation_get(reference=reference)
    if investigation is None:
        return Diagnosis(
            reference=reference,
            transaction_found=False,
            kind=None,
            status=None,
            findings=(not_found(reference),),
            diagnosed_at=at,
        )
    txn = investigation.transaction
    txn_health: PspHealth | None = None
    if txn.psp is not None and txn.kind in (Kind.DEPOSIT, Kind.WITHDRAWAL):
        by_kind = health.get(txn.kind) if health is not None else None
        if by_kind is None:
            by_kind = psp_health(kind=txn.kind, now=at)
        txn_health = by_kind.get((txn.psp.code, txn.method.type if txn.method else ""))
    findings = diagnose_inputs(Inputs(investigation=investigation, now=at, health=txn_health, claim=claim))
    return Diagnosis(
        reference=txn.reference,
        transaction_found=True,
        kind=txn.kind,
        status=txn.status,
        findings=tuple(findings),
        diagnosed_at=at,
    )
