from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paydesk.investigations.evaluation import EXPECTED, evaluate
from paydesk.simulate.catalogue import Scenario
from paydesk.simulate.seed import seed_world

ANCHOR = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_every_simulated_failure_mode_is_diagnosed_as_written_in_the_expectations() -> None:
    # 150 players over 30 days with seed 1 is the smallest world we found that has every scenario in it.
    seeded = seed_world(players=150, days=30, seed=1, anchor=ANCHOR)
    # Every failure-mode transaction and every 10th "ok" one (the bench runs them all).
    report = evaluate(tag=seeded.tag, anchor=seeded.anchor, ok_every=10)
    print(report.table())
    scenarios = {scenario for _, scenario in report.confusion}
    assert scenarios == {s.value for s in Scenario}
    assert report.total > 300
    assert report.mistakes == []
    assert report.correct == report.total
    assert report.detail_correct == report.detail_checked > 0
    # Each scenario's main outcome is present and right, not only its "no issue" tail.
    for (kind, scenario), _codes in report.confusion.items():
        assert (kind, scenario) in EXPECTED, (kind, scenario)
    assert report.confusion[("deposit", "issuer_decline")]["deposit_declined"] > 0
    assert report.confusion[("deposit", "confirmed_not_credited")]["deposit_confirmed_not_credited"] > 0
    assert report.confusion[("deposit", "duplicate_charge")]["duplicate_deposit"] > 0
    assert report.confusion[("deposit", "three_ds_abandoned")]["deposit_3ds_not_completed"] > 0
    assert report.confusion[("deposit", "psp_error")]["deposit_failed"] > 0
    assert report.confusion[("deposit", "payment_expired")]["deposit_expired"] > 0
    assert report.confusion[("withdrawal", "paid_not_received")]["paid_not_received"] > 0
    assert report.confusion[("withdrawal", "payout_failed")]["payout_failed"] > 0
    assert report.confusion[("withdrawal", "bonus_wagering")]["bonus_wagering_incomplete"] > 0
    assert "psp_incident" not in {code for counts in report.confusion.values() for code in counts}
