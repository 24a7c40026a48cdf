"""Enumerations of the payments domain (DESIGN §4). Status values are a contract: files and the API carry them."""

from django.db import models


class Kind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    REFUND = "refund", "Refund"
    CHARGEBACK = "chargeback", "Chargeback"


class DepositStatus(models.TextChoices):
    INITIATED = "initiated"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CREDITED = "credited"
    DECLINED = "declined"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    HELD = "held"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    CHARGED_BACK = "charged_back"


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested"
    VERIFICATION = "verification"
    APPROVED = "approved"
    PROCESSING = "processing"
    PAID = "paid"
    AWAITING_DOCUMENTS = "awaiting_documents"
    HELD = "held"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"
    RETURNED = "returned"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REVERSED = "reversed"


class ChargebackStage(models.TextChoices):
    INQUIRY = "inquiry"
    CHARGEBACK = "chargeback"
    SECOND_CHARGEBACK = "second_chargeback"
    PRE_ARBITRATION = "pre_arbitration"
    ARBITRATION = "arbitration"


class ChargebackStatus(models.TextChoices):
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    ACCEPTED = "accepted"
    EXPIRED = "expired"


class MethodType(models.TextChoices):
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    E_WALLET = "e_wallet", "E-wallet"
    CRYPTO = "crypto", "Crypto"
    SBP = "sbp", "SBP (Faster Payments)"


class EventSource(models.TextChoices):
    PLATFORM = "platform", "Platform"
    PSP_WEBHOOK = "psp_webhook", "PSP webhook"
    PSP_POLL = "psp_poll", "PSP poll"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"
    RECONCILIATION = "reconciliation", "Reconciliation"


class KycStatus(models.TextChoices):
    NONE = "none", "Not started"
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class Language(models.TextChoices):
    EN = "en", "English"
    RU = "ru", "Russian"


class PspAdapter(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    ADYEN = "adyen", "Adyen"
    GENERIC = "generic", "Generic (Paydesk-Signature)"


class WebhookEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    ORPHAN = "orphan", "Orphan (transaction not known yet)"
    REJECTED = "rejected", "Rejected by the state machine"
    FAILED = "failed", "Failed"
