"""Report parsers: one per PSP format, each returning the normalized frame of ``reconciliation.schema``.

``parse_report(psp, path)`` picks the parser for the PSP and, within it, the format from the file's header.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.parsers import adyen, checkout, dlocal, generic, paypal, stripe, trustly

PARSERS: dict[str, Callable[[str | Path], pl.DataFrame]] = {
    "adyen": adyen.parse,
    "stripe": stripe.parse,
    "paypal": paypal.parse,
    "dlocal": dlocal.parse,
    "checkout": checkout.parse,
    "trustly": trustly.parse,
}
PSPS: tuple[str, ...] = (*PARSERS, "generic")


def parse_report(psp: str, path: str | Path, *, mapping: str | Path | None = None) -> pl.DataFrame:
    if not Path(path).is_file():
        raise ReportError(path, "file not found")
    if psp == "generic":
        return generic.parse(path, generic.load_mapping(mapping) if mapping else None)
    if psp not in PARSERS:
        raise ReportError(path, f"no parser for PSP {psp!r}; expected one of {', '.join(PSPS)}")
    return PARSERS[psp](path)
