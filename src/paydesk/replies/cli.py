"""``paydesk lint-reply``: Tone of Voice findings for a reply, without a database.

Contract (DESIGN §5): ``paydesk lint-reply --lang en|ru FILE|- --json``. With ``--json`` stdout is one object
``{"lang", "errors", "warnings", "findings": [{code, severity, message, start, end, text, suggestion}]}``; the exit
status is 1 when any finding is an error, 0 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def lint_reply_command(
    source: Annotated[
        Path, typer.Argument(help="The reply to check: a UTF-8 text file, or '-' for stdin.", allow_dash=True)
    ],
    lang: Annotated[str, typer.Option("--lang", help="Language of the reply: en or ru.")] = "en",
    guide: Annotated[Path | None, typer.Option(help="An edited Tone of Voice guide (YAML) to use instead.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON on stdout.")] = False,
) -> None:
    """Check a reply against the Tone of Voice guide; exit 1 if any finding is an error."""
    from paydesk.cli import CliError
    from paydesk.replies.tone import LANGUAGES, lint_reply, load_guide

    if lang not in LANGUAGES:
        raise CliError(f"--lang {lang!r} is not supported: expected one of {', '.join(LANGUAGES)}")
    try:
        raw = sys.stdin.buffer.read() if str(source) == "-" else source.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{source} is not UTF-8 text (bad byte at offset {exc.start})") from exc
    findings = lint_reply(text, lang=lang, guide=load_guide(guide) if guide else None)
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        payload = {
            "lang": lang,
            "errors": errors,
            "warnings": len(findings) - errors,
            "findings": [f.as_dict() for f in findings],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        for f in findings:
            shown = f" {f.text!r}" if f.text else ""
            typer.echo(f"{f.severity} {f.start}-{f.end} {f.code}:{shown} {f.message}; {f.suggestion}")
        typer.echo(f"{errors} error(s), {len(findings) - errors} warning(s)")
    if errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("lint-reply")(lint_reply_command)
