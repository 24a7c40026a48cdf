"""Shared test setup: database selection, service requirements and hypothesis profiles.

Tests run on SQLite by default and on PostgreSQL when DATABASE_URL points at one (CI does both). A test that needs
a service it cannot reach is skipped with the reason, except under PAYDESK_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REQUIRE_SERVICES = os.environ.get("PAYDESK_REQUIRE_SERVICES") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (CI) when a service or data set a test needs is not there."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def shared_data() -> Path:
    need(SHARED_DATA.is_dir(), f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def postgres(db: None) -> None:
    # A plain skip even in CI: CI runs the whole suite twice, and the PostgreSQL run executes these tests.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…); this run is on SQLite")


# Reference data that migrations seed (role groups, resolution codes, teams). A transactional test flushes every
# table when it ends, so tests that run after one would find none; put it back before each database test.
_REFERENCE_SEEDS = (
    ("paydesk.core.migrations.0002_role_groups", "create_groups"),
    ("paydesk.tickets.migrations.0002_resolution_codes", "seed"),
    ("paydesk.tickets.migrations.0003_default_teams", "seed"),
)


def _reseed_reference_data() -> None:
    import importlib

    from django.apps import apps as global_apps

    for module_name, function in _REFERENCE_SEEDS:
        getattr(importlib.import_module(module_name), function)(global_apps, None)


@pytest.fixture(autouse=True)
def _fresh_webhook_adapter_cache() -> None:
    # The webhook receipt caches PSP code → adapter per process; a rolled-back test's PSPs must not linger in it.
    from paydesk.payments.webhooks import adapter_cache_clear

    adapter_cache_clear()


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db"}:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in names
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.contrib.auth.models import Group

    if not Group.objects.filter(name="agent").exists():
        _reseed_reference_data()
