"""Reply macros: the shipped EN/RU texts for every diagnosis finding and every inquiry category, loaded from YAML.

Owns the catalogue under ``replies/macros/`` (``findings.yaml``, ``categories.yaml``, ``phrases.yaml``) and two
rules: every macro exists in both languages, and a macro may use only the placeholders the renderer knows. A file
that breaks either is refused when loaded, naming the macro, never at render time in front of a player.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from paydesk.core.errors import ValidationError

MACRO_DIR = Path(__file__).resolve().parent / "macros"
LANGUAGES = ("en", "ru")
PLACEHOLDERS = frozenset(
    {
        "first_name",
        "amount",
        "date",
        "method",
        "reference",
        "reason",
        "documents",
        "payout_reference",
        "expected_date",
        "duplicate_reference",
        "status_sentence",
        "kind_noun",
    }
)


@dataclass(frozen=True, slots=True)
class Macro:
    key: str  # a finding code or a triage category
    variant: str  # "" when the macro has one text per language
    texts: dict[str, str]  # language -> body (without greeting and sign-off)

    @property
    def name(self) -> str:
        return f"{self.key}.{self.variant}" if self.variant else self.key


@dataclass(frozen=True, slots=True)
class Catalogue:
    findings: dict[str, dict[str, Macro]]  # code -> variant -> macro
    categories: dict[str, Macro]
    phrases: dict[str, Any]

    def all_macros(self) -> list[Macro]:
        items = [m for variants in self.findings.values() for m in variants.values()]
        return items + list(self.categories.values())


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _texts(where: str, entry: Any, *, allowed: frozenset[str]) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise ValidationError(f"macro {where}: expected a mapping with en and ru")
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        text = entry.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"macro {where}: the {lang} text is missing or empty")
        try:
            used = placeholders(text)
        except ValueError as exc:
            raise ValidationError(f"macro {where} ({lang}): broken placeholder: {exc}") from exc
        unknown = used - allowed
        if unknown:
            raise ValidationError(f"macro {where} ({lang}): unknown placeholder(s) {', '.join(sorted(unknown))}")
        texts[lang] = text.strip()
    extra = set(entry) - set(LANGUAGES)
    if extra:
        raise ValidationError(f"macro {where}: unexpected key(s) {', '.join(sorted(map(str, extra)))}")
    return texts


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"macro file {path.name} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"macro file {path.name}: expected a mapping at the top level")
    return data


def _macros(data: dict[str, Any], *, variants_allowed: bool) -> dict[str, dict[str, Macro]]:
    result: dict[str, dict[str, Macro]] = {}
    for key, entry in data.items():
        if variants_allowed and isinstance(entry, dict) and "variants" in entry:
            variants = entry["variants"]
            if not isinstance(variants, dict) or not variants:
                raise ValidationError(f"macro {key}: variants must be a non-empty mapping")
            result[str(key)] = {
                str(name): Macro(str(key), str(name), _texts(f"{key}.{name}", body, allowed=PLACEHOLDERS))
                for name, body in variants.items()
            }
        else:
            result[str(key)] = {"": Macro(str(key), "", _texts(str(key), entry, allowed=PLACEHOLDERS))}
    return result


def load_catalogue(directory: Path | None = None) -> Catalogue:
    folder = directory or MACRO_DIR
    phrases = _read(folder / "phrases.yaml")
    for section in ("reasons", "documents", "method_types"):
        for key, entry in (phrases.get(section) or {}).items():
            _texts(f"phrases.{section}.{key}", entry, allowed=frozenset())
    for kind, statuses in (phrases.get("statuses") or {}).items():
        for status, entry in statuses.items():
            _texts(f"phrases.statuses.{kind}.{status}", entry, allowed=PLACEHOLDERS)
    categories = {
        key: variants[""]
        for key, variants in _macros(_read(folder / "categories.yaml"), variants_allowed=False).items()
    }
    return Catalogue(
        findings=_macros(_read(folder / "findings.yaml"), variants_allowed=True),
        categories=categories,
        phrases=phrases,
    )


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue()
