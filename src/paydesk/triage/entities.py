"""Entities in a player message: amount and currency, transaction reference, card last four, payment method, date.

Rules this module protects:
- Amounts are exact integer minor units, with the exponent from ``paydesk.core.money`` (ISO 4217, configured crypto).
  Every common notation is read: "$50", "50 usd", "1.000,50 EUR", "1 500 ₽", "1500р", "5к рублей", "0,01 BTC",
  "100 usdt", "50 bucks". A number without a currency is not an amount (it may be a card, an id or a date), and an
  amount with more decimals than its currency allows is dropped rather than rounded.
- A full card number is never echoed: a Luhn-valid 13-19 digit run only yields its last four.
- Dates come out as calendar dates relative to the ``now`` given by the caller (relative words such as "yesterday",
  "3 дня назад", "last friday"); month names go through dateparser, only for the short phrase found here, so the
  common case stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from paydesk.core.money import MoneyError, currency_exponent

METHODS = ("card", "bank_transfer", "e_wallet", "crypto", "sbp")
_CRYPTO = frozenset({"BTC", "USDT", "ETH"})


@dataclass(frozen=True, slots=True)
class Entities:
    amount_minor: int | None = None
    currency: str | None = None
    reference: str | None = None
    card_last4: str | None = None
    method: str | None = None
    date: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "reference": self.reference,
            "card_last4": self.card_last4,
            "method": self.method,
            "date": self.date.isoformat() if self.date else None,
        }


# --- amounts -------------------------------------------------------------------------------------------------------

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "₸": "KZT", "₴": "UAH", "₺": "TRY", "₹": "INR", "₿": "BTC"}
# Currency words after (or, for codes, before) a number. Lower-case keys; a regex alternative per entry.
_CURRENCY_WORDS: tuple[tuple[str, str], ...] = (
    (r"usdt|tether|тезер\w*|юсдт", "USDT"),
    (r"usd|us\$|dollars?|bucks?|доллар\w*|долл\.?|бакс\w*|dollarov|dollara|baksov|baksa", "USD"),
    (r"eur|euros?|евро|evro", "EUR"),
    (r"gbp|pounds?|quid|фунт\w*", "GBP"),
    (r"rub|rur|roubles?|rubles?|руб\w*|rubl\w*|р\.?|r", "RUB"),
    (r"kzt|тенге|тг|tenge", "KZT"),
    (r"uah|грн|гривн\w*|гривен|hryvni?as?|griven", "UAH"),
    (r"btc|bitcoins?|биткоин\w*|биткойн\w*|биток\w*|bitkoin\w*", "BTC"),
    (r"eth|ether|эфир\w*", "ETH"),
    (r"brl|reais", "BRL"),
    (r"cad", "CAD"),
    (r"aud", "AUD"),
    (r"pln|zł|zloty|злот\w*", "PLN"),
    (r"inr|rupees?", "INR"),
    (r"chf", "CHF"),
    (r"sek", "SEK"),
    (r"nok", "NOK"),
    (r"jpy|yen", "JPY"),
)
_CURRENCY_WORD_RE = "|".join(f"(?:{pattern})" for pattern, _ in _CURRENCY_WORDS)
_SYMBOL_RE = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_NUMBER_RE = (
    r"\d{1,3}(?:(?:[ \u00a0\u202f]\d{3})+|(?:,\d{3})+|(?:\.\d{3})+)(?:[.,]\d{1,8})?(?!\d)"
    r"|\d+(?:[.,]\d{1,8})?"
)
_MULTIPLIER_RE = r"k|к|тыс\.?|тысяч[аи]?|thousand|grand|kk|млн|mln|million"
_MULTIPLIERS = {"k": 1000, "к": 1000, "тыс": 1000, "тыс.": 1000, "тысяча": 1000, "тысячи": 1000, "тысяч": 1000}
_MULTIPLIERS |= {"thousand": 1000, "grand": 1000, "kk": 1_000_000, "млн": 1_000_000, "mln": 1_000_000}
_MULTIPLIERS |= {"million": 1_000_000}

_AMOUNT_AFTER_RE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUMBER_RE})(?:\s?(?P<mult>{_MULTIPLIER_RE})(?![a-zа-яё]))?"
    rf"(?:\s?(?P<sym>{_SYMBOL_RE})|\s?(?P<word>{_CURRENCY_WORD_RE}|[A-Z]{{3,4}})(?![\w$]))?",
    re.IGNORECASE,
)
# Codes written before a number ("USD 500"); a short list, because capitalised words before numbers are common.
_CODES_BEFORE = "USDT|USD|EUR|GBP|RUB|BTC|ETH|KZT|UAH|CAD|AUD|PLN|BRL|TRY|CHF|SEK|NOK|JPY|INR"
_AMOUNT_BEFORE_RE = re.compile(
    rf"(?:(?P<sym>{_SYMBOL_RE})|(?<![\w])(?P<code>{_CODES_BEFORE}|{_CODES_BEFORE.lower()}))\s?"
    rf"(?P<num>{_NUMBER_RE})(?:\s?(?P<mult>{_MULTIPLIER_RE})(?![a-zа-яё]))?(?![\d])",
)
_CURRENCY_LOOKUP = [(re.compile(rf"^(?:{p})$", re.IGNORECASE), code) for p, code in _CURRENCY_WORDS]


def _currency_from_word(word: str) -> str | None:
    for pattern, code in _CURRENCY_LOOKUP:
        if pattern.match(word):
            return code
    # Any other ISO code, but only written in capitals: lower-case three-letter words are mostly English words.
    if word.isupper() and word.isalpha():
        try:
            currency_exponent(word)
        except MoneyError:
            return None
        return word
    return None


def _to_decimal(raw: str, currency: str, has_multiplier: bool) -> Decimal | None:
    text = re.sub(r"[ \u00a0\u202f]", "", raw)
    exponent = currency_exponent(currency)
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        text = text.replace(group_sep, "").replace(decimal_sep, ".")
    elif "," in text or "." in text:
        sep = "," if "," in text else "."
        if text.count(sep) > 1:
            text = text.replace(sep, "")
        else:
            whole, frac = text.split(sep)
            # "1.500 EUR" and "1,500 USD" group thousands; "0,001 BTC" and "2,5к" are decimals.
            looks_grouped = len(frac) == 3 and whole != "0" and exponent < 3 and not has_multiplier
            text = whole + frac if looks_grouped else f"{whole}.{frac}"
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _minor(raw: str, multiplier: str | None, currency: str) -> int | None:
    value = _to_decimal(raw, currency, multiplier is not None)
    if value is None:
        return None
    if multiplier:
        value *= _MULTIPLIERS.get(multiplier.lower(), 1)
    minor = value.scaleb(currency_exponent(currency))
    if minor != minor.to_integral_value() or minor <= 0:
        return None
    return int(minor)


def extract_amount(text: str) -> tuple[int, str] | None:
    """The first amount with a currency in ``text`` as (minor units, currency code)."""
    found: list[tuple[int, int, str]] = []
    for match in _AMOUNT_AFTER_RE.finditer(text):
        currency = None
        if match.group("sym"):
            currency = _SYMBOLS[match.group("sym").lower()]
        elif match.group("word"):
            currency = _currency_from_word(match.group("word"))
        if currency is None:
            continue
        minor = _minor(match.group("num"), match.group("mult"), currency)
        if minor is not None:
            found.append((match.start(), minor, currency))
    for match in _AMOUNT_BEFORE_RE.finditer(text):
        if match.group("sym"):
            currency = _SYMBOLS[match.group("sym").lower()]
        else:
            currency = _currency_from_word(match.group("code").upper())
        if currency is None:
            continue
        minor = _minor(match.group("num"), match.group("mult"), currency)
        if minor is not None:
            found.append((match.start(), minor, currency))
    if not found:
        return None
    _, minor, currency = min(found)
    return minor, currency


# --- references ----------------------------------------------------------------------------------------------------

# Ours (the ledger's, as the simulator writes them: DEP-<tag>-000123, WDR-, RFD-, CBK-), Stripe-style ids (pi_, ch_,
# py_, re_, po_, dp_, and a crypto gateway's cp_), Adyen's 16-character PSP references and other upper-case PSP and
# payout references (16-32 characters with a digit), bank transfer UETRs and blockchain transaction hashes.
_STRIPE_REF_RE = re.compile(r"\b(?:pi|ch|py|re|po|dp|txn|src|tr|cp)_[A-Za-z0-9]{10,64}\b")
_OUR_REF_RE = re.compile(r"\b(?:DEP|WD|WDR|RF|RFD|CB|CBK|TX|TXN|PAY|NW)-[A-Z0-9][A-Z0-9-]{3,40}\b(?<!-)", re.IGNORECASE)
_PSP_REF_RE = re.compile(r"\b(?=[A-Z]*\d)[A-Z0-9]{16,32}\b")
_UETR_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_TX_HASH_RE = re.compile(r"\b(?:0x)?[0-9a-f]{64}\b", re.IGNORECASE)
_HASH_REF_RE = re.compile(
    r"(?:(?P<mark>#|№)|\b(?:ref(?:erence)?|id|order|transaction|txn|номер|платеж[а-я]*|платёж[а-я]*)\s*(?P<mark2>[:#№])?\s*)"
    r"(?P<ref>[A-Za-z0-9][A-Za-z0-9-]{3,39})\b"
    rf"(?![.,]?\d)(?!\s?(?:{_SYMBOL_RE}|(?:{_CURRENCY_WORD_RE}|{_MULTIPLIER_RE})\b))",
    re.IGNORECASE,
)
_PAN_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _looks_like_pan(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn_ok(digits)


def extract_reference(text: str) -> str | None:
    for pattern in (_STRIPE_REF_RE, _OUR_REF_RE):
        match = pattern.search(text)
        if match:
            return match.group(0)
    for pattern in (_UETR_RE, _TX_HASH_RE):
        match = pattern.search(text)
        if match:
            return match.group(0)
    for match in _PSP_REF_RE.finditer(text):
        if not (match.group(0).isdigit() and _looks_like_pan(match.group(0))):
            return match.group(0)
    for match in _HASH_REF_RE.finditer(text):
        ref = match.group("ref")
        if not any(c.isdigit() for c in ref) or _looks_like_pan(re.sub(r"\D", "", ref)):
            continue
        if match.group("mark") or match.group("mark2") in {"#", "№"} or len(ref) >= 6:
            return ref
    return None


# --- card last four ------------------------------------------------------------------------------------------------

_NOT_AMOUNT_AFTER = rf"(?![.,]?\d)(?!\s?(?:{_SYMBOL_RE}|(?:{_CURRENCY_WORD_RE}|{_MULTIPLIER_RE}|год\w*|year)\b))"
_LAST4_RES = tuple(
    re.compile(pattern + _NOT_AMOUNT_AFTER, re.IGNORECASE)
    for pattern in (
        r"\b(?:ending|ends|ended)\s+(?:in|with|on)?\s*[:#]?\s*(\d{4})",
        r"\blast\s+(?:4|four)(?:\s+digits)?(?:\s+(?:are|is|of\s+(?:my|the)\s+card))?\s*[:#-]?\s*(\d{4})",
        r"(?:[*•xX·]{2,}|\*)\s?(\d{4})\b",
        r"(?:заканчива|оканчива|конча|zakanchiva|okanchiva)\w*\s+(?:на|na)\s+(\d{4})",
        r"последние\s+(?:4|четыре)\s+(?:цифры\s*)?[:-]?\s*(\d{4})",
        r"\b(?:card|карт[аеуыой]{0,2}|kart[auyeoi]{0,2})\s*(?:no\.?|number|номер|№|#)?\s*[:#]?\s*(\d{4})\b",
        r"(?:^|\s)(?:на|na)\s+(\d{4})\b",
    )
)


def extract_card_last4(text: str) -> str | None:
    for pattern in _LAST4_RES:
        match = pattern.search(text)
        if match:
            return match.group(1)
    for match in _PAN_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if _looks_like_pan(digits):
            return digits[-4:]
    return None


# --- payment method ------------------------------------------------------------------------------------------------

_METHOD_RES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), method)
    for pattern, method in (
        (r"\bsbp\b|сбп|систем\w* быстрых платеж\w*|faster payments?|fast payment system|по номеру телефона", "sbp"),
        (
            r"\b(?:crypto\w*|bitcoin|btc|usdt|tether|eth|ethereum|trc-?20|erc-?20|blockchain|kripto\w*)\b"
            r"|крипт\w*|биткоин\w*|биткойн\w*|блокчейн",
            "crypto",
        ),
        (
            r"\b(?:skrill|neteller|pay ?pal|ecopayz|muchbetter|jeton|astropay|qiwi|yoomoney|webmoney|piastrix|"
            r"payeer|perfect money|e-?wallets?|apple ?pay|google ?pay|kiwi|yumani)\b|скрилл\w*|нетеллер\w*|пайпал\w*|"
            r"киви|юмани|ю\.?money|вебмани|кошел[её]?ь?[кч]\w*|электронн\w* кошел\w*",
            "e_wallet",
        ),
        (
            r"\b(?:bank transfer|wire(?: transfer)?|sepa|swift|iban|bank account|perevod po rekvizitam)\b"
            r"|банковск\w* перевод\w*|по реквизитам|банковск\w* сч[её]т\w*",
            "bank_transfer",
        ),
        (
            r"\b(?:cards?|visa|master ?card|maestro|amex|debit|credit card|kart[auyeoi]?\w*|mastercard)\b"
            r"|карт\w*|виз[аеуы]\b|мастеркард\w*|маэстро",
            "card",
        ),
    )
)


def extract_method(text: str, currency: str | None = None) -> str | None:
    best: tuple[int, str] | None = None
    for pattern, method in _METHOD_RES:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), method)
    if best is not None:
        return best[1]
    return "crypto" if currency in _CRYPTO else None


# --- dates ---------------------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
    "один": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "десять": 10,
    "пару": 2, "couple": 2, "few": 3, "a few": 3, "several": 3, "несколько": 3, "neskolko": 3,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятницу": 4, "пятница": 4,
    "субботу": 5, "суббота": 5, "воскресенье": 6,
    "ponedelnik": 0, "vtornik": 1, "sredu": 2, "chetverg": 3, "pyatnitsu": 4, "subbotu": 5, "voskresene": 6,
}  # fmt: skip
_DAY_OFFSETS = {
    "today": 0, "tonight": 0, "this morning": 0, "this evening": 0, "yesterday": -1, "last night": -1,
    "day before yesterday": -2, "сегодня": 0, "утром": 0, "вчера": -1, "позавчера": -2, "segodnya": 0,
    "segodnia": 0, "vchera": -1, "pozavchera": -2,
}  # fmt: skip
_UNIT_DAYS = (
    (r"day|days|дн\w*|день|sutok|сутк\w*|суток|dnya|dney|den'?", 1),
    (r"week|weeks|недел\w*|nedel\w*", 7),
)
_RELATIVE_RE = re.compile(
    r"\b(?P<n>\d{1,3}|a few|few|several|a|an|one|two|three|four|five|six|seven|ten|couple(?: of)?|один|одну|два|две|"
    r"три|четыре|пять|шесть|десять|пару|несколько|neskolko)?\s*(?P<unit>days?|weeks?|дн\w*|день|недел\w*|сутк\w*|суток|dnya|dney|nedel\w*)\s+"
    r"(?P<dir>ago|назад|nazad)",
    re.IGNORECASE,
)
_DAY_WORD_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(_DAY_OFFSETS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_WEEKDAY_RE = re.compile(
    r"(?<!\w)(?P<last>last|прошл\w+|в прошл\w+)?\s*(?:on|в|во|v)?\s*(?P<day>"
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
_ISO_DATE_RE = re.compile(r"(?<!\d)(?P<y>20\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\d.,/])(?P<a>\d{1,2})[./](?P<b>\d{1,2})(?:[./](?P<y>\d{4}|\d{2}))?(?![\d,])(?!\.\d)"
    + rf"(?!\s?(?:{_SYMBOL_RE}|(?:{_CURRENCY_WORD_RE}|{_MULTIPLIER_RE})\b))",
    re.IGNORECASE,
)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|январ\w*|феврал\w*|март\w*|апрел\w*|ма[йя]|июн\w*|июл\w*|"
    r"август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*"
)
_MONTH_DATE_RE = re.compile(
    rf"(?<!\w)(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th|-?го)?\s+(?:of\s+)?(?P<m1>{_MONTHS})(?:\s+(?P<y1>20\d\d))?"
    rf"|(?P<m2>{_MONTHS})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>20\d\d))?)(?!\w)",
    re.IGNORECASE,
)


_DAY_OF_MONTH_RE = re.compile(
    r"(?<!\w)(?:on\s+)?the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b|(?<![\w.])(?P<d2>\d{1,2})-?го(?!\w)"
)


def _past(candidate: date, today: date) -> date:
    """A day-and-month date without a year means the most recent one: players write about the past."""
    if candidate > today:
        try:
            return candidate.replace(year=candidate.year - 1)
        except ValueError:
            return candidate
    return candidate


@lru_cache(maxsize=4096)
def _dateparser_phrase(phrase: str, today: date) -> date | None:
    import dateparser  # type: ignore[import-untyped]

    base = datetime(today.year, today.month, today.day, 12, 0)  # noqa: DTZ001 - dateparser wants a naive base
    parsed = dateparser.parse(
        phrase,
        languages=["en", "ru"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"},
    )
    return parsed.date() if parsed else None


def extract_date(text: str, now: datetime) -> date | None:
    today = now.date()
    found: list[tuple[int, date]] = []
    match: re.Match[str] | None
    for match in _RELATIVE_RE.finditer(text):
        raw = (match.group("n") or "1").lower().removesuffix(" of")
        count = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 1)
        unit = match.group("unit").lower()
        days = 7 if re.match(_UNIT_DAYS[1][0], unit) else 1
        found.append((match.start(), today - timedelta(days=count * days)))
    for match in _DAY_WORD_RE.finditer(text):
        found.append((match.start(), today + timedelta(days=_DAY_OFFSETS[match.group(0).lower()])))
    for match in _WEEKDAY_RE.finditer(text):
        weekday = _WEEKDAYS[match.group("day").lower()]
        back = (today.weekday() - weekday) % 7
        if back == 0 and match.group("last"):
            back = 7
        found.append((match.start(), today - timedelta(days=back)))
    for match in _ISO_DATE_RE.finditer(text):
        try:
            found.append((match.start(), date(int(match["y"]), int(match["m"]), int(match["d"]))))
        except ValueError:
            continue
    for match in _NUMERIC_DATE_RE.finditer(text):
        if len(match["b"]) == 1 and not match["y"]:
            continue  # "2.5" is a number far more often than the 2nd of May
        a, b = int(match["a"]), int(match["b"])
        day, month = (a, b) if b <= 12 else (b, a)  # day first, as in Russian and most of Europe
        year_raw = match["y"]
        year = (2000 + int(year_raw) if len(year_raw) == 2 else int(year_raw)) if year_raw else today.year
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        found.append((match.start(), candidate if year_raw else _past(candidate, today)))
    for match in _MONTH_DATE_RE.finditer(text):
        parsed = _dateparser_phrase(match.group(0).lower().replace("-го", ""), today)
        if parsed is not None:
            found.append((match.start(), parsed if (match["y1"] or match["y2"]) else _past(parsed, today)))
    for match in _DAY_OF_MONTH_RE.finditer(text):
        if any(start <= match.start() < start + 20 for start, _ in found):
            continue  # "14-го октября" was read with its month above
        day = int(match["d"] or match["d2"])
        month_start = today.replace(day=1)
        for candidate_month in (month_start, (month_start - timedelta(days=1)).replace(day=1)):
            try:
                candidate = candidate_month.replace(day=day)
            except ValueError:
                continue
            if candidate <= today:
                found.append((match.start(), candidate))
                break
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]


def extract_entities(text: str, *, now: datetime) -> Entities:
    amount = extract_amount(text)
    currency = amount[1] if amount else None
    return Entities(
        amount_minor=amount[0] if amount else None,
        currency=currency,
        reference=extract_reference(text),
        card_last4=extract_card_last4(text),
        method=extract_method(text, currency),
        date=extract_date(text, now),
    )
