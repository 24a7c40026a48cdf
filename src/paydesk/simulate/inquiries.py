"""Simulated player inquiries: chat messages in English and Russian about the players' own payments, registered as
tickets through the intake service, so the demo desk opens with a realistic queue and keeps receiving new chats.

Owns the message texts (written for this module, per scenario and language) and three promises:
- Truth: a message only states what is true of the player's own transaction: the amount in a notation players use,
  the card's last four digits, the wallet, the day ("yesterday", "14-го") as seen from the moment the player writes,
  and the reference when the player quotes one. Some messages quote a reference, some only amount and day, some
  nothing at all, as real chats do.
- Determinism and idempotency: the seed's inquiries are drawn from the world's seed and anchor, each with a stable
  channel message id (``sim:<world>:<n>``); intake stores a channel message once, so a second seed registers nothing.
  Live inquiries use ``sim:live:<reference>``: at most one per transaction.
- The desk's own path: every inquiry goes through ``ticket_register`` (channel webchat or telegram), which triages,
  links, diagnoses and drafts the reply like for any player.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paydesk.core import clock
from paydesk.core.errors import PaydeskError
from paydesk.core.money import Money
from paydesk.payments.enums import DepositStatus, Kind, MethodType, WithdrawalStatus
from paydesk.payments.models import Player, Transaction
from paydesk.tickets.enums import Channel
from paydesk.tickets.models import Message
from paydesk.triage.language import transliterate

logger = logging.getLogger(__name__)

MAX_SEED_INQUIRIES = 300
PLAYERS_PER_INQUIRY = 5  # the seed registers about one inquiry per this many players (capped above)
GENERAL_SHARE = 0.15  # questions not about one payment (fees, limits, access…)
SEED_SPREAD = timedelta(minutes=90)  # the seed's chats arrived over the last hour and a half
LIVE_CHANCE = 0.1  # per live tick (every 5 s in the demo): a new chat about every 50 s
LIVE_WINDOW = timedelta(days=2)
TRANSLIT_SHARE = 0.08  # Russian speakers typing in Latin letters

# --- What the player says the payment is, per detail level ----------------------------------------------------------

# level -> share of transaction inquiries
LEVELS = {"ref": 0.35, "details": 0.45, "vague": 0.20}

ABOUT: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        Kind.DEPOSIT: {
            "ref": ("my deposit {ref}", "deposit {ref}", "payment {ref}", "my top-up ({ref})", "transaction {ref}"),
            "details": (
                "my {amount} deposit {when}",
                "the {amount} I deposited {when}",
                "my deposit of {amount} {via} {when}",
                "the {amount} top-up {via}",
                "my payment of {amount} {when}",
            ),
            "vague": ("my deposit", "my last deposit", "the deposit I just made", "my payment"),
        },
        Kind.WITHDRAWAL: {
            "ref": ("my withdrawal {ref}", "withdrawal {ref}", "cashout {ref}", "my payout (ref {ref})"),
            "details": (
                "my {amount} withdrawal {when}",
                "the {amount} I withdrew {when}",
                "my withdrawal of {amount} {to} {when}",
                "my {amount} cashout {to}",
            ),
            "vague": ("my withdrawal", "my cashout", "my last withdrawal", "the money I withdrew"),
        },
    },
    # Russian: every phrase is masculine and reads the same in the nominative and the accusative case, so the
    # templates can put it in either place ("где мой вывод", "мой вывод не пришёл").
    "ru": {
        Kind.DEPOSIT: {
            "ref": ("мой депозит {ref}", "депозит {ref}", "платёж {ref}", "платёж с номером {ref}"),
            "details": (
                "депозит на {amount} {when}",
                "мой платёж на {amount} {via}",
                "депозит {amount} {via} {when}",
                "платёж {when} на {amount}",
                "депозит {when} на сумму {amount}",
            ),
            "vague": ("мой депозит", "последний депозит", "мой платёж", "депозит"),
        },
        Kind.WITHDRAWAL: {
            "ref": ("мой вывод {ref}", "вывод {ref}", "вывод по заявке {ref}", "вывод с номером {ref}"),
            "details": (
                "вывод на {amount} {when}",
                "мой вывод {amount} {to}",
                "вывод {when} на {amount}",
                "вывод {amount} {to} {when}",
            ),
            "vague": ("мой вывод", "вывод", "последний вывод", "мой вывод средств"),
        },
    },
}

# --- The messages, per topic ------------------------------------------------------------------------------------------
# {about} is one of the phrases above. Texts are written to read like chat: short, direct, sometimes annoyed.

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "not_credited": {
        "en": (
            "{about} - the money left my account but my balance is still empty",
            "I was charged for {about} but nothing showed up in my account",
            "my bank shows {about} as paid, my balance says 0. where did it go?",
            "{about} went through on my side, the money was taken, but I can't play because the balance is zero",
            "Charged but not credited: {about}. Please sort this out",
        ),
        "ru": (
            "{about} - деньги списали, а баланс пустой",
            "деньги ушли, а {about} так и не зачислен на счёт",
            "банк показывает, что {about} прошёл, а у меня на балансе ноль. куда делись деньги?",
            "оплатил {about}, списание есть, а в игре баланс не пополнился",
            "{about} списан, но не зачислен. разберитесь пожалуйста",
        ),
    },
    "declined": {
        "en": (
            "why was {about} declined?",
            "{about} keeps getting rejected, it works everywhere else",
            "tried {about} and it just says payment declined. what's wrong?",
            "Payment failed again - {about}. I have the money, I checked!",
        ),
        "ru": (
            "почему отклонили {about}?",
            "{about} не проходит, пишет платёж отклонён. деньги есть",
            "пытаюсь сделать {about}, а он отклоняется. в чём проблема?",
            "уже второй раз отказ, {about}. в других местах всё нормально платится",
        ),
    },
    "three_ds": {
        "en": (
            "{about} got stuck on the bank confirmation page, the SMS code never came",
            "{about}: the bank app never asked me to confirm, now it's just hanging",
            "the 3D secure window closed on me during {about}, did it go through or not?",
        ),
        "ru": (
            "{about} завис на подтверждении, смс с кодом от банка так и не пришла",
            "начал {about}, а банк не прислал код подтверждения. что теперь с платежом?",
            "при оплате вылетело окно банка, {about} прошёл или нет?",
        ),
    },
    "deposit_pending": {
        "en": (
            "{about} is still pending, how long does it take?",
            "been waiting for {about} for ages, status says processing",
            "{about} hasn't arrived yet. is it normal that it takes this long?",
            "when will {about} be credited? still nothing",
        ),
        "ru": (
            "{about} всё ещё в обработке, сколько ждать?",
            "жду {about} уже несколько часов, статус в ожидании",
            "{about} до сих пор не пришёл, это нормально что так долго?",
            "когда зачислят {about}? пока ничего нет",
        ),
    },
    "expired": {
        "en": (
            "the payment page timed out during {about}, was I charged?",
            "{about} says expired. I didn't finish in time, do I need to pay again?",
            "session ran out while I was doing {about}. what happens to my money?",
        ),
        "ru": (
            "страница оплаты закрылась по таймауту, {about} прошёл или деньги списались?",
            "{about} истёк, я не успел оплатить. надо платить заново?",
            "пока делал {about}, время сессии вышло. что с моими деньгами?",
        ),
    },
    "deposit_error": {
        "en": (
            "got an error in the middle of {about}, something went wrong on your side?",
            "{about} failed with a technical error. can I try again or will I be charged twice?",
            "your site showed 'something went wrong' during {about}",
        ),
        "ru": (
            "во время оплаты выскочила ошибка, {about} не прошёл. это у вас сбой?",
            "{about} завершился ошибкой. можно пробовать ещё раз или спишут дважды?",
            "при оплате написало 'что-то пошло не так', {about} не прошёл",
        ),
    },
    "charged_twice": {
        "en": (
            "I was charged twice for {about}! please refund the second one",
            "{about} was taken two times, I only paid once",
            "double charge on {about}. two identical payments on my statement",
        ),
        "ru": (
            "за {about} деньги списали два раза! верните второй платёж",
            "{about} списали дважды, а платил я один раз",
            "в выписке два одинаковых списания, {about} задвоился",
        ),
    },
    "deposit_hold": {
        "en": (
            "{about} says under review. why? it's my own account",
            "why is {about} on hold? I need to play tonight",
            "{about} has been stuck in review for hours",
        ),
        "ru": (
            "{about} на проверке. почему? плачу со своего счёта",
            "почему {about} заморожен? мне нужно сегодня играть",
            "{about} висит на проверке уже несколько часов",
        ),
    },
    "refund_where": {
        "en": (
            "you told me {about} would be refunded. I still don't see the money back",
            "where is the refund for {about}?",
            "the refund of {about} hasn't reached my account yet, how long does it take?",
        ),
        "ru": (
            "мне сказали, что {about} вернут. деньги так и не пришли обратно",
            "где возврат за {about}?",
            "возврат за {about} до сих пор не пришёл, сколько ещё ждать?",
        ),
    },
    "deposit_check": {
        "en": (
            "can you check {about}, did it go through ok?",
            "just want to make sure {about} arrived fine",
            "is everything ok with {about}? the bank sent me a weird notification",
        ),
        "ru": (
            "проверьте пожалуйста {about}, всё прошло нормально?",
            "хочу убедиться, что {about} дошёл",
            "всё ли в порядке, {about} зачислен? банк прислал странное уведомление",
        ),
    },
    "withdrawal_where": {
        "en": (
            "where is {about}?",
            "{about} still hasn't arrived. how much longer?",
            "it's been days and {about} is still processing. what's going on?",
            "I'm still waiting for {about}, when will I get my money?",
            "{about} is taking forever. please check",
        ),
        "ru": (
            "где {about}?",
            "{about} до сих пор не пришёл. сколько ещё ждать?",
            "уже несколько дней {about} в обработке. что происходит?",
            "жду {about}, когда будут деньги?",
            "{about} идёт очень долго, проверьте пожалуйста",
        ),
    },
    "paid_not_received": {
        "en": (
            "your site says {about} is paid but there's nothing in my bank",
            "{about} shows as completed, but I haven't received a cent",
            "status of {about} is 'paid' - my bank says nothing came in. who has my money?",
        ),
        "ru": (
            "у вас написано, что {about} выплачен, а в банке денег нет",
            "{about} в статусе выполнен, но деньги я не получил",
            "{about}: в статусе 'выплачено', а банк говорит поступлений не было. где деньги?",
        ),
    },
    "documents": {
        "en": (
            "why do I need to send documents for {about}? I've played here for months",
            "{about} is blocked and you ask for documents. which ones exactly?",
            "I uploaded my passport already, why is {about} still waiting for verification?",
        ),
        "ru": (
            "зачем документы? {about} остановлен, а я у вас играю уже полгода",
            "{about} остановлен, просят документы. какие именно нужны?",
            "паспорт я уже загрузил, почему {about} всё ещё ждёт верификацию?",
        ),
    },
    "wagering": {
        "en": (
            "I can't withdraw, it says wagering not complete. I didn't even want the bonus",
            "{about} was rejected because of the bonus? how much more do I have to wager?",
            "why was {about} cancelled? something about wagering requirements",
        ),
        "ru": (
            "не могу вывести, пишет что отыгрыш не выполнен. я бонус даже не просил",
            "{about} отклонили из-за бонуса? сколько ещё нужно отыграть?",
            "почему отменили {about}? что-то про условия отыгрыша бонуса",
        ),
    },
    "payout_failed": {
        "en": (
            "{about} failed. did the money go back to my balance?",
            "I got a message that {about} couldn't be sent. what now?",
            "{about} says failed, my details are correct. please fix it",
        ),
        "ru": (
            "{about} не прошёл. деньги вернулись на баланс?",
            "пришло уведомление, что {about} не удался. что делать?",
            "{about} с ошибкой, реквизиты верные. исправьте пожалуйста",
        ),
    },
    "payout_returned": {
        "en": (
            "the bank returned {about}. where is the money now?",
            "{about} bounced back from my bank, can you send it again?",
            "my bank says they sent {about} back to you. what happens next?",
        ),
        "ru": (
            "банк вернул {about}. где теперь деньги?",
            "{about} вернулся обратно из банка, можете отправить ещё раз?",
            "в банке сказали, что {about} отправили обратно вам. что дальше?",
        ),
    },
    "withdrawal_hold": {
        "en": (
            "why is {about} on hold?",
            "{about} has been 'under review' for days. this is ridiculous",
            "what review? {about} was approved and now it's stuck",
        ),
        "ru": (
            "почему {about} заморожен?",
            "{about} уже несколько дней на проверке. сколько можно?",
            "что за проверка? {about} висит и не двигается",
        ),
    },
    "withdrawal_when": {
        "en": (
            "when will {about} arrive?",
            "how long does {about} usually take?",
            "just checking on {about}, is it on its way?",
        ),
        "ru": (
            "когда придёт {about}?",
            "сколько обычно идёт {about}?",
            "подскажите, {about} уже отправлен?",
        ),
    },
}

GENERAL: dict[str, dict[str, tuple[str, ...]]] = {
    "fees": {
        "en": (
            "do you charge any fee for withdrawals?",
            "why did I get less than I withdrew? is there a commission?",
            "what are the fees for depositing with a card?",
        ),
        "ru": (
            "есть ли комиссия за вывод?",
            "почему пришло меньше, чем я выводил? вы берёте комиссию?",
            "какая комиссия за пополнение картой?",
        ),
    },
    "limits": {
        "en": (
            "what's the maximum I can withdraw per day?",
            "it says I hit my deposit limit. how do I raise it?",
            "is there a minimum deposit amount?",
        ),
        "ru": (
            "какой максимальный лимит на вывод в сутки?",
            "пишет что превышен лимит на депозит, как его увеличить?",
            "какая минимальная сумма пополнения?",
        ),
    },
    "exchange": {
        "en": (
            "which exchange rate do you use when I pay in another currency?",
            "my account is in euros and my card in dollars, the conversion looks wrong",
        ),
        "ru": (
            "по какому курсу вы конвертируете, если плачу в другой валюте?",
            "счёт у меня в рублях, а карта долларовая, курс какой-то странный",
        ),
    },
    "add_method": {
        "en": (
            "how do I add a new card? the old one expired",
            "can I withdraw to a different card than the one I deposited with?",
            "my e-wallet isn't in the list of payment methods anymore",
        ),
        "ru": (
            "как добавить новую карту? старая истекла",
            "можно вывести на другую карту, не на ту, с которой пополнял?",
            "мой кошелёк пропал из списка способов оплаты",
        ),
    },
    "account_access": {
        "en": (
            "I can't log in to my account, the password reset email never arrives",
            "my account got locked after too many login attempts",
        ),
        "ru": (
            "не могу зайти в аккаунт, письмо для сброса пароля не приходит",
            "аккаунт заблокировали после нескольких попыток входа",
        ),
    },
    "bonus": {
        "en": (
            "how much do I still need to wager before I can cash out my bonus?",
            "I didn't get the welcome bonus after my first deposit",
        ),
        "ru": (
            "сколько мне ещё отыгрывать бонус, чтобы вывести?",
            "после первого депозита не начислили приветственный бонус",
        ),
    },
}

GREETINGS = {
    "en": ("", "", "Hi, ", "Hello, ", "hey ", "Hi there, ", "Good evening, "),
    "ru": ("", "", "Здравствуйте, ", "Добрый день, ", "Привет, ", "Добрый вечер, ", "Доброе утро, "),
}
CLOSINGS = {
    "en": ("", "", "", " Thanks", " Please help", " Can you check?", " thx", " Waiting for your answer"),
    "ru": ("", "", "", " Спасибо", " Помогите пожалуйста", " Жду ответа", " Проверьте пожалуйста", " Очень жду"),
}
ANNOYED = {
    "en": (" This is the third time I'm writing!", " Nobody answers me!!", " I need this sorted today."),
    "ru": (" Пишу уже третий раз!", " Мне никто не отвечает!!", " Срочно нужно решить сегодня."),
}

# Topic for a simulated transaction's scenario label (metadata["sim"]["scenario"]).
TOPIC_BY_SCENARIO: dict[tuple[str, str], str] = {
    (Kind.DEPOSIT, "confirmed_not_credited"): "not_credited",
    (Kind.DEPOSIT, "issuer_decline"): "declined",
    (Kind.DEPOSIT, "three_ds_abandoned"): "three_ds",
    (Kind.DEPOSIT, "slow_confirmation"): "deposit_pending",
    (Kind.DEPOSIT, "payment_expired"): "expired",
    (Kind.DEPOSIT, "psp_error"): "deposit_error",
    (Kind.DEPOSIT, "duplicate_charge"): "charged_twice",
    (Kind.DEPOSIT, "risk_hold"): "deposit_hold",
    (Kind.DEPOSIT, "refunded"): "refund_where",
    (Kind.DEPOSIT, "ok"): "deposit_check",
    (Kind.WITHDRAWAL, "payout_delayed"): "withdrawal_where",
    (Kind.WITHDRAWAL, "paid_not_received"): "paid_not_received",
    (Kind.WITHDRAWAL, "kyc_documents"): "documents",
    (Kind.WITHDRAWAL, "bonus_wagering"): "wagering",
    (Kind.WITHDRAWAL, "payout_failed"): "payout_failed",
    (Kind.WITHDRAWAL, "bank_return"): "payout_returned",
    (Kind.WITHDRAWAL, "risk_hold"): "withdrawal_hold",
    (Kind.WITHDRAWAL, "ok"): "withdrawal_when",
}
# How likely a player in this situation writes in at all (relative weights), and how soon after the payment.
TOPIC_WEIGHT = {"deposit_check": 0.03, "withdrawal_when": 0.06}
TOPIC_DELAY = {
    "declined": timedelta(minutes=2),
    "three_ds": timedelta(minutes=10),
    "expired": timedelta(minutes=20),
    "deposit_error": timedelta(minutes=2),
    "deposit_pending": timedelta(minutes=30),
    "deposit_hold": timedelta(hours=1),
    "not_credited": timedelta(minutes=30),
    "charged_twice": timedelta(hours=2),
    "refund_where": timedelta(days=3),
    "withdrawal_where": timedelta(days=1),
    "paid_not_received": timedelta(days=1),
    "payout_returned": timedelta(days=2),
    "withdrawal_hold": timedelta(hours=12),
}
# Nobody writes about a declined card payment a week later: how old a payment can be for each topic.
TOPIC_MAX_AGE = {
    "declined": timedelta(days=2),
    "three_ds": timedelta(days=1),
    "expired": timedelta(days=1),
    "deposit_error": timedelta(days=2),
    "deposit_pending": timedelta(days=1),
    "deposit_check": timedelta(days=2),
}
# The live trickle has no labels to trust for old payments; it reads the status.
TOPIC_BY_STATUS: dict[tuple[str, str], str] = {
    (Kind.DEPOSIT, DepositStatus.DECLINED): "declined",
    (Kind.DEPOSIT, DepositStatus.FAILED): "deposit_error",
    (Kind.DEPOSIT, DepositStatus.EXPIRED): "expired",
    (Kind.DEPOSIT, DepositStatus.PENDING): "deposit_pending",
    (Kind.DEPOSIT, DepositStatus.CONFIRMED): "not_credited",
    (Kind.DEPOSIT, DepositStatus.HELD): "deposit_hold",
    (Kind.WITHDRAWAL, WithdrawalStatus.PROCESSING): "withdrawal_where",
    (Kind.WITHDRAWAL, WithdrawalStatus.APPROVED): "withdrawal_where",
    (Kind.WITHDRAWAL, WithdrawalStatus.AWAITING_DOCUMENTS): "documents",
    (Kind.WITHDRAWAL, WithdrawalStatus.HELD): "withdrawal_hold",
    (Kind.WITHDRAWAL, WithdrawalStatus.FAILED): "payout_failed",
    (Kind.WITHDRAWAL, WithdrawalStatus.RETURNED): "payout_returned",
    (Kind.WITHDRAWAL, WithdrawalStatus.REJECTED): "wagering",
}

_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_RU_MONTHS_GEN = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
_EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_RU_SLANG_CURRENCY = {"RUB": ("р", " руб", " рублей", " ₽"), "USD": ("$", " долларов", " баксов"), "EUR": (" евро",)}
_EN_SLANG_CURRENCY = {"USD": (" bucks", " dollars", " usd"), "EUR": (" euros", " eur"), "GBP": (" quid", " pounds")}
_EN_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the player can know about one of their payments."""

    reference: str
    psp_reference: str | None
    kind: str
    amount_minor: int
    currency: str
    method_type: str | None
    brand: str
    last4: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Inquiry:
    external_id: str
    player_id: int
    channel: str
    at: datetime
    language: str  # the language the player writes in (en or ru; Russian may be typed in Latin letters)
    topic: str
    text: str
    about: str | None  # the reference of the transaction it is about (the desk is not told; for evaluation)

    @property
    def subject(self) -> str:
        first = self.text.splitlines()[0]
        if len(first) <= 80:
            return first
        return first[:80].rsplit(" ", 1)[0] + "…"


def writer_language(player_language: str) -> str:
    return "ru" if player_language == "ru" else "en"


def amount_words(rng: random.Random, amount_minor: int, currency: str, lang: str) -> str:
    """The amount the way a player types it: "$50", "50 usd", "1500р", "1 500 ₽", "1,5к", "0.0021 BTC"."""
    money = Money(amount_minor, currency)
    value = money.to_decimal()
    whole = value == value.to_integral_value()
    number = str(int(value)) if whole else f"{value:f}"
    if currency in ("BTC", "USDT", "ETH"):
        return f"{number} {currency if rng.random() < 0.6 else currency.lower()}"
    if lang == "ru":
        ru_number = number.replace(".", ",")
        if currency == "RUB" and whole and int(value) >= 1000 and rng.random() < 0.3:
            spaced = f"{int(value):,}".replace(",", " ")
            return f"{spaced} ₽" if rng.random() < 0.5 else f"{spaced} руб."
        if currency == "RUB" and whole and int(value) % 1000 == 0 and int(value) >= 1000 and rng.random() < 0.3:
            return f"{int(value) // 1000}к" + ("" if rng.random() < 0.5 else " рублей")
        slang = _RU_SLANG_CURRENCY.get(currency)
        if slang and rng.random() < 0.8:
            suffix = rng.choice(slang)
            return f"{ru_number}{suffix}" if suffix != "$" else f"{ru_number}$"
        return f"{ru_number} {currency}"
    symbol = _EN_SYMBOL.get(currency)
    roll = rng.random()
    if symbol and roll < 0.45:
        return f"{symbol}{number}"
    slang = _EN_SLANG_CURRENCY.get(currency)
    if slang and roll < 0.7:
        return f"{number}{rng.choice(slang)}"
    if not whole or roll < 0.85:
        return f"{money.to_decimal():f} {currency}"
    return f"{number} {currency.lower()}"


def when_words(rng: random.Random, happened: datetime, written: datetime, lang: str) -> str:
    """When the payment happened, as the player says it at the moment of writing."""
    days = (written.date() - happened.date()).days
    if days <= 0:
        if lang == "ru":
            return rng.choice(("сегодня", "сегодня утром" if happened.hour < 12 else "сегодня днём", "только что"))
        return rng.choice(("today", "this morning" if happened.hour < 12 else "earlier today", "just now"))
    if days == 1:
        return "вчера" if lang == "ru" else "yesterday"
    if days == 2 and lang == "ru" and rng.random() < 0.5:
        return "позавчера"
    roll = rng.random()
    if lang == "ru":
        if roll < 0.35:
            return f"{days} дня назад" if days < 5 else f"{days} дней назад"
        if roll < 0.65:
            return f"{happened.day} {_RU_MONTHS_GEN[happened.month - 1]}"
        return f"{happened.day}-го"
    if roll < 0.35:
        return f"{days} days ago"
    if roll < 0.6 and days < 7:
        return f"on {_EN_DAYS[happened.weekday()]}"
    if roll < 0.8:
        return f"on {happened.day} {_EN_MONTHS[happened.month - 1]}"
    suffix = "th" if 11 <= happened.day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(happened.day % 10, "th")
    return f"on the {happened.day}{suffix}"


def _via(rng: random.Random, facts: Facts, lang: str) -> str:
    """How a deposit was paid, as a phrase ("with my card ending 4242", "через СБП")."""
    brand, last4 = facts.brand, facts.last4
    if facts.method_type == MethodType.CARD and last4:
        if lang == "ru":
            return rng.choice((f"с карты *{last4}", f"с карты на {last4}", f"картой {last4}"))
        return rng.choice((f"with my card ending {last4}", f"from my {brand or 'card'} ending {last4}"))
    options: dict[str, dict[str, str]] = {
        "ru": {
            MethodType.E_WALLET: f"через {brand or 'кошелёк'}",
            MethodType.BANK_TRANSFER: "банковским переводом",
            MethodType.CRYPTO: f"в {brand or 'крипте'}",
            MethodType.SBP: "через СБП",
        },
        "en": {
            MethodType.E_WALLET: f"via {brand or 'my e-wallet'}",
            MethodType.BANK_TRANSFER: "by bank transfer",
            MethodType.CRYPTO: f"in {brand or 'crypto'}",
            MethodType.SBP: "via SBP",
        },
    }
    return options[lang].get(facts.method_type or "", "")


def _to(rng: random.Random, facts: Facts, lang: str) -> str:
    """Where a withdrawal goes, as a phrase ("to my card ending 4242", "на карту *4242")."""
    brand, last4 = facts.brand, facts.last4
    if facts.method_type == MethodType.CARD and last4:
        if lang == "ru":
            return rng.choice((f"на карту *{last4}", f"на карту, которая заканчивается на {last4}"))
        return rng.choice((f"to my card ending {last4}", f"to the {brand or 'card'} ending in {last4}"))
    options: dict[str, dict[str, str]] = {
        "ru": {
            MethodType.E_WALLET: f"на {brand or 'кошелёк'}",
            MethodType.BANK_TRANSFER: "на банковский счёт",
            MethodType.CRYPTO: f"на кошелёк {brand}".strip(),
            MethodType.SBP: "через СБП",
        },
        "en": {
            MethodType.E_WALLET: f"to my {brand or 'e-wallet'}",
            MethodType.BANK_TRANSFER: "to my bank account",
            MethodType.CRYPTO: f"to my {brand} wallet" if brand else "to my wallet",
            MethodType.SBP: "via SBP",
        },
    }
    return options[lang].get(facts.method_type or "", "")


def _squash(text: str) -> str:
    return " ".join(text.split()).replace(" ,", ",").replace(" ?", "?").replace(" .", ".")


def compose(
    rng: random.Random, *, topic: str, lang: str, facts: Facts | None, written: datetime, level: str = "vague"
) -> str:
    """One chat message about ``topic`` in ``lang`` (en or ru), true to ``facts`` when given."""
    if facts is None:
        body = rng.choice(GENERAL[topic][lang])
    else:
        kind = facts.kind if facts.kind in (Kind.DEPOSIT, Kind.WITHDRAWAL) else Kind.DEPOSIT
        phrase = rng.choice(ABOUT[lang][kind][level])
        ref = facts.reference
        if facts.psp_reference and kind == Kind.DEPOSIT and rng.random() < 0.2:
            ref = facts.psp_reference  # copied from the bank statement or the PSP's receipt
        about = phrase.format(
            ref=ref,
            amount=amount_words(rng, facts.amount_minor, facts.currency, lang),
            when=when_words(rng, facts.created_at, written, lang),
            via=_via(rng, facts, lang),
            to=_to(rng, facts, lang),
        )
        body = rng.choice(TOPICS[topic][lang]).format(about=_squash(about))
    text = rng.choice(GREETINGS[lang]) + body
    closing = rng.choice(CLOSINGS[lang])
    annoyed = rng.choice(ANNOYED[lang]) if rng.random() < 0.07 else ""
    if text[-1] not in "?!.":
        # Chat often drops the final full stop, but a sentence that something follows gets one.
        text += "." if closing or annoyed or rng.random() < 0.4 else ""
    text += closing
    if annoyed and text[-1] not in "?!.":
        text += "."
    text += annoyed
    text = _squash(text)
    if rng.random() < 0.6:
        text = text[0].upper() + text[1:]
    return text


# --- Choosing what players write about ------------------------------------------------------------------------------


def _facts(row: dict[str, Any]) -> Facts:
    return Facts(
        reference=row["reference"],
        psp_reference=row["psp_reference"],
        kind=row["kind"],
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        method_type=row["method__type"],
        brand=row["method__brand"] or "",
        last4=row["method__last4"] or "",
        created_at=row["created_at"],
    )


_FIELDS = (
    "pk",
    "reference",
    "psp_reference",
    "kind",
    "status",
    "amount_minor",
    "currency",
    "created_at",
    "metadata",
    "player_id",
    "player__language",
    "method__type",
    "method__brand",
    "method__last4",
)


def _scenario(row: dict[str, Any]) -> str:
    meta = row["metadata"] if isinstance(row["metadata"], dict) else {}
    sim = meta.get("sim") if isinstance(meta.get("sim"), dict) else {}
    return str(sim.get("scenario", "")) if sim else ""


def _level(rng: random.Random) -> str:
    return rng.choices(list(LEVELS), weights=list(LEVELS.values()))[0]


def _message_language(rng: random.Random, player_language: str) -> tuple[str, bool]:
    lang = writer_language(player_language)
    return lang, lang == "ru" and rng.random() < TRANSLIT_SHARE


def _finish(text: str, translit: bool) -> str:
    return transliterate(text, alternative=len(text) % 2 == 0) if translit else text


def plan_seed_inquiries(*, tag: str, seed: int, players: int, anchor: datetime, now: datetime) -> list[Inquiry]:
    """The seed's inquiries for world ``tag``: which payments players write about, what they say and when.

    Which payments (and the channel message ids) depend only on the world (seed, anchor), so a rerun proposes the
    same inquiries and intake recognises them; the moment of writing is spread over the ``SEED_SPREAD`` before
    ``now``, never before the payment itself plus the topic's usual delay.
    """
    rng = random.Random(f"inquiries:{seed}:{tag}")
    total = min(MAX_SEED_INQUIRIES, max(4, players // PLAYERS_PER_INQUIRY))
    general = max(1, round(total * GENERAL_SHARE))
    since = anchor - timedelta(days=10)
    rows = list(
        Transaction.objects.filter(
            player__external_id__startswith=f"PL-{tag}-",
            kind__in=(Kind.DEPOSIT, Kind.WITHDRAWAL),
            created_at__gte=since,
            created_at__lte=anchor,
        )
        .order_by("pk")
        .values(*_FIELDS)
    )
    rng.shuffle(rows)
    chosen: list[tuple[dict[str, Any], str]] = []
    writers: set[int] = set()
    for row in rows:
        if len(chosen) >= total - general:
            break
        topic = TOPIC_BY_SCENARIO.get((row["kind"], _scenario(row)))
        if topic is None or row["player_id"] in writers:
            continue
        if anchor - row["created_at"] > TOPIC_MAX_AGE.get(topic, timedelta(days=10)):
            continue
        if rng.random() >= TOPIC_WEIGHT.get(topic, 1.0):
            continue
        writers.add(row["player_id"])
        chosen.append((row, topic))
    player_pool = list(
        Player.objects.filter(external_id__startswith=f"PL-{tag}-").order_by("pk").values_list("pk", "language")
    )
    inquiries: list[Inquiry] = []
    start = now - SEED_SPREAD
    for n, (row, topic) in enumerate(chosen):
        # One stream per inquiry: only the words for "when" depend on the moment of writing.
        own = random.Random(f"inquiry:{seed}:{tag}:{n}")
        channel = _channel(own)
        lang, translit = _message_language(own, row["player__language"])
        level = _level(own)
        earliest = row["created_at"] + TOPIC_DELAY.get(topic, timedelta(minutes=15))
        low = max(earliest, start)
        written = low + (now - low) * own.random() if low < now else now
        text = compose(own, topic=topic, lang=lang, facts=_facts(row), written=written, level=level)
        inquiries.append(
            Inquiry(
                external_id=f"sim:{tag}:{n:04d}",
                player_id=row["player_id"],
                channel=channel,
                at=written,
                language=lang,
                topic=topic,
                text=_finish(text, translit),
                about=row["reference"],
            )
        )
    for n in range(general if player_pool else 0):
        own = random.Random(f"inquiry:{seed}:{tag}:g{n}")
        player_id, language = player_pool[own.randrange(len(player_pool))]
        topic = own.choice(list(GENERAL))
        channel = _channel(own)
        lang, translit = _message_language(own, language)
        written = start + SEED_SPREAD * own.random()
        text = compose(own, topic=topic, lang=lang, facts=None, written=written)
        inquiries.append(
            Inquiry(
                external_id=f"sim:{tag}:g{n:03d}",
                player_id=player_id,
                channel=channel,
                at=written,
                language=lang,
                topic=topic,
                text=_finish(text, translit),
                about=None,
            )
        )
    inquiries.sort(key=lambda i: (i.at, i.external_id))
    return inquiries


def _channel(rng: random.Random) -> str:
    return Channel.WEBCHAT if rng.random() < 0.65 else Channel.TELEGRAM


@dataclass(frozen=True, slots=True)
class InquiryResult:
    planned: int
    registered: int
    already: int

    def as_dict(self) -> dict[str, int]:
        return {"planned": self.planned, "registered": self.registered, "already": self.already}


def register_inquiries(inquiries: Sequence[Inquiry], *, console: Any | None = None) -> InquiryResult:
    """Register each inquiry through intake at its own moment; ones already stored are skipped (one query)."""
    from paydesk.tickets.services import ticket_register
    from paydesk.tickets.services.triage import shared_psp_health

    ids = [i.external_id for i in inquiries]
    stored = set(
        Message.objects.filter(channel__in=(Channel.WEBCHAT, Channel.TELEGRAM), external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    todo = [i for i in inquiries if i.external_id not in stored]
    players = Player.objects.in_bulk([i.player_id for i in todo])
    registered = 0
    progress = _progress(console, len(todo))
    with shared_psp_health(), progress as bar:
        task = bar.add_task("player inquiries", total=len(todo)) if bar is not None else None
        for inquiry in todo:
            with clock.frozen(inquiry.at):
                ticket_register(
                    subject=inquiry.subject,
                    body=inquiry.text,
                    channel=inquiry.channel,
                    player=players[inquiry.player_id],
                    external_id=inquiry.external_id,
                    acting_user=None,
                )
            registered += 1
            if bar is not None and task is not None:
                bar.advance(task)
    return InquiryResult(planned=len(inquiries), registered=registered, already=len(inquiries) - len(todo))


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(console: Any | None, total: int) -> Any:
    if console is None or total == 0:
        return _NoProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def seed_inquiries(*, tag: str, seed: int, players: int, anchor: datetime, console: Any | None = None) -> InquiryResult:
    """The demo seed's inquiries for one world, registered once (SLA defaults ensured first, so they get deadlines)."""
    from paydesk.sla.services import sla_defaults_ensure

    sla_defaults_ensure()
    inquiries = plan_seed_inquiries(tag=tag, seed=seed, players=players, anchor=anchor, now=clock.now())
    return register_inquiries(inquiries, console=console)


def live_inquiry(*, rng: random.Random, now: datetime | None = None) -> str | None:
    """Maybe one new chat (chance ``LIVE_CHANCE``) about a recent troubled payment nobody has asked about yet.

    Returns the new ticket's number, or None when nothing was written.
    """
    if rng.random() >= LIVE_CHANCE:
        return None
    at = now or clock.now()
    statuses = sorted({status for _, status in TOPIC_BY_STATUS})
    candidates = Transaction.objects.filter(
        kind__in=(Kind.DEPOSIT, Kind.WITHDRAWAL),
        status__in=statuses,
        created_at__gte=at - LIVE_WINDOW,
        created_at__lte=at,
        ticket_links__isnull=True,
    ).order_by("pk")
    count = candidates.count()
    if count == 0:
        return None
    row = candidates.values(*_FIELDS)[rng.randrange(count)]
    topic = TOPIC_BY_STATUS.get((row["kind"], row["status"]))
    if topic is None:
        return None
    lang, translit = _message_language(rng, row["player__language"])
    text = _finish(compose(rng, topic=topic, lang=lang, facts=_facts(row), written=at, level=_level(rng)), translit)
    inquiry = Inquiry(
        external_id=f"sim:live:{row['reference']}",
        player_id=row["player_id"],
        channel=_channel(rng),
        at=at,
        language=lang,
        topic=topic,
        text=text,
        about=row["reference"],
    )
    from paydesk.tickets.services import ticket_register

    player = Player.objects.get(pk=inquiry.player_id)
    try:
        ticket = ticket_register(
            subject=inquiry.subject,
            body=inquiry.text,
            channel=inquiry.channel,
            player=player,
            external_id=inquiry.external_id,
            acting_user=None,
        )
    except PaydeskError as exc:
        logger.warning("simulated inquiry about %s not registered: %s", row["reference"], exc.message)
        return None
    return ticket.number


__all__ = [
    "Facts",
    "Inquiry",
    "InquiryResult",
    "compose",
    "live_inquiry",
    "plan_seed_inquiries",
    "register_inquiries",
    "seed_inquiries",
]
