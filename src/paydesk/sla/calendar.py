"""Business calendars and business-time arithmetic: the only code that says how long "8 business hours" is.

A calendar is data: a timezone, weekly opening periods in local wall-clock time (several per day; a period whose end
is not after its start crosses midnight into the next day), holiday dates, or "always open" (24/7). Rules protected:

- An instant is open when its local wall-clock time lies inside a period that started on a local date that is not a
  holiday (a holiday closes the periods that start on it, including the part of a night period after midnight).
- DST is exact: the UTC timeline is cut where the zone's offset changes, and each piece maps local periods through
  its own offset. A period starting in the spring-forward gap opens when the clocks jump; in the autumn overlap the
  repeated hour counts twice, as a wall clock would show it.
- ``add`` returns the earliest instant at which the given business time has elapsed (``add(t, 0) == t``);
  ``between`` counts business time in ``[a, b)``. Pauses (e.g. ``pending_customer``) are removed from business time.
- Arithmetic is in whole seconds; instants are floored to the second.

``BusinessClock`` keeps a lazily extended index of open intervals with prefix sums, so each call is two binary
searches; clocks are cached per calendar, which makes recomputing 100,000 deadlines cheap.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from paydesk.core.errors import ValidationError

DAY = 86400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RE = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")
# Index grows in chunks; a calendar with no open time in this long is refused instead of searched forever.
_CHUNK_DAYS = 64
_MAX_SEARCH_DAYS = 3 * 366


class CalendarError(ValidationError):
    code = "invalid-calendar"


Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """An immutable, hashable calendar. ``weekly[d]`` lists (start, end) in minutes after local midnight for weekday
    ``d`` (Monday = 0); ``end`` may exceed 1440 for a period that crosses midnight."""

    timezone: str = "UTC"
    weekly: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    @classmethod
    def twenty_four_seven(cls) -> CalendarSpec:
        return cls(always_open=True)

    @classmethod
    def from_data(
        cls,
        *,
        timezone: str,
        hours: Mapping[str, Sequence[Sequence[str]]] | None,
        holidays: Iterable[date] = (),
        always_open: bool = False,
    ) -> CalendarSpec:
        """Build from stored data: ``hours`` like ``{"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}``."""
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown timezone {timezone!r}") from exc
        if always_open:
            return cls(timezone=timezone, always_open=True, holidays=frozenset(holidays))
        hours = hours or {}
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"unknown weekday(s) {', '.join(sorted(unknown))}; use {', '.join(WEEKDAYS)}")
        weekly: list[tuple[tuple[int, int], ...]] = []
        for day in WEEKDAYS:
            periods: list[tuple[int, int]] = []
            for raw in hours.get(day, ()):
                if len(raw) != 2:
                    raise CalendarError(f"{day}: a period is [start, end], got {list(raw)!r}")
                start, end = _parse_time(day, raw[0]), _parse_time(day, raw[1])
                if start >= 1440:
                    raise CalendarError(f"{day}: a period cannot start at 24:00")
                if end == start:
                    raise CalendarError(f"{day}: period {raw[0]}-{raw[1]} is empty (use 00:00-24:00 for a whole day)")
                if end < start:
                    end += 1440
                periods.append((start, end))
            weekly.append(tuple(sorted(periods)))
        spec = cls(timezone=timezone, weekly=tuple(weekly), holidays=frozenset(holidays))
        if not any(spec.weekly):
            raise CalendarError("calendar has no opening hours; add periods or mark it 24/7")
        return spec

    def is_open_local(self, local: datetime) -> bool:
        """Is this naive local wall-clock time inside an opening period? (Readable reference used by the admin.)"""
        minute = local.hour * 60 + local.minute
        for back in (0, 1):
            day = local.date() - timedelta(days=back)
            if day in self.holidays:
                continue
            for start, end in self.weekly[day.weekday()]:
                if start <= minute + back * 1440 < end:
                    return True
        return False


def _parse_time(day: str, text: str) -> int:
    match = _TIME_RE.match(str(text).strip())
    if match is None:
        raise CalendarError(f"{day}: {text!r} is not a time like 09:30")
    hours, minutes = int(match.group("h")), int(match.group("m"))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise CalendarError(f"{day}: {text!r} is not a valid time of day")
    return hours * 60 + minutes


def _epoch(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("business-time arithmetic needs timezone-aware datetimes")
    return int(at.timestamp() // 1)


def _from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _offset(tz: ZoneInfo, epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def offset_segments(tz: ZoneInfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """Cut ``[start, end)`` where the zone's UTC offset changes: (from, to, offset seconds) pieces.

    Probes once a day and bisects to the second where the offset differs; zones change offset at most once a day.
    """
    segments: list[tuple[int, int, int]] = []
    seg_start, seg_offset, probe = start, _offset(tz, start), start
    last = end - 1
    while probe < last:
        nxt = min(probe + DAY, last)
        if _offset(tz, nxt) == seg_offset:
            probe = nxt
            continue
        lo, hi = probe, nxt  # offset(lo) is the segment's, offset(hi) is not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(tz, mid) == seg_offset:
                lo = mid
            else:
                hi = mid
        segments.append((seg_start, hi, seg_offset))
        seg_start, seg_offset, probe = hi, _offset(tz, hi), hi
    segments.append((seg_start, end, seg_offset))
    return segments


def open_intervals(spec: CalendarSpec, start: int, end: int) -> list[Interval]:
    """Open time of ``spec`` inside UTC ``[start, end)`` (epoch seconds), merged and sorted."""
    if spec.always_open:
        return [(start, end)] if end > start else []
    tz = ZoneInfo(spec.timezone)
    first_day = datetime.fromtimestamp(start, tz).date() - timedelta(days=2)
    last_day = datetime.fromtimestamp(end, tz).date() + timedelta(days=1)
    epoch_day0 = date(1970, 1, 1)
    local: list[Interval] = []
    day = first_day
    while day <= last_day:
        if day not in spec.holidays:
            base = (day - epoch_day0).days * DAY
            for p_start, p_end in spec.weekly[day.weekday()]:
                local.append((base + p_start * 60, base + p_end * 60))
        day += timedelta(days=1)
    local = _merge(local)
    local_ends = [e for _, e in local]
    result: list[Interval] = []
    for seg_from, seg_to, offset in offset_segments(tz, start, end):
        # A segment has one offset, so local wall time = UTC + offset is monotonic inside it.
        for l_start, l_end in local[bisect_right(local_ends, seg_from + offset) :]:
            if l_start - offset >= seg_to:
                break
            u_start, u_end = max(l_start - offset, seg_from), min(l_end - offset, seg_to)
            if u_end > u_start:
                result.append((u_start, u_end))
    return _merge(result)


class BusinessClock:
    """Business-time arithmetic for one calendar over a lazily extended index of open intervals (thread-safe)."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._origin = 0
        self._horizon = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum: list[int] = []  # business seconds before interval i, counted from the origin
        self._cum_end: list[int] = []

    # -- index ---------------------------------------------------------------------------------------------------
    def _rebuild(self, origin: int, horizon: int) -> None:
        intervals = open_intervals(self.spec, origin, horizon)
        self._origin, self._horizon = origin, horizon
        self._starts, self._ends, self._cum, self._cum_end = [], [], [], []
        self._append(intervals)

    def _append(self, intervals: list[Interval]) -> None:
        total = self._cum_end[-1] if self._cum_end else 0
        for start, end in intervals:
            if self._ends and start <= self._ends[-1]:
                # Contiguous with the previous chunk's last interval: extend it.
                total += end - self._ends[-1]
                self._ends[-1] = end
                self._cum_end[-1] = total
                continue
            self._starts.append(start)
            self._ends.append(end)
            self._cum.append(total)
            total += end - start
            self._cum_end.append(total)

    def _cover(self, at: int, *, jump: bool = True) -> None:
        """Make the index reach ``at``; a far-away instant starts a fresh index instead of growing towards it."""
        fresh = self._horizon == self._origin
        if fresh or (jump and (at >= self._horizon + _CHUNK_DAYS * DAY or at < self._origin - 366 * DAY)):
            self._rebuild(at - 8 * DAY, at + _CHUNK_DAYS * DAY)
        elif at < self._origin:
            self._rebuild(at - 8 * DAY, self._horizon)
        while at >= self._horizon:
            self._extend()

    def _extend(self) -> None:
        new_horizon = self._horizon + _CHUNK_DAYS * DAY
        self._append(open_intervals(self.spec, self._horizon, new_horizon))
        self._horizon = new_horizon

    def _cum_at(self, at: int) -> int:
        i = bisect_right(self._starts, at) - 1
        if i < 0:
            return 0
        return self._cum[i] + min(at, self._ends[i]) - self._starts[i]

    def _add_seconds(self, start: int, seconds: int) -> int:
        if seconds <= 0:
            return start
        if self.spec.always_open:
            return start + seconds
        with self._lock:
            self._cover(start)
            target = self._cum_at(start) + seconds
            searched_from = self._horizon
            while not self._cum_end or self._cum_end[-1] < target:
                if self._horizon - searched_from > _MAX_SEARCH_DAYS * DAY:
                    raise CalendarError("calendar has no business hours for years ahead; check its hours and holidays")
                self._extend()
            j = bisect_left(self._cum_end, target)
            return self._starts[j] + (target - self._cum[j])

    def _between_seconds(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        if self.spec.always_open:
            return b - a
        with self._lock:
            self._cover(a)
            self._cover(b, jump=False)
            return self._cum_at(b) - self._cum_at(a)

    # -- public API ------------------------------------------------------------------------------------------------
    def between(self, a: datetime, b: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()) -> int:
        """Business seconds in ``[a, b)``, not counting paused time."""
        start, end = _epoch(a), _epoch(b)
        total = self._between_seconds(start, end)
        for p_start, p_end in _clip_pauses(pauses, start, end):
            total -= self._between_seconds(p_start, p_end)
        return total

    def add(self, start: datetime, seconds: int, pauses: Sequence[tuple[datetime, datetime]] = ()) -> datetime:
        """The earliest instant at which ``seconds`` of business time (not counting pauses) have passed."""
        if seconds < 0:
            raise ValueError("cannot add negative business time")
        begin = _epoch(start)
        merged = _merge((_epoch(p), _epoch(q)) for p, q in pauses) if pauses else []
        result = self._add_seconds(begin, seconds)
        # Fixed point: every round pushes the result past the business time that pauses swallowed before it.
        while merged:
            paused = sum(self._between_seconds(p, q) for p, q in _clip(merged, begin, result))
            moved = self._add_seconds(begin, seconds + paused) if seconds + paused > 0 else begin
            if moved == result:
                break
            result = moved
        return _from_epoch(result)

    def add_minutes(self, start: datetime, minutes: int, pauses: Sequence[tuple[datetime, datetime]] = ()) -> datetime:
        return self.add(start, minutes * 60, pauses)

    def minutes_between(self, a: datetime, b: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()) -> int:
        return self.between(a, b, pauses) // 60

    def is_open(self, at: datetime) -> bool:
        moment = _epoch(at)
        return self._between_seconds(moment, moment + 1) == 1


def _clip(merged: list[Interval], start: int, end: int) -> list[Interval]:
    return [(max(p, start), min(q, end)) for p, q in merged if q > start and p < end]


def _clip_pauses(pauses: Sequence[tuple[datetime, datetime]], start: int, end: int) -> list[Interval]:
    return _clip(_merge((_epoch(p), _epoch(q)) for p, q in pauses), start, end)


@lru_cache(maxsize=128)
def clock_for(spec: CalendarSpec) -> BusinessClock:
    """The shared clock of a calendar (its index is reused across calls)."""
    return BusinessClock(spec)


def add_business_minutes(
    spec: CalendarSpec, start: datetime, minutes: int, pauses: Sequence[tuple[datetime, datetime]] = ()
) -> datetime:
    return clock_for(spec).add_minutes(start, minutes, pauses)


def business_minutes_between(
    spec: CalendarSpec, a: datetime, b: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()
) -> int:
    return clock_for(spec).minutes_between(a, b, pauses)


def spec_to_data(spec: CalendarSpec) -> dict[str, Any]:
    """The stored shape of a calendar (inverse of ``CalendarSpec.from_data``)."""

    def fmt(minute: int) -> str:
        minute = minute if minute <= 1440 else minute - 1440
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return {
        "timezone": spec.timezone,
        "always_open": spec.always_open,
        "hours": {WEEKDAYS[d]: [[fmt(s), fmt(e)] for s, e in spec.weekly[d]] for d in range(7) if spec.weekly[d]},
        "holidays": sorted(day.isoformat() for day in spec.holidays),
    }
