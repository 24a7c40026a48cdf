"""Tone of Voice linter: checks a reply to a player against the company's guide, in English or Russian.

The guide is data (``tone_of_voice.yaml`` shipped beside this module, or an admin's edited copy): greeting and
sign-off, formal «Вы» in Russian, banned phrases, internal jargon players must not see (PSP, callback, webhook,
acquirer, MID, risk or fraud flags, AML), blame, unconditional time promises, shouting and length. Each finding has a
character span in the reply, a severity and a suggestion. Rules it protects: an ``error`` finding means the reply
must not be sent as is; a guide with a broken pattern is refused when loaded, naming the rule, never at lint time.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from paydesk.core.errors import ValidationError

GUIDE_PATH = Path(__file__).resolve().parent / "tone_of_voice.yaml"
LANGUAGES = ("en", "ru")
SEVERITIES = ("error", "warning")

_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD_RE = re.compile(r"\b[^\W\d_]+\b")


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    message: str
    start: int
    end: int
    text: str
    suggestion: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    severity: str
    pattern: re.Pattern[str]
    suggestion: str
    message: str


@dataclass(frozen=True, slots=True)
class _TimeRule:
    severity: str
    time: re.Pattern[str]
    firm: re.Pattern[str]
    hedges: re.Pattern[str]
    suggestion: str


@dataclass(frozen=True, slots=True)
class LanguageGuide:
    greeting: _Rule | None
    sign_off: _Rule | None
    length_warning: int
    length_error: int
    max_exclamations: int
    caps_severity: str
    caps_min_length: int
    caps_allowed: frozenset[str]
    caps_suggestion: str
    rules: tuple[_Rule, ...]
    time_promises: _TimeRule | None


def _compile(where: str, pattern: Any, *, case_sensitive: bool = False) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ValidationError(f"tone of voice guide: {where} needs a non-empty pattern string")
    try:
        return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise ValidationError(f"tone of voice guide: {where} has a broken pattern {pattern!r}: {exc}") from exc


def _severity(where: str, value: Any, default: str = "error") -> str:
    severity = default if value is None else value
    if severity not in SEVERITIES:
        raise ValidationError(f"tone of voice guide: {where} severity {severity!r} is not one of {SEVERITIES}")
    return str(severity)


def _section(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ValidationError(f"tone of voice guide: {where}.{key} must be a mapping")
    return value


def _any_of(where: str, code: str, section: dict[str, Any], message: str) -> _Rule | None:
    patterns = section.get("patterns") or []
    if not patterns:
        return None
    if not isinstance(patterns, list):
        raise ValidationError(f"tone of voice guide: {where}.patterns must be a list")
    joined = "|".join(f"(?:{p})" for p in patterns)
    return _Rule(
        code=code,
        severity=_severity(where, section.get("severity"), "warning"),
        pattern=_compile(where, joined),
        suggestion=str(section.get("suggestion", "")),
        message=message,
    )


def _language(lang: str, data: dict[str, Any]) -> LanguageGuide:
    rules: list[_Rule] = []
    # Lists of {pattern, suggestion} entries under one severity.
    for section_name, items, code, message in (
        ("jargon", "terms", "jargon", "internal jargon the player must not see"),
        ("banned_phrases", "phrases", "banned-phrase", "a phrase the guide bans"),
    ):
        section = _section(data, section_name, lang)
        for i, item in enumerate(section.get(items) or []):
            where = f"{lang}.{section_name}.{items}[{i}]"
            rules.append(
                _Rule(
                    code=code,
                    severity=_severity(where, section.get("severity")),
                    pattern=_compile(where, item.get("pattern")),
                    suggestion=str(item.get("suggestion", "")),
                    message=message,
                )
            )
    blame = _section(data, "blame", lang)
    for i, pattern in enumerate(blame.get("patterns") or []):
        where = f"{lang}.blame.patterns[{i}]"
        rules.append(
            _Rule(
                code="blame",
                severity=_severity(where, blame.get("severity")),
                pattern=_compile(where, pattern),
                suggestion=str(blame.get("suggestion", "")),
                message="blames the player",
            )
        )
    address = _section(data, "address", lang)
    for key, code, message in (
        ("informal", "informal-address", "informal address («ты»): the guide asks for «Вы»"),
        ("lowercase_formal", "lowercase-formal-address", "«вы» addressed to the player is written with a capital"),
    ):
        rule = _section(address, key, f"{lang}.address")
        if rule:
            where = f"{lang}.address.{key}"
            rules.append(
                _Rule(
                    code=code,
                    severity=_severity(where, rule.get("severity")),
                    pattern=_compile(where, rule.get("pattern"), case_sensitive=bool(rule.get("case_sensitive"))),
                    suggestion=str(rule.get("suggestion", "")),
                    message=message,
                )
            )
    promises = _section(data, "time_promises", lang)
    time_rule = None
    if promises:
        where = f"{lang}.time_promises"
        time_rule = _TimeRule(
            severity=_severity(where, promises.get("severity")),
            time=_compile(f"{where}.time", promises.get("time")),
            firm=_compile(f"{where}.firm", promises.get("firm")),
            hedges=_compile(f"{where}.hedges", promises.get("hedges")),
            suggestion=str(promises.get("suggestion", "")),
        )
    length = _section(data, "max_length", lang)
    caps = _section(data, "caps", lang)
    return LanguageGuide(
        greeting=_any_of(f"{lang}.greeting", "greeting-missing", _section(data, "greeting", lang), "no greeting"),
        sign_off=_any_of(f"{lang}.sign_off", "sign-off-missing", _section(data, "sign_off", lang), "no sign-off"),
        length_warning=int(length.get("warning", 1000)),
        length_error=int(length.get("error", 2000)),
        max_exclamations=int(data.get("max_exclamations", 1)),
        caps_severity=_severity(f"{lang}.caps", caps.get("severity"), "warning"),
        caps_min_length=int(caps.get("min_length", 4)),
        caps_allowed=frozenset(str(w) for w in caps.get("allowed") or []),
        caps_suggestion=str(caps.get("suggestion", "")),
        rules=tuple(rules),
        time_promises=time_rule,
    )


def load_guide(path: Path | None = None) -> dict[str, LanguageGuide]:
    """Read and compile a guide; the shipped one when ``path`` is None. Raises ValidationError naming the problem."""
    source = path or GUIDE_PATH
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"cannot read tone of voice guide {source}: {exc.strerror or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationError(f"tone of voice guide {source} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValidationError(f"tone of voice guide {source} must be a mapping of languages (en, ru)")
    guide = {}
    for lang in LANGUAGES:
        section = raw.get(lang)
        if not isinstance(section, dict):
            raise ValidationError(f"tone of voice guide {source} has no section for {lang!r}")
        guide[lang] = _language(lang, section)
    return guide


@cache
def _default_guide() -> dict[str, LanguageGuide]:
    return load_guide()


def _finding(code: str, severity: str, message: str, text: str, start: int, end: int, suggestion: str) -> Finding:
    return Finding(code, severity, message, start, end, text[start:end], suggestion)


def lint_reply(text: str, *, lang: str, guide: dict[str, LanguageGuide] | None = None) -> list[Finding]:
    """Findings for ``text`` in ``lang`` ("en" or "ru"), ordered by position; spans are character offsets."""
    if lang not in LANGUAGES:
        raise ValidationError(f"unknown reply language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    rules = (guide or _default_guide())[lang]
    if not text.strip():
        return [_finding("empty", "error", "the reply is empty", text, 0, len(text), "write a reply")]
    findings: list[Finding] = []
    if rules.greeting and not rules.greeting.pattern.search(text):
        findings.append(_finding("greeting-missing", rules.greeting.severity, "no greeting", text, 0, 0,
                                 rules.greeting.suggestion))  # fmt: skip
    if rules.sign_off and not rules.sign_off.pattern.search(text):
        end = len(text.rstrip())
        findings.append(_finding("sign-off-missing", rules.sign_off.severity, "no sign-off", text, end, end,
                                 rules.sign_off.suggestion))  # fmt: skip
    for rule in rules.rules:
        for match in rule.pattern.finditer(text):
            findings.append(
                _finding(rule.code, rule.severity, rule.message, text, match.start(), match.end(), rule.suggestion)
            )
    if rules.time_promises:
        promise = rules.time_promises
        for sentence in _SENTENCE_RE.finditer(text):
            body = sentence.group(0)
            if promise.time.search(body) and promise.firm.search(body) and not promise.hedges.search(body):
                start = sentence.start() + (len(body) - len(body.lstrip()))
                findings.append(
                    _finding("time-promise", promise.severity, "promises a time without a hedge", text, start,
                             sentence.start() + len(body.rstrip()), promise.suggestion)
                )  # fmt: skip
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        if len(word) >= rules.caps_min_length and word.isupper() and word not in rules.caps_allowed:
            findings.append(_finding("caps", rules.caps_severity, "shouting in capitals", text, match.start(),
                                     match.end(), rules.caps_suggestion))  # fmt: skip
    exclamations = [m.start() for m in re.finditer("!", text)]
    if len(exclamations) > rules.max_exclamations:
        first_extra = exclamations[rules.max_exclamations]
        findings.append(_finding("exclamations", "warning",
                                 f"{len(exclamations)} exclamation marks (at most {rules.max_exclamations})",
                                 text, first_extra, exclamations[-1] + 1, "keep one at most"))  # fmt: skip
    if len(text) > rules.length_warning:
        severity = "error" if len(text) > rules.length_error else "warning"
        limit = rules.length_error if severity == "error" else rules.length_warning
        findings.append(_finding("too-long", severity, f"{len(text)} characters (limit {limit})", text, limit,
                                 len(text), "shorten the reply"))  # fmt: skip
    findings.sort(key=lambda f: (f.start, f.end, f.code))
    return findings
