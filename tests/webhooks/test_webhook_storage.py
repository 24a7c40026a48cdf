"""How webhook events are stored: the indexes every receipt pays for are only the ones receipts and queries need."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_storing_an_event_writes_only_the_indexes_it_needs(postgres: None) -> None:
    # A new event is stored as received, with no transaction and no orphan references: the partial indexes
    # (migration 0005) skip it, so a receipt writes the primary key, the unique key, the status and the PSP.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'payments_webhookevent' ORDER BY indexname")
        defs = [definition.split(" USING ", 1)[1] for (definition,) in cursor.fetchall()]

    assert sorted(defs) == sorted(
        [
            "btree (id)",
            "btree (psp_id)",
            "btree (psp_code, event_key)",
            "btree (status, received_at)",
            "btree (match_reference) WHERE ((status)::text = 'orphan'::text)",
            "btree (match_psp_reference) WHERE ((status)::text = 'orphan'::text)",
            "btree (transaction_id) WHERE (transaction_id IS NOT NULL)",
        ]
    )
