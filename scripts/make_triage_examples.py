"""Write src/paydesk/triage/data/examples_{en,ru}.jsonl from the hand-written base messages.

Each base message (scripts/triage_examples_en.py / _ru.py) is used a few times with different amounts, references,
methods and dates in its slots, and with the noise real chat has: greetings and sign-offs, lower case, missing
punctuation, typos, and (Russian) Latin transliteration. Deterministic: the same seed writes the same files.
All variants of one base message land on the same side of train_triage.is_held_out, so the held-out fifth is made
of base messages the classifier never saw in any form.

    .venv/bin/python scripts/make_triage_examples.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_triage import is_held_out
from triage_examples_en import EN, EN_FOURTH, EN_MORE, EN_THIRD
from triage_examples_ru import RU, RU_FOURTH, RU_MORE, RU_THIRD

OUT = Path(__file__).resolve().parents[1] / "src" / "paydesk" / "triage" / "data"
PER_CATEGORY = 100

AMOUNTS = {
    "en": [
        "$50",
        "50 usd",
        "€120",
        "120 EUR",
        "£30",
        "1,250 USD",
        "0.01 BTC",
        "100 usdt",
        "50 bucks",
        "200 euros",
        "$1,000",
        "75.50 EUR",
        "1.000,50 EUR",
        "300 dollars",
        "£15.99",
        "2500 RUB",
        "0.05 ETH",
        "$20",
        "40 quid",
        "USD 500",
        "EUR 75",
        "1 500 ₽",
        "250 CAD",
        "25$",
    ],
    "ru": [
        "1 500 ₽",
        "1500р",
        "5к рублей",
        "5000 руб",
        "100$",
        "50 долларов",
        "0,01 BTC",
        "100 usdt",
        "300 евро",
        "2000 рублей",
        "10 тыс руб",
        "1.000,50 EUR",
        "15 000 рублей",
        "3000 р.",
        "700 ₽",
        "20 баксов",
        "0,5 eth",
        "150 USDT",
        "$40",
        "2к",
        "25 000 ₸",
        "1000 гривен",
        "2,5к рублей",
        "500 EUR",
    ],
}
METHODS = {
    "en": [
        "card",
        "visa",
        "mastercard",
        "my debit card",
        "skrill",
        "neteller",
        "paypal",
        "bank transfer",
        "SEPA",
        "crypto",
        "bitcoin",
        "USDT",
        "apple pay",
        "SBP",
        "muchbetter",
        "astropay",
        "wire transfer",
        "ecoPayz",
    ],
    "ru": [
        "карту",
        "визу",
        "мастеркард",
        "карту Мир",
        "скрилл",
        "юмани",
        "киви",
        "банковский перевод",
        "СБП",
        "крипту",
        "биткоин",
        "usdt",
        "пайпал",
        "кошелёк",
        "сбер",
        "тинькофф",
        "вебмани",
        "перевод по номеру",
    ],
}
DATES = {
    "en": [
        "yesterday",
        "today",
        "on Monday",
        "last friday",
        "3 days ago",
        "on 12.05",
        "on 5 March",
        "March 3rd",
        "this morning",
        "2 weeks ago",
        "on the 14th",
        "2024-11-02",
        "last night",
        "on sunday",
        "a week ago",
        "on 03/10",
        "on 21 Oct",
    ],
    "ru": [
        "вчера",
        "сегодня",
        "позавчера",
        "в понедельник",
        "3 дня назад",
        "12.05",
        "5 марта",
        "утром",
        "на прошлой неделе",
        "14-го",
        "в пятницу",
        "неделю назад",
        "2 недели назад",
        "21 октября",
        "вчера вечером",
        "03.10.2024",
        "в воскресенье",
    ],
}
OPENERS = {
    "en": [
        "",
        "",
        "",
        "",
        "hi",
        "hello",
        "hey",
        "Hi team,",
        "good morning,",
        "pls help",
        "URGENT:",
        "Hello support,",
        "hey guys",
        "sorry to bother,",
        "hi there",
        "Dear support,",
        "yo",
        "hello?",
    ],
    "ru": [
        "",
        "",
        "",
        "",
        "здравствуйте",
        "добрый день",
        "привет",
        "алло",
        "помогите",
        "СРОЧНО",
        "девушка,",
        "извините,",
        "здрасте",
        "ау",
        "Уважаемая поддержка,",
        "добрый",
    ],
}
CLOSERS = {
    "en": [
        "",
        "",
        "",
        "",
        "thanks",
        "thx",
        "pls",
        "asap",
        "???",
        "!!!",
        "this is ridiculous",
        "please help",
        "waiting for your answer",
        "my username is {user}",
        "regards, {name}",
        "I've been a customer for years",
        "thank you in advance",
        "answer me",
        "I need this sorted today",
    ],
    "ru": [
        "",
        "",
        "",
        "",
        "спасибо",
        "пожалуйста",
        "срочно",
        "???",
        "!!!",
        "жду ответа",
        "безобразие",
        "сколько можно",
        "мой логин {user}",
        "с уважением, {name}",
        "заранее спасибо",
        "ответьте уже",
        "помогите разобраться",
    ],
}
GREETINGS = ("hi", "hello", "good ", "здравствуйте", "добрый", "доброе")
USERS = ["lucky_77", "max.p", "andrey1990", "kate_win", "spinmaster", "olga.k", "dimon", "jackpot_joe", "ivan_v"]
NAMES = {
    "en": ["Tom", "Sarah", "Mike K.", "Anna", "J. Smith", "Daniel"],
    "ru": ["Андрей", "Ольга", "Сергей П.", "Ирина"],
}

TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
# Other spellings players use for the same letters.
TRANSLIT_ALT = {"х": "kh", "ь": "'", "й": "i", "ы": "i", "ц": "c", "щ": "shch", "я": "ia", "ю": "iu"}


def transliterate(text: str, rng: random.Random) -> str:
    alt = rng.random() < 0.4
    out = []
    for ch in text:
        low = ch.lower()
        if low in TRANSLIT:
            rep = TRANSLIT_ALT.get(low, TRANSLIT[low]) if alt else TRANSLIT[low]
            out.append(rep.capitalize() if ch.isupper() else rep)
        elif ch == "₽":
            out.append("rub")
        else:
            out.append(ch)
    return "".join(out)


def add_typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.choice(["swap", "drop", "double"])
    if op == "swap":
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op == "drop":
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def random_ref(rng: random.Random) -> str:
    alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    kind = rng.choice(["dep", "wd", "pi", "ch", "py", "adyen", "adyen_digits", "hash"])
    if kind == "dep":
        return "DEP-" + "".join(rng.choices(alnum, k=8))
    if kind == "wd":
        return "WD-" + "".join(rng.choices(alnum, k=8))
    if kind in {"pi", "ch", "py"}:
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return f"{kind}_" + "".join(rng.choices(letters, k=24))
    if kind == "adyen":
        return "".join(rng.choices(alnum, k=16))
    if kind == "adyen_digits":
        return "88" + "".join(rng.choices("0123456789", k=14))
    return "#" + "".join(rng.choices("0123456789", k=rng.randint(5, 8)))


def fill(template: str, lang: str, rng: random.Random) -> str:
    return template.format(
        amt=rng.choice(AMOUNTS[lang]),
        ref=random_ref(rng),
        m=rng.choice(METHODS[lang]),
        d=rng.choice(DATES[lang]),
        l4="".join(rng.choices("0123456789", k=4)),
        n=rng.choice([2, 3, 4, 5, 6, 10, 12, 24, 48]),
    )


def vary(text: str, lang: str, rng: random.Random) -> str:
    opener = rng.choice(OPENERS[lang])
    closer = rng.choice(CLOSERS[lang]).format(user=rng.choice(USERS), name=rng.choice(NAMES[lang]))
    greeted = text.lower().startswith(GREETINGS)
    if opener and not greeted:
        sep = " " if opener.endswith(",") or rng.random() < 0.5 else ", "
        body = text[0].lower() + text[1:] if rng.random() < 0.6 else text
        text = f"{opener}{sep}{body}"
    if closer:
        joiner = " " if text.rstrip()[-1:] in {"?", "!", "."} else rng.choice([" ", ". ", ", "])
        text = f"{text.rstrip()}{joiner}{closer}"
    if rng.random() < 0.3:
        text = text.lower()
    if rng.random() < 0.25:
        text = text.rstrip(".!?")
    if rng.random() < 0.25:
        text = add_typo(text, rng)
    if lang == "ru" and rng.random() < 0.2:
        text = transliterate(text, rng)
    return text


def build(bases: dict[str, list[str]], lang: str, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for category, templates in bases.items():
        seen: set[str] = set()
        picked: list[str] = []
        round_no = 0
        while len(picked) < PER_CATEGORY:
            for template in templates:
                if len(picked) >= PER_CATEGORY:
                    break
                # Every variant of a base message falls on the same side of the held-out split as the base itself,
                # so the held-out fifth measures messages whose wording the model has never seen.
                held = is_held_out(template)
                for _attempt in range(100):
                    text = fill(template, lang, rng)
                    plain = round_no == 0 and "{" not in template and rng.random() < 0.5
                    text = text if plain else vary(text, lang, rng)
                    if is_held_out(text) == held:
                        break
                else:
                    continue
                key = text.lower()
                if key not in seen:
                    seen.add(key)
                    picked.append(text)
            round_no += 1
        rows.extend({"text": t, "category": category} for t in picked)
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    english = {c: EN[c] + EN_MORE[c] + EN_THIRD[c] + EN_FOURTH[c] for c in EN}
    russian = {c: RU[c] + RU_MORE[c] + RU_THIRD[c] + RU_FOURTH[c] for c in RU}
    for lang, bases, seed in (("en", english, 5), ("ru", russian, 7)):
        rows = build(bases, lang, seed)
        path = OUT / f"examples_{lang}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{path}: {len(rows)} lines")


if __name__ == "__main__":
    main()
