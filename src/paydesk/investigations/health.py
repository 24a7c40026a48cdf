"""PSP health: failure rate per PSP and payment method over sliding windows, from the ledger in one grouped query.

An incident is a window whose failure rate is both high in absolute terms and well above the PSP's own baseline
(the longest window), with enough attempts that a handful of declines cannot raise it. Cards are declined every
day for ordinary reasons, so the baseline matters: 12 % declines on cards is normal, 50 % in the last hour is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from paydesk.core import clock
from paydesk.payments.enums import DepositStatus, Kind, WithdrawalStatus
from paydesk.payments.models import Transaction

WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("15m", timedelta(minutes=15)),
    ("1h", timedelta(hours=1)),
    ("24h", timedelta(hours=24)),
)
BASELINE = ("7d", timedelta(days=7))
MIN_ATTEMPTS = 10
MIN_RATE = 0.4
BASELINE_FACTOR = 3.0

FAILED_STATUSES: dict[str, tuple[str, ...]] = {
    Kind.DEPOSIT: (DepositStatus.DECLINED, DepositStatus.FAILED),
    Kind.WITHDRAWAL: (WithdrawalStatus.FAILED,),
}


@dataclass(frozen=True, slots=True)
class WindowStats:
    window: str
    attempts: int
    failures: int

    @property
    def rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


@dataclass(frozen=True, slots=True)
class PspHealth:
    psp: str
    method: str
    kind: str
    windows: tuple[WindowStats, ...]
    baseline: WindowStats

    @property
    def incident(self) -> WindowStats | None:
        """The shortest window that looks like an incident, or None."""
        threshold = max(MIN_RATE, BASELINE_FACTOR * self.baseline.rate)
        for stats in self.windows:
            if stats.attempts >= MIN_ATTEMPTS and stats.rate >= threshold:
                return stats
        return None


def psp_health(*, kind: str = Kind.DEPOSIT, now: datetime | None = None) -> dict[tuple[str, str], PspHealth]:
    """Health of every (PSP code, method type) that saw ``kind`` attempts in the baseline window. One query."""
    at = now or clock.now()
    failed = FAILED_STATUSES.get(kind, ())
    aggregates = {}
    for name, span in (*WINDOWS, BASELINE):
        since = Q(created_at__gt=at - span)
        aggregates[f"a_{name}"] = Count("id", filter=since)
        aggregates[f"f_{name}"] = Count("id", filter=since & Q(status__in=failed))
    rows = (
        Transaction.objects.filter(kind=kind, psp__isnull=False, created_at__gt=at - BASELINE[1], created_at__lte=at)
        .values("psp__code", "method__type")
        .annotate(**aggregates)
        .order_by()
    )
    result: dict[tuple[str, str], PspHealth] = {}
    for values in rows:
        row: dict[str, Any] = dict(values)
        method = row["method__type"] or ""
        result[(row["psp__code"], method)] = PspHealth(
            psp=row["psp__code"],
            method=method,
            kind=kind,
            windows=tuple(WindowStats(name, row[f"a_{name}"], row[f"f_{name}"]) for name, _ in WINDOWS),
            baseline=WindowStats(BASELINE[0], row[f"a_{BASELINE[0]}"], row[f"f_{BASELINE[0]}"]),
        )
    return result
