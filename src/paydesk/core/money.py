"""Money: integer minor units plus a currency code, never floats.

Owns currency exponents (ISO 4217 from Babel, crypto from settings) and the exact conversion between decimal strings
in major units (what files and APIs carry) and integer minor units (what we store). Protects two rules: an amount is
never silently rounded (over-precise or ambiguous input is refused with the offending value in the message), and
arithmetic never mixes currencies.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

from paydesk.core.errors import ValidationError


class MoneyError(ValidationError):
    code = "invalid-money"


class CurrencyMismatch(MoneyError):
    code = "currency-mismatch"


@cache
def _crypto_exponents() -> dict[str, int]:
    # File-to-file tools (``paydesk reconcile --ledger``) run without Django: fall back to the environment, then to
    # the default crypto exponents, without importing Django at all (35 ms of a 2.4 s command).
    raw: str = os.environ.get("PAYDESK_CRYPTO_CURRENCIES", "BTC=8,USDT=6,ETH=9")
    conf = sys.modules.get("django.conf")
    if conf is not None and conf.settings.configured:
        raw = getattr(conf.settings, "PAYDESK_CRYPTO_CURRENCIES", raw)
    result: dict[str, int] = {}
    for item in raw.split(","):
        code, _, exponent = item.strip().partition("=")
        if code and exponent.isdigit():
            result[code.upper()] = int(exponent)
    return result


@cache
def _iso_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def is_known_currency(code: str) -> bool:
    return code in _crypto_exponents() or code in _iso_codes()


@cache  # hot in bulk ingest (three calls a row); the crypto table is cached too, so this changes nothing else
def currency_exponent(code: str) -> int:
    """Digits after the decimal point for ``code``; raises MoneyError for an unknown currency."""
    crypto = _crypto_exponents()
    if code in crypto:
        return crypto[code]
    if code not in _iso_codes():
        raise MoneyError(f"unknown currency {code!r}: expected an ISO 4217 code or a configured crypto currency")
    return int(get_currency_precision(code))


def normalize_currency(code: str) -> str:
    cleaned = code.strip().upper()
    currency_exponent(cleaned)
    return cleaned


# Plain decimal notation only: optional sign, digits, optional fraction. Thousands separators, exponents and
# commas are refused because "1,000" and "1.000" mean different amounts in different locales.
_DECIMAL_RE = re.compile(r"^(?P<sign>-)?(?P<int>\d+)(?:\.(?P<frac>\d+))?$")


def parse_minor(value: str, currency: str) -> int:
    """Exact decimal string in major units -> integer minor units. ``"12.30", "EUR"`` -> 1230."""
    exponent = currency_exponent(currency)
    text = value.strip()
    match = _DECIMAL_RE.match(text)
    if match is None:
        raise MoneyError(
            f"invalid amount {value!r} for {currency}: expected a plain decimal like 1234.56 "
            "(no thousands separators, commas or exponents)"
        )
    frac = match.group("frac") or ""
    if len(frac.rstrip("0")) > exponent:
        raise MoneyError(
            f"amount {value!r} has more decimal places than {currency} allows ({exponent}); refusing to round"
        )
    frac = frac[:exponent].ljust(exponent, "0")
    minor = int(match.group("int") + frac)
    return -minor if match.group("sign") else minor


def format_minor(amount_minor: int, currency: str) -> str:
    """Integer minor units -> exact decimal string in major units. ``1230, "EUR"`` -> ``"12.30"``."""
    exponent = currency_exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    digits = str(abs(amount_minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise MoneyError(f"amount must be an integer number of minor units, got {self.amount_minor!r}")
        currency_exponent(self.currency)

    @classmethod
    def parse(cls, value: str, currency: str) -> Money:
        code = normalize_currency(currency)
        return cls(parse_minor(value, code), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, normalize_currency(currency))

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-self.exponent)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount_minor + self._same(other).amount_minor, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount_minor - self._same(other).amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: object) -> bool:
        return self.amount_minor < self._same(other).amount_minor

    def __le__(self, other: object) -> bool:
        return self.amount_minor <= self._same(other).amount_minor

    def __gt__(self, other: object) -> bool:
        return self.amount_minor > self._same(other).amount_minor

    def __ge__(self, other: object) -> bool:
        return self.amount_minor >= self._same(other).amount_minor

    def __str__(self) -> str:
        return f"{format_minor(self.amount_minor, self.currency)} {self.currency}"

    def format(self, locale: str = "en") -> str:
        """Human formatting per locale: ``$50.00`` in en, ``1 500,00 ₽`` in ru; crypto as ``0.01000000 BTC``."""
        if self.currency in _crypto_exponents():
            return str(self)
        return str(format_currency(self.to_decimal(), self.currency, locale=Locale.parse(locale), currency_digits=True))
