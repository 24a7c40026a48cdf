"""``paydesk import transactions FILE.csv [--json]``: load the platform's ledger CSV (DESIGN §5) into the ledger.

Rows go through the same ingest service as the API, in batches, with a Rich progress bar on stderr. Every bad row
is reported with its row number (1 = the first data row under the header) and the valid rows are applied; the
command exits 1 when any row was refused, so a script can't mistake a partial import for a clean one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

BATCH_ROWS = 5_000

import_app = typer.Typer(help="Import data into Paydesk.", no_args_is_help=True)


def _read_csv(path: Path) -> list[dict[str, Any]]:
    import polars as pl

    from paydesk.cli import CliError
    from paydesk.payments.ingest import REQUIRED

    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CliError(f"{path}: not a readable CSV file: {first}") from exc
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise CliError(f"{path}: missing column(s) {', '.join(missing)} (header has: {', '.join(frame.columns)})")
    return frame.to_dicts()


@import_app.command("transactions")
def import_transactions(
    file: Annotated[Path, typer.Argument(help="Ledger CSV: reference, kind, status, player_id, amount, currency, …")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """Upsert the platform's ledger rows by reference; report refused rows by row number."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from paydesk.cli import _check_database, _migrate, _setup_django, _stderr_console

    _setup_django()
    _check_database()
    _migrate()
    from paydesk.payments.ingest import IngestResult, transactions_ingest

    rows = _read_csv(file)
    console = _stderr_console()
    total = IngestResult()
    with Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("rows", total=len(rows))
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            total.add(transactions_ingest(rows=batch, first_row=start + 1))
            progress.advance(task, len(batch))
    summary = total.as_dict()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        console.print(
            f"{summary['rows']} rows: [green]{summary['created']} created[/], {summary['updated']} updated, "
            f"{summary['unchanged']} unchanged, [red]{summary['rejected']} refused[/]"
            f" ({summary['players_created']} new players)"
        )
        for error in total.errors[:50]:
            console.print(f"  row {error.row} [{error.reference}] {error.field}: {error.message}", markup=False)
        if len(total.errors) > 50:
            console.print(f"  … and {len(total.errors) - 50} more (use --json for all)")
    if total.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
