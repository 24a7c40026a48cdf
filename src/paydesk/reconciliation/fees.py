"""Contract fees: what a PSP agreed to charge, to flag report lines whose fee differs (``fee_anomaly``).

A YAML schedule lists rules; the first rule whose method and currency fit a payment line gives its expected fee,
``percent`` of the gross (half-up to the minor unit) plus ``fixed`` (in the rule's currency)::

    tolerance_minor: 1          # allowed difference in minor units (default 0)
    rules:
      - method: card            # optional: any method when absent
        currency: EUR           # optional, required with `fixed`
        percent: "1.4"          # decimal string
        fixed: "0.25"           # decimal string, major units

Arithmetic is on integers: the percentage becomes an exact fraction, never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from paydesk.core.money import MoneyError, normalize_currency, parse_minor
from paydesk.reconciliation.errors import ReportError


@dataclass(frozen=True)
class FeeRule:
    method: str | None
    currency: str | None
    rate: Fraction
    fixed_minor: int


@dataclass(frozen=True)
class FeeSchedule:
    rules: tuple[FeeRule, ...]
    tolerance_minor: int = 0

    def expected(self, frame: pl.DataFrame) -> pl.Series:
        """Expected fee (minor units of ``currency``) per row of a frame with amount_minor, currency, method."""
        result: pl.Expr = pl.lit(None, pl.Int64)
        for rule in reversed(self.rules):
            fits = pl.lit(True)
            if rule.method is not None:
                fits = fits & (pl.col("method") == rule.method)
            if rule.currency is not None:
                fits = fits & (pl.col("currency") == rule.currency)
            num, den = rule.rate.numerator, rule.rate.denominator
            fee = (pl.col("amount_minor").abs() * (2 * num) + den) // (2 * den) + rule.fixed_minor
            result = pl.when(fits).then(fee).otherwise(result)
        return frame.select(result.alias("expected_fee_minor"))["expected_fee_minor"]


def load_fees(path: str | Path) -> FeeSchedule:
    try:
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(path, "fee schedule not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReportError(path, f"cannot read the fee schedule: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        raise ReportError(path, "the fee schedule needs a non-empty `rules` list")
    rules = []
    for number, item in enumerate(data["rules"], start=1):
        if not isinstance(item, dict):
            raise ReportError(path, f"rule {number} is not an object")
        try:
            percent = Decimal(str(item.get("percent", "0")))
            currency = normalize_currency(str(item["currency"])) if item.get("currency") else None
            fixed = item.get("fixed")
            if fixed is not None and currency is None:
                raise ReportError(path, f"rule {number}: `fixed` needs a `currency`")
            fixed_minor = parse_minor(str(fixed), currency) if fixed is not None and currency else 0
        except (InvalidOperation, MoneyError) as exc:
            raise ReportError(path, f"rule {number}: {getattr(exc, 'message', exc)}") from exc
        if percent < 0:
            raise ReportError(path, f"rule {number}: percent must not be negative")
        method = str(item["method"]).lower() if item.get("method") else None
        rules.append(FeeRule(method=method, currency=currency, rate=Fraction(percent) / 100, fixed_minor=fixed_minor))
    tolerance = data.get("tolerance_minor", 0)
    if not isinstance(tolerance, int) or tolerance < 0:
        raise ReportError(path, "tolerance_minor must be a non-negative integer")
    return FeeSchedule(rules=tuple(rules), tolerance_minor=tolerance)
