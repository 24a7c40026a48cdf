"""``paydesk diagnose REFERENCE [--claim CATEGORY] [--lang en|ru] [--json]``: what happened and what to do next.

REFERENCE is our transaction reference or the PSP's. An unknown reference is an answer, not an error: the command
prints the ``transaction_not_found`` finding with the details to ask the player for, and exits 0. The suggested
reply is the primary finding's macro rendered in the player's language (``--lang`` overrides it).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def diagnose_command(
    reference: Annotated[str, typer.Argument(help="Our transaction reference or the PSP's reference.")],
    claim: Annotated[
        str | None,
        typer.Option(help="The inquiry's category, e.g. withdrawal_not_received (changes what a paid payout means)."),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the suggested reply: en or ru.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diagnosis as JSON on stdout.")] = False,
) -> None:
    """Diagnose a transaction: findings with evidence, the next action and a suggested reply."""
    from paydesk.cli import CliError, _check_database, _setup_django

    if lang is not None and lang not in ("en", "ru"):
        raise CliError(f"--lang {lang!r} is not supported (en, ru)")
    from paydesk.tickets.enums import Category

    if claim is not None and claim not in Category.values:
        raise CliError(f"--claim {claim!r} is not an inquiry category ({', '.join(Category.values)})")
    if not reference.strip():
        raise CliError("REFERENCE is empty")
    _setup_django()
    _check_database()
    from paydesk.investigations.diagnosis import transaction_diagnose
    from paydesk.investigations.selectors import transaction_find
    from paydesk.replies.render import render_finding

    diagnosis = transaction_diagnose(reference=reference.strip(), claim=claim)
    txn = transaction_find(reference=diagnosis.reference) if diagnosis.transaction_found else None
    language = lang or (txn.player.language if txn is not None else "en")
    text = render_finding(diagnosis.primary, transaction=txn, lang=language)
    if as_json:
        payload = {**diagnosis.as_dict(), "reply": {"lang": language, "text": text}}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    head = f"{diagnosis.reference}: " + (
        f"{diagnosis.kind} {diagnosis.status}" if diagnosis.transaction_found else "not found"
    )
    typer.echo(head)
    for finding in diagnosis.findings:
        typer.echo(f"- {finding.code} [{finding.severity}] {finding.explanation}")
        if finding.evidence:
            typer.echo(f"  evidence: events {', '.join(str(e) for e in finding.evidence)}")
        for action in finding.actions:
            typer.echo(f"  next: {action.describe()}")
    typer.echo(f"\nSuggested reply ({language}):\n{text}")


def register(app: typer.Typer) -> None:
    app.command("diagnose")(diagnose_command)
