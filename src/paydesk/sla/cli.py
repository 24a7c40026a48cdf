"""``paydesk sla scan|recompute|defaults [--json]``: run the SLA scan or a deadline recompute by hand, seed defaults.

The periodic scheduler runs the scan every minute; these commands are for operators (after an outage, or to check
what a policy change did) and print a JSON summary with ``--json``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

sla_app = typer.Typer(help="SLA clocks: scan for warnings and breaches, recompute deadlines.", no_args_is_help=True)


def _ready() -> None:
    from paydesk.cli import _check_database, _setup_django

    _setup_django()
    _check_database()


@sla_app.command("scan")
def scan(as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False) -> None:
    """Record every SLA warning and breach due now (what the periodic job does)."""
    _ready()
    from paydesk.cli import _stderr_console
    from paydesk.sla.scan import sla_scan

    result = sla_scan().as_dict()
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _stderr_console().print(", ".join(f"{key}: {value}" for key, value in result.items()))


@sla_app.command("recompute")
def recompute(
    policy: Annotated[
        int | None, typer.Option(help="Only tickets on this policy id (default: every open ticket).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """Recompute the stored deadlines of open tickets."""
    _ready()
    from paydesk.cli import _stderr_console
    from paydesk.sla.recompute import sla_recompute

    written = sla_recompute(policy_id=policy)
    if as_json:
        typer.echo(json.dumps({"recomputed": written}))
    else:
        _stderr_console().print(f"recomputed the deadlines of {written} open tickets")


@sla_app.command("defaults")
def defaults(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """Create the 24/7 and office-hours calendars and a catch-all policy if missing (idempotent)."""
    _ready()
    from paydesk.cli import _stderr_console
    from paydesk.sla.services import sla_defaults_ensure

    policy = sla_defaults_ensure()
    if as_json:
        typer.echo(json.dumps({"policy": policy.pk, "name": policy.name}))
    else:
        _stderr_console().print(f"default SLA policy #{policy.pk} {policy.name!r} is in place")


def register(app: typer.Typer) -> None:
    app.add_typer(sla_app, name="sla")
