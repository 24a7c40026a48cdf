"""Language of a player message: English or Russian, including Russian typed in Latin letters ("ne prishli dengi").

Cyrillic letters decide when there are enough of them; otherwise the Latin words are compared against two word lists
shipped in the model file: transliterated Russian words taken from our Russian examples, and English words from the
English training texts. The product answers in one of two languages, so the answer is always "en" or "ru".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN_RE = re.compile(r"[a-z]", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z']{2,}", re.IGNORECASE)

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
# The other spellings players commonly use for the same letters ("den'gi", "vyvod"/"vivod", "khorosho").
_TRANSLIT_ALT = {"х": "kh", "ь": "'", "й": "i", "ы": "i", "ц": "c", "щ": "shch", "я": "ia", "ю": "iu"}

# Short, very frequent transliterated words that no English message uses; the model's list adds the long tail.
_RU_LATIN_CORE_TEXT = (
    "ne net da ya mne menya moi moy moya moe vy vam vas vash pochemu gde kogda kak chto eto uzhe esche eshe "
    "dengi den'gi dengi deneg prishli prishlo prishel vyvod vivod vyvesti popolnenie popolnil depozit balans "
    "schet schete kartu karta karty kartoy spisali spisanie vozvrat zdravstvuyte zdravstvuite privet spasibo "
    "pozhaluysta pozhaluista pomogite srochno dobryy dobriy den' nichego skolko zhdat' zhdu"
)
_RU_LATIN_CORE = frozenset(_RU_LATIN_CORE_TEXT.split())


def transliterate(text: str, *, alternative: bool = False) -> str:
    """Russian text in Latin letters, the way a player without a Russian keyboard would type it."""
    out: list[str] = []
    for ch in text:
        low = ch.lower()
        rep = _TRANSLIT.get(low)
        if rep is None:
            out.append(ch)
            continue
        if alternative:
            rep = _TRANSLIT_ALT.get(low, rep)
        out.append(rep.capitalize() if ch.isupper() else rep)
    return "".join(out)


class LanguageDetector:
    def __init__(self, *, ru_latin_words: Iterable[str], en_words: Iterable[str]) -> None:
        self._ru = frozenset(ru_latin_words) | _RU_LATIN_CORE
        self._en = frozenset(en_words) - _RU_LATIN_CORE

    def detect(self, text: str) -> str:
        cyrillic = len(_CYRILLIC_RE.findall(text))
        latin = len(_LATIN_RE.findall(text))
        if cyrillic and cyrillic * 2 >= latin:
            return "ru"
        ru_hits = en_hits = 0
        for word in _WORD_RE.findall(text.lower()):
            in_ru = word in self._ru
            in_en = word in self._en
            if in_ru and not in_en:
                ru_hits += 1
            elif in_en and not in_ru:
                en_hits += 1
        if ru_hits > en_hits:
            return "ru"
        # A few Cyrillic letters with no English words either ("ok, депозит") still mean Russian.
        if cyrillic and en_hits == 0:
            return "ru"
        return "en"
