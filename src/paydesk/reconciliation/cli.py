"""``paydesk reconcile``: a PSP report against the ledger, from the command line.

With ``--ledger FILE.csv`` it reconciles file to file and never touches Django or a database (money exponents
come from ``paydesk.core.money``'s defaults or ``PAYDESK_CRYPTO_CURRENCIES``). Without it, it reads the stored
ledger and records the run with its discrepancies (a file already reconciled for that PSP, by hash, is not
recorded twice). The JSON summary goes to stdout; progress to stderr. A file that can't be read ends the command
with one line naming the file, row and column.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

PSP_HELP = "adyen, stripe, paypal, dlocal, checkout, trustly or generic (with --mapping)."

# Polars' allocator (its bundled jemalloc), for a command that builds and drops gigabyte-sized frames in a few
# seconds: one arena, so memory one thread frees is reused by the others, and no separate arena for buffers over
# 8 MiB, which jemalloc purges as soon as they are freed. Both send freed memory back to the OS that the next
# column then faults in again page by page. Measured at 1M x 1M: 60,000-100,000 fewer page faults (of about
# 360,000) and 0.1-0.3 s less system time, same peak; at 10M x 10M, 0.7 GB more peak (6.9 GB of 16 GB allowed).
ALLOCATOR_CONF = "oversize_threshold:0,narenas:1"


def _tune_allocator() -> None:
    """Set ``ALLOCATOR_CONF`` unless the user set the allocator's options or Polars is already loaded (jemalloc
    reads ``_RJEM_MALLOC_CONF`` once, when Polars is imported)."""
    if "polars" not in sys.modules and "_RJEM_MALLOC_CONF" not in os.environ:
        os.environ["_RJEM_MALLOC_CONF"] = ALLOCATOR_CONF


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    from paydesk.cli import CliError

    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"{option} {value!r} is not a date (expected YYYY-MM-DD)") from exc


def reconcile_command(
    psp: Annotated[str, typer.Option("--psp", help=PSP_HELP)],
    report: Annotated[Path, typer.Option("--report", help="The PSP report file (CSV, or XLSX for generic).")],
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="Ledger CSV (DESIGN §5); without it the stored ledger is used.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the XLSX report here.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First ledger creation date for missing_in_report (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last ledger creation date (YYYY-MM-DD).")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="YAML column mapping for --psp generic.")] = None,
    fees: Annotated[
        Path | None, typer.Option("--fees", help="YAML contract fee schedule (enables fee_anomaly).")
    ] = None,
    ledger_psp: Annotated[
        str | None, typer.Option("--ledger-psp", help="PSP code in the ledger, when it differs from --psp.")
    ] = None,
    fuzzy_hours: Annotated[int, typer.Option("--fuzzy-hours", help="Time window of fuzzy matching.")] = 72,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary on stdout.")] = False,
) -> None:
    """Reconcile a PSP settlement report against the ledger."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    from rich.console import Console

    _tune_allocator()
    from paydesk.cli import CliError, exit_without_teardown
    from paydesk.reconciliation.parsers import PSPS

    if psp not in PSPS:
        raise CliError(f"--psp {psp!r} is not supported; expected one of {', '.join(PSPS)}")
    if mapping is not None and psp != "generic":
        raise CliError("--mapping only applies to --psp generic")
    options_from, options_to = _date(date_from, "--from"), _date(date_to, "--to")
    if options_from and options_to and options_from > options_to:
        raise CliError(f"--from {options_from} is after --to {options_to}")
    if fuzzy_hours < 0:
        raise CliError("--fuzzy-hours must not be negative")

    from paydesk.reconciliation.fees import load_fees
    from paydesk.reconciliation.ledger import read_ledger_csv
    from paydesk.reconciliation.matcher import MatchOptions, reconcile
    from paydesk.reconciliation.parsers import parse_report

    console = Console(stderr=True)
    options = MatchOptions(
        date_from=options_from,
        date_to=options_to,
        fuzzy_window=timedelta(hours=fuzzy_hours),
        fees=load_fees(fees) if fees else None,
    )
    code = (ledger_psp or psp).lower()
    if ledger is not None:
        # Both files at once: Polars releases the GIL, so the two reads overlap on the machine's cores.
        with console.status(f"reading {report.name} and {ledger.name}"), ThreadPoolExecutor(max_workers=2) as pool:
            report_job = pool.submit(parse_report, psp, report, mapping=mapping)
            ledger_job = pool.submit(read_ledger_csv, ledger)
            frame = report_job.result()
            ledger_frame = ledger_job.result()
        with console.status("matching"):
            result = reconcile(frame, ledger_frame, psp=psp, ledger_psp=code, options=options)
        exit_without_teardown()
    else:
        from paydesk.cli import _check_database, _setup_django

        with console.status(f"reading {report.name}"):
            frame = parse_report(psp, report, mapping=mapping)
        _setup_django()
        _check_database()
        from paydesk.reconciliation.ledger import stored_ledger
        from paydesk.reconciliation.services import file_sha256, reconciliation_run_record, work_items_group

        with console.status("reading the stored ledger"):
            ledger_frame = stored_ledger(psp=code)
        with console.status("matching"):
            result = reconcile(frame, ledger_frame, psp=psp, ledger_psp=code, options=options)
        recorded = reconciliation_run_record(
            result=result, file_name=report.name, file_sha256=file_sha256(report), acting_user=None
        )
        # Grouping is idempotent; running it for a run already recorded finishes one whose grouping failed.
        work_items_group(acting_user=None, run_id=recorded.run.pk)
        verb = "recorded as" if recorded.created else "already recorded as"
        console.print(f"run {verb} #{recorded.run.pk}")
    if out is not None:
        from paydesk.reconciliation.xlsx import write_report

        with console.status(f"writing {out.name}"):
            write_report(result, out, report_name=report.name)
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        console.print(
            f"{summary['report_rows']} report rows, {summary['ledger_rows']} ledger rows, "
            f"{summary['matched']} matched, {summary['matched_fuzzy']} matched fuzzily"
        )
        for name, count in summary["discrepancies"].items():
            console.print(f"  {name}: {count}")
        for currency, values in summary["totals"].items():
            console.print(
                f"  {currency}: report {values['report_gross']}, ledger {values['ledger_gross']}, "
                f"difference {values['difference']}"
            )


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile_command)
