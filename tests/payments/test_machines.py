"""Property tests of the transition tables (DESIGN §4)."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.payments.enums import (
    ChargebackStatus,
    DepositStatus,
    Kind,
    RefundStatus,
    WithdrawalStatus,
)
from paydesk.payments.machines import (
    CHARGEBACK,
    DEPOSIT,
    MACHINES,
    REFUND,
    WITHDRAWAL,
    IllegalTransition,
    Machine,
    check_stage,
    machine_for,
)

ALL = list(MACHINES.values())


@pytest.mark.parametrize(
    ("machine", "enum"),
    [(DEPOSIT, DepositStatus), (WITHDRAWAL, WithdrawalStatus), (REFUND, RefundStatus), (CHARGEBACK, ChargebackStatus)],
)
def test_every_status_of_the_design_is_in_its_table(machine: Machine, enum: type) -> None:
    assert machine.statuses == set(enum.values)
    assert set(machine.rank) == machine.statuses
    assert all(target in machine.statuses for targets in machine.table.values() for target in targets)


def test_happy_paths_of_the_design_are_legal() -> None:
    paths = {
        DEPOSIT: ["initiated", "pending", "confirmed", "credited"],
        WITHDRAWAL: ["requested", "verification", "approved", "processing", "paid"],
        REFUND: ["requested", "pending", "succeeded"],
        CHARGEBACK: ["needs_response", "under_review", "won"],
    }
    for machine, path in paths.items():
        assert machine.initial == path[0]
        assert all(machine.allows(a, b) for a, b in itertools.pairwise(path))


def test_late_reversal_edges_are_exactly_the_design_ones() -> None:
    assert DEPOSIT.late_reversals == {
        ("credited", "refunded"),
        ("credited", "partially_refunded"),
        ("credited", "charged_back"),
    }
    assert WITHDRAWAL.late_reversals == {("paid", "returned")}
    assert REFUND.late_reversals == {("succeeded", "reversed")}


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.kind)
def test_no_edge_moves_backwards_except_late_reversals(machine: Machine) -> None:
    for source, targets in machine.table.items():
        for target in targets:
            if source in machine.settled:
                assert (source, target) in machine.late_reversals, (source, target)
            else:
                assert machine.rank[target] >= machine.rank[source], (source, target)


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.kind)
def test_every_status_is_reachable_from_the_initial_one(machine: Machine) -> None:
    seen = {machine.initial}
    frontier = [machine.initial]
    while frontier:
        for target in machine.table[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == machine.statuses


def test_terminal_statuses() -> None:
    assert DEPOSIT.terminal == {"declined", "failed", "expired", "cancelled", "refunded", "charged_back"}
    assert WITHDRAWAL.terminal == {"rejected", "cancelled", "failed", "returned"}
    assert REFUND.terminal == {"failed", "cancelled", "reversed"}
    assert CHARGEBACK.terminal == {"won", "lost", "accepted", "expired"}


def test_illegal_transition_names_transaction_state_and_target() -> None:
    with pytest.raises(IllegalTransition) as info:
        DEPOSIT.check(reference="DEP-1", from_status="credited", to_status="pending")
    assert info.value.message == (
        "transaction DEP-1 (deposit): illegal transition credited -> pending (not allowed from this status)"
    )
    with pytest.raises(IllegalTransition, match=r"declined -> confirmed \(final status\)"):
        DEPOSIT.check(reference="DEP-1", from_status="declined", to_status="confirmed")
    with pytest.raises(IllegalTransition, match=r"unknown withdrawal status"):
        WITHDRAWAL.check(reference="WD-1", from_status="requested", to_status="teleported")
    with pytest.raises(IllegalTransition, match=r"already in that status"):
        WITHDRAWAL.check(reference="WD-1", from_status="paid", to_status="paid")


def test_stale_sideways_move_is_refused_but_stale_progress_is_not() -> None:
    with pytest.raises(IllegalTransition, match=r"held -> confirmed \(out of order: the event is older"):
        DEPOSIT.check(reference="DEP-1", from_status="held", to_status="confirmed", stale=True)
    DEPOSIT.check(reference="DEP-1", from_status="held", to_status="confirmed", stale=False)
    DEPOSIT.check(reference="DEP-1", from_status="confirmed", to_status="credited", stale=True)


def test_repeated_partial_refund_is_allowed() -> None:
    DEPOSIT.check(reference="DEP-1", from_status="partially_refunded", to_status="partially_refunded")


def test_chargeback_stages() -> None:
    check_stage(reference="CB-1", from_stage="chargeback", to_stage="pre_arbitration", status="won")
    with pytest.raises(IllegalTransition, match="stage not reachable"):
        check_stage(reference="CB-1", from_stage="inquiry", to_stage="arbitration", status="needs_response")
    with pytest.raises(IllegalTransition, match="the dispute is closed"):
        check_stage(reference="CB-1", from_stage="chargeback", to_stage="second_chargeback", status="accepted")


def test_machine_for_unknown_kind() -> None:
    assert machine_for(Kind.DEPOSIT) is DEPOSIT
    with pytest.raises(ValueError, match="unknown transaction kind 'loan'"):
        machine_for("loan")


def _apply(machine: Machine, events: list[str] | list[tuple[str, int]]) -> tuple[str, list[str], list[str]]:
    """Fold events (optionally with event times) over the machine like the service does.

    Returns (final status, visited statuses, rejected events).
    """
    state = machine.initial
    state_time = -1
    visited = [state]
    rejected = []
    for item in events:
        event, at = item if isinstance(item, tuple) else (item, None)
        try:
            machine.check(reference="T", from_status=state, to_status=event, stale=at is not None and at < state_time)
        except IllegalTransition:
            rejected.append(event)
            continue
        state = event
        state_time = at if at is not None else state_time
        visited.append(state)
    return state, visited, rejected


machines_st = st.sampled_from(ALL)


@given(data=st.data(), machine=machines_st)
def test_no_sequence_of_events_reaches_a_forbidden_state(data: st.DataObject, machine: Machine) -> None:
    events = data.draw(st.lists(st.sampled_from(sorted(machine.statuses)), max_size=25))
    _, visited, _ = _apply(machine, events)
    for a, b in itertools.pairwise(visited):
        assert machine.allows(a, b)
        if (a, b) not in machine.late_reversals:
            assert machine.rank[b] >= machine.rank[a]


def _walk(machine: Machine, choices: list[int]) -> list[str]:
    path = [machine.initial]
    for choice in choices:
        targets = sorted(machine.table[path[-1]] - {path[-1]})
        if not targets:
            break
        path.append(targets[choice % len(targets)])
    return path


@given(data=st.data(), machine=machines_st)
def test_replaying_a_legal_history_in_any_order_never_goes_backwards(data: st.DataObject, machine: Machine) -> None:
    path = _walk(machine, data.draw(st.lists(st.integers(0, 50), min_size=1, max_size=8)))[1:]
    history = [(status, at) for at, status in enumerate(path)]
    shuffled = data.draw(st.permutations(history))
    final, visited, rejected = _apply(machine, list(shuffled))
    in_order_final, _, in_order_rejected = _apply(machine, history)
    assert in_order_rejected == []
    assert in_order_final == path[-1]
    # Either the shuffled replay lands where the true history did, or something was rejected (and logged by the
    # service) instead of being applied.
    assert final == in_order_final or rejected
    # Whatever the order, the path taken is made of legal forward moves (or listed late reversals).
    for a, b in itertools.pairwise(visited):
        assert machine.allows(a, b)
        assert machine.rank[b] >= machine.rank[a] or (a, b) in machine.late_reversals


@given(data=st.data(), machine=machines_st)
def test_duplicated_events_never_change_the_outcome_of_a_legal_history(data: st.DataObject, machine: Machine) -> None:
    history = _walk(machine, data.draw(st.lists(st.integers(0, 50), min_size=1, max_size=8)))[1:]
    duplicated = [event for event in history for _ in range(2)]
    final, _, _ = _apply(machine, duplicated)
    assert final == (history[-1] if history else machine.initial)
