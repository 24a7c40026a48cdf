from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from paydesk.core import clock
from paydesk.core.audit import GENESIS, audit_record, audit_verify
from paydesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _record(n: int, actor: User | None = None) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(action="test.act", actor=actor, object_type="thing", object_id=i, data={"i": i, "x": "ü"})
            )
    return events


def test_events_are_chained_in_sequence() -> None:
    user = User.objects.create(username="alice")
    first, second, third = _record(3, actor=user)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert first.actor_label == "alice"
    report = audit_verify()
    assert report.ok
    assert report.checked == 3


@pytest.mark.django_db(transaction=True)
def test_audit_record_requires_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(action="x", actor=None, object_type="t", object_id=1)
    assert AuditEvent.objects.count() == 0


def test_rolled_back_action_leaves_no_event_and_no_gap() -> None:
    _record(1)

    def doomed() -> None:
        with transaction.atomic():
            audit_record(action="doomed", actor=None, object_type="t", object_id=1)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        doomed()
    (second,) = _record(1)
    assert second.seq == 2
    assert audit_verify().ok


def test_events_refuse_update_and_delete_through_the_orm() -> None:
    (event,) = _record(1)
    event.action = "edited"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_detects_an_edited_event() -> None:
    _record(3)
    table = AuditEvent._meta.db_table
    _raw(f"UPDATE {table} SET object_id = %s WHERE seq = %s", ["tampered", 2])  # noqa: S608
    report = audit_verify()
    assert [(p.seq, p.problem) for p in report.problems] == [(2, "content does not match its hash (event edited)")]


def test_verify_detects_a_deleted_middle_event() -> None:
    _record(3)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq = %s", [2])  # noqa: S608
    problems = audit_verify().problems
    assert [p.seq for p in problems] == [3, 3]
    assert problems[0].problem.startswith("sequence gap: expected #2, found #3")
    assert problems[1].problem.startswith("previous-hash link broken")


def test_verify_detects_a_deleted_tail() -> None:
    _record(3)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq = %s", [3])  # noqa: S608
    problems = audit_verify().problems
    assert [(p.seq, p.problem) for p in problems] == [(3, "chain head says #3 but the log ends at #2")]


def test_verify_detects_edited_data_payload() -> None:
    with clock.frozen(datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)):
        _record(2)
    _raw(f"UPDATE {AuditEvent._meta.db_table} SET actor_label = %s WHERE seq = %s", ["mallory", 1])  # noqa: S608
    assert [p.seq for p in audit_verify().problems] == [1]
