"""Business-time arithmetic against a brute-force oracle that steps minute by minute and reads the wall clock.

The oracle knows nothing of offset segments or indexes: a UTC minute is open when its local wall-clock time falls in
a period that started on a non-holiday local date, and not inside a pause.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from paydesk.sla.calendar import BusinessClock, CalendarSpec

ZONES = ("Europe/Berlin", "America/Sao_Paulo", "UTC", "Australia/Lord_Howe", "America/New_York")
# Days around real offset changes, so most examples cross one.
DST_DAYS = (
    datetime(2021, 3, 28, tzinfo=UTC),  # Berlin spring forward 02:00 -> 03:00
    datetime(2021, 10, 31, tzinfo=UTC),  # Berlin fall back 03:00 -> 02:00
    datetime(2017, 10, 15, 3, tzinfo=UTC),  # Sao Paulo spring forward at midnight (00:00 -> 01:00)
    datetime(2018, 2, 18, 2, tzinfo=UTC),  # Sao Paulo fall back at midnight (00:00 -> 23:00 the day before)
    datetime(2018, 11, 4, 3, tzinfo=UTC),  # Sao Paulo spring forward
    datetime(2019, 2, 17, 2, tzinfo=UTC),  # Sao Paulo's last fall back before DST was abolished
    datetime(2021, 4, 4, tzinfo=UTC),  # Lord Howe: a 30-minute change
    datetime(2021, 3, 14, 7, tzinfo=UTC),  # New York spring forward
    datetime(2021, 11, 7, 6, tzinfo=UTC),  # New York fall back
)
STEP_LIMIT = 20000


def oracle_open(spec: CalendarSpec, tz: ZoneInfo, minute_start: datetime) -> bool:
    local = minute_start.astimezone(tz).replace(tzinfo=None)
    minute_of_day = local.hour * 60 + local.minute
    for back in (0, 1):
        day = local.date() - timedelta(days=back)
        if day in spec.holidays:
            continue
        for start, end in spec.weekly[day.weekday()]:
            if start <= minute_of_day + back * 1440 < end:
                return True
    return False


def in_pause(at: datetime, pauses: list[tuple[datetime, datetime]]) -> bool:
    return any(p <= at < q for p, q in pauses)


def oracle_add(
    spec: CalendarSpec, start: datetime, minutes: int, pauses: list[tuple[datetime, datetime]]
) -> datetime | None:
    tz = ZoneInfo(spec.timezone)
    if minutes == 0:
        return start
    counted, at = 0, start
    for _ in range(STEP_LIMIT):
        if oracle_open(spec, tz, at) and not in_pause(at, pauses):
            counted += 1
            if counted == minutes:
                return at + timedelta(minutes=1)
        at += timedelta(minutes=1)
    return None


def oracle_between(spec: CalendarSpec, a: datetime, b: datetime, pauses: list[tuple[datetime, datetime]]) -> int:
    tz = ZoneInfo(spec.timezone)
    total, at = 0, a
    while at < b:
        if oracle_open(spec, tz, at) and not in_pause(at, pauses):
            total += 1
        at += timedelta(minutes=1)
    return total


minutes_of_day = st.integers(min_value=0, max_value=95).map(lambda q: q * 15)


@st.composite
def periods(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    chosen = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        start = draw(minutes_of_day)
        length = draw(st.integers(min_value=1, max_value=64).map(lambda q: q * 15))  # up to 16 h, may cross midnight
        chosen.append((start, start + length))
    return tuple(sorted(chosen))


@st.composite
def scenario(draw: st.DrawFn) -> tuple[CalendarSpec, datetime]:
    zone = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(DST_DAYS))
    start = base + timedelta(minutes=draw(st.integers(min_value=-3 * 1440, max_value=2 * 1440)))
    weekly = tuple(draw(periods()) for _ in range(7))
    assume(any(weekly))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    holidays = frozenset(
        local_day + timedelta(days=d) for d in draw(st.sets(st.integers(min_value=-1, max_value=6), max_size=3))
    )
    return CalendarSpec(timezone=zone, weekly=weekly, holidays=holidays), start


@st.composite
def pause_list(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime]]:
    result = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        begin = start + timedelta(minutes=draw(st.integers(min_value=-120, max_value=4 * 1440)))
        result.append((begin, begin + timedelta(minutes=draw(st.integers(min_value=1, max_value=1440)))))
    return result


@settings(max_examples=60)
@given(data=st.data(), case=scenario(), minutes=st.integers(min_value=0, max_value=900))
def test_add_matches_the_oracle(data: st.DataObject, case: tuple[CalendarSpec, datetime], minutes: int) -> None:
    spec, start = case
    pauses = data.draw(pause_list(start))
    expected = oracle_add(spec, start, minutes, pauses)
    assume(expected is not None)
    assert BusinessClock(spec).add_minutes(start, minutes, pauses) == expected


@settings(max_examples=60)
@given(case=scenario(), span=st.integers(min_value=0, max_value=5 * 1440), data=st.data())
def test_between_matches_the_oracle(case: tuple[CalendarSpec, datetime], span: int, data: st.DataObject) -> None:
    spec, start = case
    pauses = data.draw(pause_list(start))
    end = start + timedelta(minutes=span)
    assert BusinessClock(spec).minutes_between(start, end, pauses) == oracle_between(spec, start, end, pauses)


@settings(max_examples=40)
@given(case=scenario(), minutes=st.integers(min_value=1, max_value=600))
def test_add_then_between_round_trips(case: tuple[CalendarSpec, datetime], minutes: int) -> None:
    spec, start = case
    clock = BusinessClock(spec)
    deadline = clock.add_minutes(start, minutes)
    assert clock.minutes_between(start, deadline) == minutes
    # Earliest: one second earlier, the time has not yet elapsed.
    assert clock.between(start, deadline - timedelta(seconds=1)) == minutes * 60 - 1


def test_spring_forward_gap_period_opens_when_clocks_jump() -> None:
    # 2021-03-28 Berlin: 02:00 does not exist; a Sunday 02:30-05:00 period opens at 03:00 local (01:00 UTC).
    spec = CalendarSpec(timezone="Europe/Berlin", weekly=((),) * 6 + (((150, 300),),))
    clock = BusinessClock(spec)
    day_start = datetime(2021, 3, 27, 22, tzinfo=UTC)
    assert clock.minutes_between(day_start, day_start + timedelta(days=1)) == 120
    assert clock.add_minutes(day_start, 1) == datetime(2021, 3, 28, 1, 1, tzinfo=UTC)


def test_fall_back_overlap_counts_the_repeated_hour_twice() -> None:
    # 2021-10-31 Berlin: 02:00-03:00 happens twice; a Sunday 01:00-04:00 period lasts four real hours.
    spec = CalendarSpec(timezone="Europe/Berlin", weekly=((),) * 6 + (((60, 240),),))
    start = datetime(2021, 10, 30, 22, tzinfo=UTC)
    assert BusinessClock(spec).minutes_between(start, start + timedelta(days=1)) == 240


def test_holiday_closes_the_night_period_that_starts_on_it() -> None:
    # Friday 22:00 - Saturday 06:00 every day of the week; Friday 2024-05-03 is a holiday.
    night = ((1320, 1800),)
    spec = CalendarSpec(timezone="UTC", weekly=(night,) * 7, holidays=frozenset({date(2024, 5, 3)}))
    clock = BusinessClock(spec)
    friday_evening = datetime(2024, 5, 3, 21, tzinfo=UTC)
    # Thursday's night ended at 06:00 Friday; Friday's night is a holiday; Saturday's night starts 22:00 Saturday.
    assert clock.add_minutes(friday_evening, 60) == datetime(2024, 5, 4, 23, tzinfo=UTC)


def test_twenty_four_seven_is_plain_arithmetic() -> None:
    clock = BusinessClock(CalendarSpec.twenty_four_seven())
    start = datetime(2024, 1, 1, 12, 0, 30, tzinfo=UTC)
    pause = (datetime(2024, 1, 1, 13, tzinfo=UTC), datetime(2024, 1, 1, 14, tzinfo=UTC))
    assert clock.add_minutes(start, 120, [pause]) == datetime(2024, 1, 1, 15, 0, 30, tzinfo=UTC)
    assert clock.minutes_between(start, datetime(2024, 1, 2, 12, 0, 30, tzinfo=UTC), [pause]) == 1380
