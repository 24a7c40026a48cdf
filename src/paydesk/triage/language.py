"""Language of a player message: English or Russian, including Russian typed in Latin letters ("ne prishli dengi").

Words are counted, not letters: Cyrillic words count for Russian; a Latin word counts for Russian when it is in the
list of transliterated Russian words shipped in the model file (taken from our Russian training examples) or looks
transliterated ("zh", "-aya", "-tsya"), and for English when it is in the English list (our English examples and
Banking77's train split). The side with more words wins; a tie with any Cyrillic goes to Russian. The product answers
in one of two languages, so the answer is always "en" or "ru".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN_RE = re.compile(r"[a-z]", re.IGNORECASE)
# Letter groups that transliterated Russian is full of and English words rarely have.
_RU_LATIN_SHAPE_RE = re.compile(r"zh|kh|shch|tsya|sya$|yy$|iy$|aya$|oye$|ogo$|yu|ya$|ii$|'[a-z]")
_ANY_WORD_RE = re.compile(r"[^\W\d_][\w']*")

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
        words = _ANY_WORD_RE.findall(text.lower())
        cyrillic_words = sum(1 for w in words if _CYRILLIC_RE.search(w))
        ru_hits = en_hits = 0
        for word in words:
            if not _LATIN_RE.search(word):
                continue
            in_ru = word in self._ru
            in_en = word in self._en
            if in_ru and not in_en:
                ru_hits += 1
            elif in_en and not in_ru:
                en_hits += 1
            elif not in_en and _RU_LATIN_SHAPE_RE.search(word):
                ru_hits += 1
        # Mixed scripts: the side with more words wins ("мой deposit не пришёл" is Russian, "my депозит is
        # missing" English); a tie with some Cyrillic goes to Russian, English rarely needs Cyrillic letters.
        if cyrillic_words:
            return "ru" if cyrillic_words + ru_hits >= en_hits else "en"
        return "ru" if ru_hits > en_hits else "en"
