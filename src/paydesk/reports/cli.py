"""``paydesk export REPORT --from D --to D [--format csv|xlsx --out FILE] [--sheets SPREADSHEET_ID] [--json]``.

Builds one report over the inclusive UTC dates and writes it to a file, pushes it to Google Sheets, or both. A Rich
progress bar on stderr follows the query and the rows written (only at a terminal); ``--json`` prints a summary on
stdout. Each file written and each push is recorded in the audit log (actor ``cli``). Bad dates, an unknown report
or format, an unwritable file or a refused push end with one error line.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

REPORT_HELP = "sla, volumes, backlog, escalations, root_causes or agents."


def _date(value: str, option: str) -> date:
    from paydesk.cli import CliError

    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"{option} {value!r} is not a date (expected YYYY-MM-DD)") from exc


def export_command(
    report: Annotated[str, typer.Argument(help=REPORT_HELP, show_default=False)],
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC), inclusive.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD, UTC), inclusive.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or xlsx (default: from the --out suffix, else csv).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write.")] = None,
    sheets: Annotated[str | None, typer.Option("--sheets", help="Google spreadsheet id to push the report to.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Export a report to CSV or XLSX, and/or push it to Google Sheets."""
    from paydesk.cli import CliError, _check_database, _setup_django

    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if end < start:
        raise CliError(f"--to {end} is before --from {start}")
    if out is None and sheets is None:
        raise CliError("nothing to do: give --out FILE, --sheets SPREADSHEET_ID, or both")
    if fmt is None:
        fmt = "xlsx" if out is not None and out.suffix.lower() == ".xlsx" else "csv"
    fmt = fmt.lower()
    if fmt not in ("csv", "xlsx"):
        raise CliError(f"--format {fmt!r} is not supported; expected csv or xlsx")
    if out is not None and not out.parent.is_dir():
        raise CliError(f"cannot write --out {out}: folder {out.parent} does not exist")

    _setup_django()
    _check_database()
    from rich.console import Console
    from rich.progress import Progress

    from paydesk.reports.exports import write_file
    from paydesk.reports.selectors import REPORTS, period_from_dates, report_build
    from paydesk.reports.services import report_export_record

    if report not in REPORTS:
        raise CliError(f"unknown report {report!r}; expected one of {', '.join(REPORTS)}")
    summary: dict[str, Any] = {"report": report, "from": start.isoformat(), "to": end.isoformat()}
    progress = Progress(
        console=Console(stderr=True), transient=True, redirect_stdout=False, disable=not sys.stderr.isatty()
    )
    with progress:
        querying = progress.add_task(f"{report}: querying", total=1)
        built = report_build(name=report, period=period_from_dates(start, end))
        progress.advance(querying)
        summary["rows"] = len(built.rows)
        if out is not None:
            writing = progress.add_task(f"{report}: writing {out.name}", total=max(len(built.rows), 1))
            try:
                write_file(built, out, fmt, progress=lambda n: progress.advance(writing, n))
            except OSError as exc:
                raise CliError(f"cannot write --out {out}: {exc.strerror or exc}") from exc
            progress.update(writing, completed=max(len(built.rows), 1))
            report_export_record(report=built, fmt=fmt, destination=f"file {out}", acting_user=None, actor_label="cli")
            summary.update({"format": fmt, "out": str(out)})
        if sheets is not None:
            from paydesk.reports.sheets import push_report

            pushing = progress.add_task(f"{report}: pushing to Google Sheets", total=1)
            pushed = push_report(built, spreadsheet_id=sheets)
            report_export_record(
                report=built,
                fmt="sheets",
                destination=f"google sheets {sheets}",
                acting_user=None,
                actor_label="cli",
            )
            progress.advance(pushing)
            summary["sheets"] = {"spreadsheet_id": pushed.spreadsheet_id, "worksheet": pushed.worksheet}
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        where = " and ".join(
            part for part in (str(out) if out else "", f"Google Sheets {sheets}" if sheets else "") if part
        )
        Console(stderr=True).print(f"{built.title}: {len(built.rows)} rows written to {where}")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
