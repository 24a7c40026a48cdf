"""Hot-path SQL as PostgreSQL prepared statements, on Django's own connection and inside its transaction.

For the statements a busy endpoint runs on every request (the webhook receipt: the PSP lookup and the insert),
Django's cursor cost more CPU than the query: a ``SELECT 1`` through it took ~95 µs of Python, against ~45 µs for a
prepared statement on psycopg's server-binding cursor, which also spares PostgreSQL parsing and planning it again.
``fetch`` runs one statement that way. It uses the connection Django manages (so an ``atomic()`` block around it
holds), and Django's error wrapper (so callers see ``django.db`` exceptions and a broken connection is marked for
closing, exactly as through ``connection.cursor()``). Other databases (SQLite in the test suite and the demo) run
the same SQL through Django's cursor; placeholders are ``%s`` in both.

Queries run this way do not appear in ``connection.queries``; keep it to statements that are measured to matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connection


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` with ``params``; the rows it returns (none for a statement without a result)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
    connection.ensure_connection()
    # A server-binding cursor (Django's default cursor binds on the client and cannot prepare); prepare=True makes
    # psycopg prepare the statement on this connection once and reuse it.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description else []
