from datetime import UTC, datetime, timedelta, timezone

import pytest

from paydesk.core import clock


def test_now_is_timezone_aware_utc() -> None:
    assert clock.now().tzinfo is UTC


def test_frozen_clock_nests_and_restores() -> None:
    outer = datetime(2026, 1, 1, 12, tzinfo=UTC)
    inner = datetime(2026, 1, 1, 15, tzinfo=timezone(timedelta(hours=3)))
    with clock.frozen(outer):
        assert clock.now() == outer
        with clock.frozen(inner):
            assert clock.now() == datetime(2026, 1, 1, 12, tzinfo=UTC)
            assert clock.now().tzinfo is UTC
        assert clock.now() == outer
    assert clock.now() != outer


def test_frozen_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(datetime(2026, 1, 1)):
        pass
