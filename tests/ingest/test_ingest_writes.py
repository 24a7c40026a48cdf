"""What platform ingest writes, row by row, on SQLite and PostgreSQL (binary COPY with pre-assigned ids there)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from paydesk.payments import ingest
from paydesk.payments.ingest import transactions_ingest
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent
from tests.ingest.helpers import row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stripe_psp(db: None) -> Psp:
    return Psp.objects.create(code="stripe", name="Stripe", adapter="stripe")


def test_each_new_row_is_written_whole_with_its_own_timeline_event(stripe_psp: Psp) -> None:
    rows = [
        row("D-1"),
        row(
            "W-1", kind="withdrawal", status="paid", player_id="P-2", amount="0.05", method="", psp="", psp_reference=""
        ),
        row("C-1", kind="chargeback", status="needs_response", amount="1234.56", currency="usd", method="e_wallet"),
    ]

    result = transactions_ingest(rows=rows)

    assert (result.created, result.errors) == (3, [])
    got = {
        t.reference: (
            t.kind,
            t.status,
            t.dispute_stage,
            t.amount_minor,
            t.currency,
            t.player.external_id,
            t.method.type if t.method else None,
            t.psp_id,
            t.psp_reference,
            t.created_at,
            t.status_changed_at,
            t.metadata,
        )
        for t in Transaction.objects.select_related("player", "method")
    }
    created, updated = datetime(2026, 5, 1, 12, 0, tzinfo=UTC), datetime(2026, 5, 1, 12, 1, tzinfo=UTC)
    assert got == {
        "D-1": ("deposit", "credited", "", 15000, "EUR", "P-1", "card", stripe_psp.pk, "pi_D-1", created, updated, {}),
        "W-1": ("withdrawal", "paid", "", 5, "EUR", "P-2", None, None, None, created, updated, {}),
        "C-1": (
            "chargeback",
            "needs_response",
            "chargeback",
            123456,
            "USD",
            "P-1",
            "e_wallet",
            stripe_psp.pk,
            "pi_C-1",
            created,
            updated,
            {},
        ),
    }
    events = TransactionEvent.objects.select_related("transaction").order_by("transaction__reference")
    assert [
        (e.transaction.reference, e.idempotency_key, e.from_status, e.to_status, e.applied, e.payload, e.note)
        for e in events
    ] == [
        ("C-1", "create:C-1", "", "needs_response", True, {}, "imported from the platform ledger as chargeback "
         "needs_response, 1234.56 USD"),
        ("D-1", "create:D-1", "", "credited", True, {}, "imported from the platform ledger as deposit credited, "
         "150.00 EUR"),
        ("W-1", "create:W-1", "", "paid", True, {}, "imported from the platform ledger as withdrawal paid, 0.05 EUR"),
    ]  # fmt: skip
    assert sorted(PaymentMethod.objects.values_list("player__external_id", "type")) == [
        ("P-1", "card"),
        ("P-1", "e_wallet"),
    ]


def test_a_refused_move_keeps_its_row_number_in_the_event_payload() -> None:
    transactions_ingest(rows=[row("D-1")])

    result = transactions_ingest(rows=[row("D-0"), row("D-1", status="pending", updated_at="2026-05-01T12:09:00Z")])

    assert [(e.row, e.field) for e in result.errors] == [(2, "status")]
    refused = TransactionEvent.objects.get(applied=False)
    assert (refused.payload, refused.idempotency_key) == ({"row": 2}, "platform:D-1:pending:2026-05-01T12:09:00+00:00")


def test_a_nul_character_is_refused_for_its_row_only() -> None:
    # PostgreSQL text cannot hold NUL; before this check one such value failed the whole batch's COPY.
    result = transactions_ingest(rows=[row("D-1"), row("D-2", psp_reference="pi_\x00"), row("D-3")])

    assert [(e.row, e.reference, e.field, e.message) for e in result.errors] == [
        (2, "D-2", "psp_reference", "psp_reference contains a NUL character")
    ]
    assert sorted(Transaction.objects.values_list("reference", flat=True)) == ["D-1", "D-3"]


def test_a_reference_inserted_concurrently_makes_the_chunk_start_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another import commits D-2 between this chunk's read of the existing references and its write: the write hits
    # the unique constraint (COPY on PostgreSQL), the chunk starts again and sees D-2 as existing.
    transactions_ingest(rows=[row("D-2", psp_reference="")])  # no PSP reference: only the reference collides
    real = ingest._lock_existing
    calls: list[list[str]] = []

    def first_read_misses_d2(references: list[str]) -> dict[str, Any]:
        calls.append(references)
        found = real(references)
        return {k: v for k, v in found.items() if k != "D-2"} if len(calls) == 1 else found

    monkeypatch.setattr(ingest, "_lock_existing", first_read_misses_d2)

    result = transactions_ingest(rows=[row("D-1"), row("D-2", psp_reference=""), row("D-3")])

    assert (len(calls), result.created, result.unchanged, result.errors) == (2, 2, 1, [])
    assert sorted(Transaction.objects.values_list("reference", flat=True)) == ["D-1", "D-2", "D-3"]
    assert TransactionEvent.objects.count() == 3
    assert Player.objects.count() == 1


def test_the_transactions_table_keeps_only_the_indexes_queries_use(postgres: None) -> None:
    # Every index costs each bulk-ingested row (~1 µs of PostgreSQL CPU); these are the ones a query or constraint
    # needs (migrations 0003 and 0004 say why the others went). A new one belongs here with the query that needs it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN "
            "('payments_transaction', 'payments_transactionevent') ORDER BY tablename, indexname"
        )
        defs = [(table, definition.split(" USING ", 1)[1]) for table, definition in cursor.fetchall()]
    assert defs == [
        ("payments_transaction", "btree (method_id)"),
        ("payments_transaction", "btree (id)"),
        ("payments_transaction", "btree (psp_id)"),
        ("payments_transaction", "btree (psp_reference, psp_id) WHERE (psp_reference IS NOT NULL)"),
        ("payments_transaction", "btree (reference)"),
        ("payments_transaction", "btree (created_at)"),
        ("payments_transaction", "btree (kind, status, status_changed_at)"),
        ("payments_transaction", "btree (parent_id) WHERE (parent_id IS NOT NULL)"),
        ("payments_transaction", "btree (player_id, created_at DESC)"),
        ("payments_transaction", "btree (status)"),
        ("payments_transactionevent", "btree (id)"),
        ("payments_transactionevent", "btree (idempotency_key)"),
        ("payments_transactionevent", "btree (actor_id) WHERE (actor_id IS NOT NULL)"),
        ("payments_transactionevent", "btree (transaction_id, occurred_at)"),
    ]


def test_references_with_array_syntax_characters_are_found_again() -> None:
    # PostgreSQL receives the batch's references as one array literal: quotes, backslashes, commas, braces and
    # spaces inside a reference must come back as the same reference.
    odd = ['D-"1"', "D-\\2", "D-3,4", "{D-5}", "D 6", "NULL"]
    transactions_ingest(rows=[row(r, status="pending", player_id=r, psp_reference=f"pi {r}") for r in odd])

    result = transactions_ingest(
        rows=[
            row(r, status="confirmed", player_id=r, psp_reference=f"pi {r}", updated_at="2026-05-01T12:05:00Z")
            for r in odd
        ]
    )

    assert (result.created, result.updated, result.errors, result.players_created) == (0, 6, [], 0)
    assert sorted(Transaction.objects.values_list("reference", "status", "player__external_id")) == sorted(
        (r, "confirmed", r) for r in odd
    )
