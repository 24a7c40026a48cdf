"""``paydesk triage``: language, category, confidence and entities of player messages, without a database.

Contract (DESIGN §5): ``paydesk triage [TEXT] [--batch FILE.jsonl] --json``. Input lines are ``{"id", "text"}``;
every output line is exactly ``{"id", "language", "category", "confidence", "entities"}``. A bad input line (not
JSON, not an object, no text) is reported on stderr with its line number and skipped, the rest is still triaged,
and the command then exits 1; a message cut to the size cap is reported on stderr as a note.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer


def _parse_now(value: str | None) -> datetime | None:
    from paydesk.cli import CliError

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CliError(f"--now {value!r} is not an ISO 8601 date-time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _batch_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, Any, str | None, str | None]]:
    """(line number, id, text, problem) per non-blank line; a problem means the line is refused."""
    for number, raw in enumerate(lines, 1):
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield number, None, None, f"not valid JSON ({exc})"
            continue
        if not isinstance(row, dict):
            yield number, None, None, f"expected a JSON object with id and text, got {type(row).__name__}"
            continue
        text = row.get("text")
        ident = row.get("id")
        if not isinstance(text, str):
            problem = "missing text" if text is None else f"text must be a string, got {type(text).__name__}"
            yield number, ident, None, problem
            continue
        if ident is not None and not isinstance(ident, str | int | float):
            yield number, None, None, f"id must be a string or a number, got {type(ident).__name__}"
            continue
        if isinstance(ident, float) and not math.isfinite(ident):
            yield number, None, None, f"id must be a finite number, got {ident}"
            continue
        yield number, ident, text, None


def _emit(ident: Any, result: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"id": ident, **result.as_dict()}, ensure_ascii=False))
        return
    found = ", ".join(f"{k}={v}" for k, v in result.entities.as_dict().items() if v is not None) or "no entities"
    label = "" if ident is None else f"{ident}: "
    typer.echo(
        f"{label}{result.language} {result.category} ({result.confidence:.2f}), priority {result.priority}; {found}"
    )


def triage_command(
    text: Annotated[str | None, typer.Argument(help="The message to triage ('-' reads it from stdin).")] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="JSON Lines file of {id, text} ('-' for stdin).", allow_dash=True)
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="Resolve relative dates against this ISO time (default: now).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per message on stdout.")] = False,
) -> None:
    """Triage player messages: language, category, confidence and entities (no database needed)."""
    from paydesk.cli import CliError

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")
    from paydesk.triage.pipeline import Triage

    if (text is None) == (batch is None):
        raise CliError("give either a TEXT to triage or --batch FILE.jsonl (not both, not neither)")
    at = _parse_now(now)
    triage = Triage()
    if text is not None:
        message = sys.stdin.buffer.read().decode("utf-8", "replace") if text == "-" else text
        result = triage.run(message, now=at)
        if result.note:
            sys.stderr.write(f"paydesk: note: {result.note}\n")
        _emit(None, result, as_json)
        return
    assert batch is not None
    if str(batch) == "-":
        refused = _run_batch(triage, sys.stdin.buffer, at, as_json, total_bytes=None)
    else:
        try:
            handle = batch.open("rb")
            size = batch.stat().st_size
        except OSError as exc:
            raise CliError(f"cannot read --batch {batch}: {exc.strerror or exc}") from exc
        with handle:
            refused = _run_batch(triage, handle, at, as_json, total_bytes=size)
    if refused:
        sys.stderr.write(f"paydesk: error: {refused} input line(s) refused (see above); the others were triaged\n")
        raise typer.Exit(1)


def _with_progress(stream: BinaryIO, total_bytes: int | None, progress: Any) -> Iterator[bytes]:
    task = progress.add_task("triage", total=total_bytes)
    for raw in stream:
        yield raw
        progress.advance(task, len(raw))


def _run_batch(triage: Any, stream: BinaryIO, at: datetime | None, as_json: bool, *, total_bytes: int | None) -> int:
    from rich.console import Console
    from rich.progress import Progress

    # A progress bar on stderr for people at a terminal; pipes and files get only the output lines.
    progress = Progress(
        console=Console(stderr=True), transient=True, redirect_stdout=False, disable=not sys.stderr.isatty()
    )
    with progress:
        return _triage_lines(triage, _with_progress(stream, total_bytes, progress), at, as_json)


def _triage_lines(triage: Any, lines: Iterable[bytes], at: datetime | None, as_json: bool) -> int:
    refused = 0
    for number, ident, message, problem in _batch_lines(lines):
        if problem is not None or message is None:
            refused += 1
            sys.stderr.write(f"paydesk: line {number}: {problem}\n")
            continue
        result = triage.run(message, now=at)
        if result.note:
            sys.stderr.write(f"paydesk: note: line {number}: {result.note}\n")
        _emit(ident, result, as_json)
    return refused


def register(app: typer.Typer) -> None:
    app.command("triage")(triage_command)
