"""Enumerations of the ticket domain (DESIGN §4). Values are a contract: the API and channels carry them."""

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    MERGED = "merged", "Merged"


# Statuses in which a ticket is still being worked (it counts towards an agent's load and has running SLA clocks).
ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.ESCALATED})


class Move(models.TextChoices):
    OPEN = "open", "Open"
    SET_PENDING = "set_pending", "Wait for the customer"
    ESCALATE = "escalate", "Escalate"
    RESOLVE = "resolve", "Resolve"
    CLOSE = "close", "Close"
    REOPEN = "reopen", "Reopen"
    MERGE = "merge", "Merge"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


class Channel(models.TextChoices):
    WEBCHAT = "webchat", "Web chat"
    TELEGRAM = "telegram", "Telegram"
    JIRA = "jira", "Jira"
    API = "api", "API"
    INTERNAL = "internal", "Internal"


class Category(models.TextChoices):
    DEPOSIT_PENDING = "deposit_pending"
    DEPOSIT_FAILED = "deposit_failed"
    DEPOSIT_NOT_CREDITED = "deposit_not_credited"
    WITHDRAWAL_PENDING = "withdrawal_pending"
    WITHDRAWAL_FAILED = "withdrawal_failed"
    WITHDRAWAL_NOT_RECEIVED = "withdrawal_not_received"
    REFUND_REQUEST = "refund_request"
    REFUND_NOT_RECEIVED = "refund_not_received"
    DUPLICATE_CHARGE = "duplicate_charge"
    UNRECOGNISED_TRANSACTION = "unrecognised_transaction"
    CHARGEBACK_DISPUTE = "chargeback_dispute"
    VERIFICATION_KYC = "verification_kyc"
    FEES_AND_LIMITS = "fees_and_limits"
    EXCHANGE_RATE = "exchange_rate"
    PAYMENT_METHOD_ISSUE = "payment_method_issue"
    ACCOUNT_ACCESS = "account_access"
    BONUS_WAGERING = "bonus_wagering"
    OTHER = "other"


class MessageKind(models.TextChoices):
    PUBLIC = "public", "Public reply"
    INTERNAL = "internal", "Internal note"
    SYSTEM = "system", "System"


class TeamKind(models.TextChoices):
    PAYMENTS = "payments", "Payments"
    FINANCE = "finance", "Finance"
    RISK = "risk", "Risk"
    PLATFORM = "platform", "Platform"
    REGIONAL = "regional", "Regional unit"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


RESOLUTION_CODES: tuple[tuple[str, str], ...] = (
    ("resolved_info_provided", "Resolved: information provided"),
    ("psp_delay", "PSP delay"),
    ("user_error", "User error"),
    ("bank_decline", "Bank decline"),
    ("manual_credit", "Manual credit"),
    ("refund_issued", "Refund issued"),
    ("kyc_completed", "KYC completed"),
    ("risk_decision", "Risk decision"),
    ("system_bug", "System bug"),
    ("duplicate", "Duplicate"),
    ("no_customer_response", "No customer response"),
    ("not_payment_related", "Not payment related"),
)
