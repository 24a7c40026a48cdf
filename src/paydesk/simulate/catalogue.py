"""The simulated world's catalogue: PSPs and their norms, geography, currencies, and failure modes with their rates.

Data only. Rates are shares of attempts and were chosen to look like a mid-size casino cashier: most payments go
through, card declines are the most common failure, and the rare ones (chargebacks, bank returns) are rare. The raw
PSP vocabulary is what each adapter's status field would say, so timelines read like the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from paydesk.payments.enums import (
    ChargebackStatus,
    DepositStatus,
    Kind,
    MethodType,
    RefundStatus,
    WithdrawalStatus,
)

D = DepositStatus
W = WithdrawalStatus
R = RefundStatus
C = ChargebackStatus


class Scenario(StrEnum):
    OK = "ok"
    ISSUER_DECLINE = "issuer_decline"
    THREE_DS_ABANDONED = "three_ds_abandoned"
    SLOW_CONFIRMATION = "slow_confirmation"
    CONFIRMED_NOT_CREDITED = "confirmed_not_credited"
    DUPLICATE_CHARGE = "duplicate_charge"
    RISK_HOLD = "risk_hold"
    PSP_ERROR = "psp_error"
    PAYMENT_EXPIRED = "payment_expired"
    PLAYER_CANCELLED = "player_cancelled"
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    KYC_DOCUMENTS = "kyc_documents"
    BONUS_WAGERING = "bonus_wagering"
    PAYOUT_FAILED = "payout_failed"
    BANK_RETURN = "bank_return"
    PAYOUT_DELAYED = "payout_delayed"
    PAID_NOT_RECEIVED = "paid_not_received"


# --- PSPs ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PspSpec:
    code: str
    name: str
    adapter: str
    methods: tuple[str, ...]
    currencies: tuple[str, ...]
    # Seconds from initiation to confirmation (deposit), from hand-over to arrival (payout), to completion (refund).
    norms: dict[str, dict[str, int]]

    def norm(self, flow: str, method_type: str) -> int:
        return self.norms.get(flow, {}).get(method_type, 3600)


_CARD_FIAT = ("EUR", "USD", "GBP", "PLN", "CAD", "AUD", "NZD", "JPY", "INR", "TRY")
PSPS: tuple[PspSpec, ...] = (
    PspSpec(
        code="stripe",
        name="Stripe",
        adapter="stripe",
        methods=(MethodType.CARD,),
        currencies=_CARD_FIAT,
        norms={"deposit": {"card": 60}, "payout": {"card": 172800}, "refund": {"card": 604800}},
    ),
    PspSpec(
        code="adyen",
        name="Adyen",
        adapter="adyen",
        methods=(MethodType.CARD, MethodType.BANK_TRANSFER),
        currencies=(*_CARD_FIAT, "KZT", "BRL", "MXN", "CLP", "PEN"),
        norms={
            "deposit": {"card": 90, "bank_transfer": 86400},
            "payout": {"card": 172800, "bank_transfer": 86400},
            "refund": {"card": 604800, "bank_transfer": 259200},
        },
    ),
    PspSpec(
        code="novawallet",
        name="NovaWallet",
        adapter="generic",
        methods=(MethodType.E_WALLET,),
        currencies=(*_CARD_FIAT, "RUB", "KZT", "BRL", "MXN", "CLP", "PEN"),
        norms={"deposit": {"e_wallet": 30}, "payout": {"e_wallet": 3600}, "refund": {"e_wallet": 86400}},
    ),
    PspSpec(
        code="chainpay",
        name="ChainPay",
        adapter="generic",
        methods=(MethodType.CRYPTO,),
        currencies=("USDT", "BTC"),
        norms={"deposit": {"crypto": 1800}, "payout": {"crypto": 3600}},
    ),
    PspSpec(
        code="volgabank",
        name="Volga Bank (cards, SBP)",
        adapter="generic",
        methods=(MethodType.CARD, MethodType.SBP),
        currencies=("RUB",),
        norms={
            "deposit": {"card": 120, "sbp": 60},
            "payout": {"card": 86400, "sbp": 900},
            "refund": {"card": 432000, "sbp": 86400},
        },
    ),
)
PSP_BY_CODE: dict[str, PspSpec] = {psp.code: psp for psp in PSPS}

# --- Geography and money ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    weight: float
    currency: str
    names: str  # key into names.POOLS
    utc_offset: float
    email_domains: tuple[str, ...]


_RU_MAIL = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru")
_INTL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com")

REGIONS: dict[str, tuple[float, tuple[Country, ...]]] = {
    "cis": (
        0.35,
        (
            Country("RU", 0.62, "RUB", "ru", 3, _RU_MAIL),
            Country("KZ", 0.18, "KZT", "kz", 5, ("mail.ru", "gmail.com", "yandex.kz")),
            Country("BY", 0.08, "USD", "ru", 3, ("mail.ru", "tut.by", "gmail.com")),
            Country("UZ", 0.07, "USD", "ru", 5, ("mail.ru", "gmail.com")),
            Country("AM", 0.05, "USD", "ru", 4, ("mail.ru", "gmail.com")),
        ),
    ),
    "eu": (
        0.30,
        (
            Country("DE", 0.22, "EUR", "de", 1, ("gmx.de", "web.de", "gmail.com", "t-online.de")),
            Country("FI", 0.10, "EUR", "fi", 2, ("gmail.com", "outlook.com")),
            Country("ES", 0.12, "EUR", "es", 1, ("gmail.com", "hotmail.es", "yahoo.es")),
            Country("IT", 0.10, "EUR", "it", 1, ("gmail.com", "libero.it", "hotmail.it")),
            Country("FR", 0.09, "EUR", "fr", 1, ("gmail.com", "orange.fr", "free.fr")),
            Country("NL", 0.08, "EUR", "nl", 1, ("gmail.com", "ziggo.nl", "outlook.com")),
            Country("PL", 0.13, "PLN", "pl", 1, ("wp.pl", "onet.pl", "gmail.com")),
            Country("IE", 0.06, "EUR", "ie", 0, _INTL),
            Country("AT", 0.05, "EUR", "de", 1, ("gmx.at", "gmail.com")),
            Country("PT", 0.05, "EUR", "pt", 0, ("gmail.com", "sapo.pt")),
        ),
    ),
    "latam": (
        0.15,
        (
            Country("BR", 0.50, "BRL", "br", -3, ("gmail.com", "hotmail.com", "uol.com.br", "bol.com.br")),
            Country("MX", 0.20, "MXN", "latam", -6, ("gmail.com", "hotmail.com", "outlook.com")),
            Country("CL", 0.12, "CLP", "latam", -4, ("gmail.com", "hotmail.com")),
            Country("PE", 0.10, "PEN", "latam", -5, ("gmail.com", "hotmail.com")),
            Country("AR", 0.08, "USD", "latam", -3, ("gmail.com", "hotmail.com")),
        ),
    ),
    "row": (
        0.20,
        (
            Country("CA", 0.30, "CAD", "en", -5, _INTL),
            Country("AU", 0.20, "AUD", "en", 10, (*_INTL, "bigpond.com")),
            Country("NZ", 0.10, "NZD", "en", 12, _INTL),
            Country("IN", 0.15, "INR", "in", 5.5, ("gmail.com", "yahoo.co.in", "rediffmail.com")),
            Country("JP", 0.10, "JPY", "jp", 9, ("gmail.com", "yahoo.co.jp", "docomo.ne.jp")),
            Country("TR", 0.15, "TRY", "tr", 3, ("gmail.com", "hotmail.com")),
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class CurrencyInfo:
    exponent: int
    median: float  # a typical deposit in major units
    minimum: float


CURRENCIES: dict[str, CurrencyInfo] = {
    "EUR": CurrencyInfo(2, 50, 10),
    "USD": CurrencyInfo(2, 50, 10),
    "GBP": CurrencyInfo(2, 40, 10),
    "PLN": CurrencyInfo(2, 200, 40),
    "RUB": CurrencyInfo(2, 3000, 500),
    "KZT": CurrencyInfo(2, 20000, 2000),
    "BRL": CurrencyInfo(2, 150, 20),
    "MXN": CurrencyInfo(2, 800, 100),
    "CLP": CurrencyInfo(0, 40000, 5000),
    "PEN": CurrencyInfo(2, 150, 30),
    "CAD": CurrencyInfo(2, 60, 10),
    "AUD": CurrencyInfo(2, 60, 10),
    "NZD": CurrencyInfo(2, 60, 10),
    "INR": CurrencyInfo(2, 2000, 300),
    "JPY": CurrencyInfo(0, 5000, 1000),
    "TRY": CurrencyInfo(2, 1000, 100),
    "USDT": CurrencyInfo(6, 100, 10),
    "BTC": CurrencyInfo(8, 0.002, 0.0002),
}

VIP_WEIGHTS = (55.0, 22.0, 12.0, 6.0, 3.5, 1.5)
VIP_AMOUNT = (1.0, 1.6, 2.5, 4.0, 7.0, 12.0)
# Deposit sessions per active day by VIP level; withdrawals follow a share of sessions.
VIP_SESSIONS_PER_DAY = (0.12, 0.24, 0.41, 0.7, 1.2, 1.9)
WITHDRAWAL_SHARE = 0.3
# Local hour weights (00..23): evenings and late nights are the busy hours of a casino cashier.
HOUR_WEIGHTS = (3, 2, 1.5, 1, 0.6, 0.5, 0.6, 1, 1.5, 2, 2.5, 3, 3.5, 3.5, 3.5, 4, 4.5, 5, 6, 7, 8, 8, 7, 5)

# --- Failure catalogues (rates are shares of attempts per method type) -------------------------------------------

DEPOSIT_SCENARIOS: dict[str, dict[Scenario, float]] = {
    MethodType.CARD: {
        Scenario.ISSUER_DECLINE: 0.09,
        Scenario.THREE_DS_ABANDONED: 0.035,
        Scenario.SLOW_CONFIRMATION: 0.025,
        Scenario.PLAYER_CANCELLED: 0.015,
        Scenario.RISK_HOLD: 0.012,
        Scenario.CONFIRMED_NOT_CREDITED: 0.008,
        Scenario.PSP_ERROR: 0.008,
        Scenario.DUPLICATE_CHARGE: 0.005,
    },
    MethodType.E_WALLET: {
        Scenario.ISSUER_DECLINE: 0.04,
        Scenario.PLAYER_CANCELLED: 0.03,
        Scenario.SLOW_CONFIRMATION: 0.02,
        Scenario.RISK_HOLD: 0.01,
        Scenario.CONFIRMED_NOT_CREDITED: 0.008,
        Scenario.PSP_ERROR: 0.008,
        Scenario.DUPLICATE_CHARGE: 0.003,
    },
    MethodType.CRYPTO: {
        Scenario.PAYMENT_EXPIRED: 0.08,
        Scenario.SLOW_CONFIRMATION: 0.05,
        Scenario.PLAYER_CANCELLED: 0.02,
        Scenario.RISK_HOLD: 0.015,
        Scenario.CONFIRMED_NOT_CREDITED: 0.012,
        Scenario.PSP_ERROR: 0.005,
    },
    MethodType.SBP: {
        Scenario.PAYMENT_EXPIRED: 0.06,
        Scenario.ISSUER_DECLINE: 0.03,
        Scenario.SLOW_CONFIRMATION: 0.025,
        Scenario.PLAYER_CANCELLED: 0.02,
        Scenario.CONFIRMED_NOT_CREDITED: 0.01,
        Scenario.PSP_ERROR: 0.01,
        Scenario.RISK_HOLD: 0.008,
    },
    MethodType.BANK_TRANSFER: {
        Scenario.SLOW_CONFIRMATION: 0.06,
        Scenario.PAYMENT_EXPIRED: 0.05,
        Scenario.RISK_HOLD: 0.01,
        Scenario.CONFIRMED_NOT_CREDITED: 0.01,
        Scenario.PSP_ERROR: 0.005,
    },
}
WITHDRAWAL_SCENARIOS: dict[Scenario, float] = {
    Scenario.BONUS_WAGERING: 0.03,
    Scenario.PLAYER_CANCELLED: 0.03,
    Scenario.PAYOUT_DELAYED: 0.03,
    Scenario.RISK_HOLD: 0.025,
    Scenario.PAYOUT_FAILED: 0.02,
    Scenario.KYC_DOCUMENTS: 0.015,
    Scenario.PAID_NOT_RECEIVED: 0.015,
    Scenario.BANK_RETURN: 0.007,
}
KYC_FIRST_WITHDRAWAL = 0.2  # unverified players are asked for documents on a share of their withdrawals
REFUND_RATE = 0.009
DUPLICATE_REFUND_RATE = 0.5
CHARGEBACK_RATE = 0.004
DECLINE_RETRY_RATE = 0.45

CARD_DECLINES = {
    "insufficient_funds": 38.0,
    "do_not_honor": 22.0,
    "limit_exceeded": 10.0,
    "suspected_fraud": 8.0,
    "expired_card": 6.0,
    "incorrect_cvc": 6.0,
    "transaction_not_allowed": 6.0,
    "generic_decline": 4.0,
}
WALLET_DECLINES = {"insufficient_funds": 60.0, "limit_exceeded": 25.0, "account_blocked": 15.0}
SBP_DECLINES = {"insufficient_funds": 55.0, "limit_exceeded": 25.0, "do_not_honor": 20.0}
DECLINES_BY_METHOD: dict[str, dict[str, float]] = {
    MethodType.CARD: CARD_DECLINES,
    MethodType.E_WALLET: WALLET_DECLINES,
    MethodType.SBP: SBP_DECLINES,
}
STRIPE_DECLINE_CODES = {"limit_exceeded": "card_velocity_exceeded", "suspected_fraud": "fraudulent"}
ADYEN_REFUSALS = {
    "insufficient_funds": "Not enough balance",
    "do_not_honor": "Refused",
    "limit_exceeded": "Withdrawal amount exceeded",
    "suspected_fraud": "FRAUD",
    "expired_card": "Expired Card",
    "incorrect_cvc": "CVC Declined",
    "transaction_not_allowed": "Transaction Not Permitted",
    "generic_decline": "Refused",
}
PSP_ERRORS = ("acquirer_timeout", "issuer_unavailable", "3ds_server_unavailable", "psp_internal_error")
NOT_CREDITED_CAUSES = ("wallet_service_timeout", "currency_mismatch", "bonus_engine_error", "callback_lost")
DEPOSIT_HOLD_REASONS = ("velocity_check", "new_payment_method", "amount_above_profile", "geo_mismatch")
WITHDRAWAL_HOLD_REASONS = ("aml_review", "multi_accounting_check", "payment_method_mismatch", "velocity_check")
KYC_DOCUMENTS = ("id_document", "proof_of_address", "source_of_funds", "card_photo", "selfie")
PAYOUT_FAILURES: dict[str, tuple[str, ...]] = {
    MethodType.CARD: ("card_not_eligible_for_payout", "card_expired", "issuer_declined_payout"),
    MethodType.BANK_TRANSFER: ("invalid_account", "beneficiary_name_mismatch", "bank_rejected"),
    MethodType.E_WALLET: ("wallet_limit_reached", "wallet_closed"),
    MethodType.CRYPTO: ("invalid_address", "network_congestion_timeout"),
    MethodType.SBP: ("recipient_bank_unavailable", "recipient_not_found"),
}
BANK_RETURN_REASONS = ("account_closed", "beneficiary_name_mismatch", "account_frozen", "invalid_account")
REFUND_REASONS = {"player_request": 45.0, "responsible_gambling": 20.0, "account_closure": 20.0, "goodwill": 15.0}
REFUND_FAILURES = ("card_expired", "account_closed", "original_charge_too_old")
CHARGEBACK_REASONS = {
    "fraudulent": ("10.4", 45.0),
    "unrecognized": ("4863", 20.0),
    "product_not_received": ("13.1", 12.0),
    "duplicate": ("12.6.1", 8.0),
    "credit_not_processed": ("13.6", 8.0),
    "general": ("4853", 7.0),
}


# --- Raw PSP vocabulary -------------------------------------------------------------------------------------------

PSP_RAW_STATUS: dict[str, dict[tuple[str, str], str]] = {
    "stripe": {
        (Kind.DEPOSIT, D.PENDING): "processing",
        (Kind.DEPOSIT, D.CONFIRMED): "succeeded",
        (Kind.DEPOSIT, D.DECLINED): "requires_payment_method",
        (Kind.DEPOSIT, D.FAILED): "requires_payment_method",
        (Kind.DEPOSIT, D.HELD): "requires_capture",
        (Kind.DEPOSIT, D.CANCELLED): "canceled",
        (Kind.DEPOSIT, D.EXPIRED): "canceled",
        (Kind.DEPOSIT, D.REFUNDED): "refunded",
        (Kind.DEPOSIT, D.PARTIALLY_REFUNDED): "partially_refunded",
        (Kind.DEPOSIT, D.CHARGED_BACK): "disputed",
        (Kind.WITHDRAWAL, W.PROCESSING): "in_transit",
        (Kind.WITHDRAWAL, W.PAID): "paid",
        (Kind.WITHDRAWAL, W.FAILED): "failed",
        (Kind.WITHDRAWAL, W.RETURNED): "failed",
        (Kind.REFUND, R.PENDING): "pending",
        (Kind.REFUND, R.SUCCEEDED): "succeeded",
        (Kind.REFUND, R.FAILED): "failed",
        (Kind.REFUND, R.CANCELLED): "canceled",
        (Kind.CHARGEBACK, C.NEEDS_RESPONSE): "needs_response",
        (Kind.CHARGEBACK, C.UNDER_REVIEW): "under_review",
        (Kind.CHARGEBACK, C.WON): "won",
        (Kind.CHARGEBACK, C.LOST): "lost",
        (Kind.CHARGEBACK, C.ACCEPTED): "lost",
        (Kind.CHARGEBACK, C.EXPIRED): "lost",
    },
    "adyen": {
        (Kind.DEPOSIT, D.PENDING): "Pending",
        (Kind.DEPOSIT, D.CONFIRMED): "Authorised",
        (Kind.DEPOSIT, D.DECLINED): "Refused",
        (Kind.DEPOSIT, D.FAILED): "Error",
        (Kind.DEPOSIT, D.HELD): "Pending",
        (Kind.DEPOSIT, D.CANCELLED): "Cancelled",
        (Kind.DEPOSIT, D.EXPIRED): "Cancelled",
        (Kind.DEPOSIT, D.REFUNDED): "Refunded",
        (Kind.DEPOSIT, D.PARTIALLY_REFUNDED): "PartiallyRefunded",
        (Kind.DEPOSIT, D.CHARGED_BACK): "Chargeback",
        (Kind.WITHDRAWAL, W.PROCESSING): "Received",
        (Kind.WITHDRAWAL, W.PAID): "PayoutConfirmed",
        (Kind.WITHDRAWAL, W.FAILED): "PayoutDeclined",
        (Kind.WITHDRAWAL, W.RETURNED): "PaidOutReversed",
        (Kind.REFUND, R.PENDING): "Received",
        (Kind.REFUND, R.SUCCEEDED): "Refunded",
        (Kind.REFUND, R.FAILED): "RefundFailed",
        (Kind.REFUND, R.CANCELLED): "Cancelled",
        (Kind.CHARGEBACK, C.NEEDS_RESPONSE): "NOTIFICATION_OF_CHARGEBACK",
        (Kind.CHARGEBACK, C.UNDER_REVIEW): "DefenseSupplied",
        (Kind.CHARGEBACK, C.WON): "CHARGEBACK_REVERSED",
        (Kind.CHARGEBACK, C.LOST): "CHARGEBACK",
        (Kind.CHARGEBACK, C.ACCEPTED): "CHARGEBACK",
        (Kind.CHARGEBACK, C.EXPIRED): "CHARGEBACK",
    },
    "generic": {
        (Kind.DEPOSIT, D.PENDING): "pending",
        (Kind.DEPOSIT, D.CONFIRMED): "completed",
        (Kind.DEPOSIT, D.DECLINED): "declined",
        (Kind.DEPOSIT, D.FAILED): "error",
        (Kind.DEPOSIT, D.HELD): "on_hold",
        (Kind.DEPOSIT, D.CANCELLED): "cancelled",
        (Kind.DEPOSIT, D.EXPIRED): "expired",
        (Kind.DEPOSIT, D.REFUNDED): "refunded",
        (Kind.DEPOSIT, D.PARTIALLY_REFUNDED): "partially_refunded",
        (Kind.DEPOSIT, D.CHARGED_BACK): "chargeback",
        (Kind.WITHDRAWAL, W.PROCESSING): "processing",
        (Kind.WITHDRAWAL, W.PAID): "completed",
        (Kind.WITHDRAWAL, W.FAILED): "failed",
        (Kind.WITHDRAWAL, W.RETURNED): "returned",
        (Kind.REFUND, R.PENDING): "processing",
        (Kind.REFUND, R.SUCCEEDED): "completed",
        (Kind.REFUND, R.FAILED): "failed",
        (Kind.REFUND, R.CANCELLED): "cancelled",
        (Kind.CHARGEBACK, C.NEEDS_RESPONSE): "dispute_opened",
        (Kind.CHARGEBACK, C.UNDER_REVIEW): "dispute_under_review",
        (Kind.CHARGEBACK, C.WON): "dispute_won",
        (Kind.CHARGEBACK, C.LOST): "dispute_lost",
        (Kind.CHARGEBACK, C.ACCEPTED): "dispute_lost",
        (Kind.CHARGEBACK, C.EXPIRED): "dispute_lost",
    },
}
THREE_DS_STATUS: dict[str, str] = {
    "stripe": "requires_action",
    "adyen": "ChallengeShopper",
    "generic": "awaiting_authentication",
}
STRIPE_EVENT_TYPES: dict[str, str] = {
    D.PENDING: "payment_intent.processing",
    D.CONFIRMED: "payment_intent.succeeded",
    D.DECLINED: "payment_intent.payment_failed",
    D.FAILED: "payment_intent.payment_failed",
    D.HELD: "payment_intent.amount_capturable_updated",
    D.CANCELLED: "payment_intent.canceled",
    D.EXPIRED: "payment_intent.canceled",
    D.REFUNDED: "charge.refunded",
    D.PARTIALLY_REFUNDED: "charge.refunded",
    D.CHARGED_BACK: "charge.dispute.created",
}
STRIPE_OBJECTS: dict[str, str] = {
    Kind.WITHDRAWAL: "payout",
    Kind.REFUND: "charge.refund",
    Kind.CHARGEBACK: "charge.dispute",
}
ADYEN_EVENT_CODES: dict[str, str] = {
    Kind.DEPOSIT: "AUTHORISATION",
    Kind.WITHDRAWAL: "PAYOUT_THIRDPARTY",
    Kind.REFUND: "REFUND",
    Kind.CHARGEBACK: "NOTIFICATION_OF_CHARGEBACK",
}
