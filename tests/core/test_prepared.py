"""``core.prepared``: prepared statements on Django's connection, inside its transaction, with Django's errors."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from paydesk.core import prepared
from paydesk.payments.models import Psp

pytestmark = pytest.mark.django_db


def test_fetch_returns_rows_and_runs_inside_the_open_transaction() -> None:
    psp = Psp.objects.create(code="prep", name="Prep", adapter="generic")

    rows = prepared.fetch(f"SELECT id, code FROM {Psp._meta.db_table} WHERE code = %s", ["prep"])  # noqa: S608

    assert rows == [(psp.pk, "prep")]


def test_a_write_is_undone_with_the_atomic_block_around_it() -> None:
    Psp.objects.create(code="prep", name="Prep", adapter="generic")
    rename = f"UPDATE {Psp._meta.db_table} SET name = %s WHERE code = %s"  # noqa: S608

    seen_inside = ""
    try:
        with transaction.atomic():
            prepared.fetch(rename, ["Renamed", "prep"])
            seen_inside = Psp.objects.get(code="prep").name
            raise RuntimeError("roll back")
    except RuntimeError:
        pass

    assert (seen_inside, Psp.objects.get(code="prep").name) == ("Renamed", "Prep")


def test_database_errors_arrive_as_django_errors() -> None:
    Psp.objects.create(code="dup", name="One", adapter="generic")
    sql = (
        f"INSERT INTO {Psp._meta.db_table} (code, name, adapter, methods, norms, is_active) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s)"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        prepared.fetch(sql, ["dup", "Two", "generic", "[]", "{}", True])

    assert list(Psp.objects.filter(code="dup").values_list("name", flat=True)) == ["One"]


def test_on_postgresql_the_statement_is_prepared_once_and_reused(postgres: None) -> None:
    sql = "SELECT %s::int + 1"

    assert [prepared.fetch(sql, [n])[0][0] for n in (1, 2, 3)] == [2, 3, 4]

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1'")
        assert cursor.fetchone() == (1,)


def test_prepared_statements_can_be_turned_off_for_old_poolers(monkeypatch: pytest.MonkeyPatch) -> None:
    from paydesk.config import settings as paydesk_settings

    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anything")
    on = paydesk_settings._database()["OPTIONS"]
    monkeypatch.setenv("PAYDESK_DB_PREPARED_STATEMENTS", "0")
    off = paydesk_settings._database().get("OPTIONS", {})

    assert (on["prepare_threshold"], "prepare_threshold" in off) == (1_000_000, False)
