"""Payments tables: players, payment methods, PSPs, transactions and their append-only timelines.

Rules the schema itself protects: a transaction reference is unique; a PSP reference is unique per PSP; a timeline
event's idempotency key is unique (the same webhook or poll result can never be applied twice); a stored PSP webhook
event is unique per PSP and event key (a redelivered webhook is recognised, never stored twice); a payment method
holds a BIN and last four at most, never a full card number (check constraints on their lengths).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length

from paydesk.payments.enums import (
    ChargebackStage,
    EventSource,
    Kind,
    KycStatus,
    Language,
    MethodType,
    PspAdapter,
    WebhookEventStatus,
)

models.CharField.register_lookup(Length)


class Player(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    region = models.CharField(max_length=32, blank=True, db_index=True)
    vip_level = models.PositiveSmallIntegerField(default=0)
    kyc_status = models.CharField(max_length=16, choices=KycStatus.choices, default=KycStatus.NONE)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(vip_level__lte=10), name="player_vip_level_range")]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class PaymentMethod(models.Model):
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="methods")
    type = models.CharField(max_length=16, choices=MethodType.choices)
    brand = models.CharField(max_length=40, blank=True)
    # Card data: BIN (first 6-8 digits) and last four only. A full PAN is refused by the service and can't fit.
    bin = models.CharField(max_length=8, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    holder_name = models.CharField(max_length=200, blank=True)
    masked_account = models.CharField(max_length=64, blank=True, help_text="Masked IBAN, wallet id or address")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(bin="") | Q(bin__length__gte=6, bin__length__lte=8), name="method_bin_6_to_8"
            ),
            models.CheckConstraint(condition=Q(last4="") | Q(last4__length=4), name="method_last4_is_4"),
        ]

    def __str__(self) -> str:
        if self.type == MethodType.CARD:
            return f"{self.brand or 'card'} •••• {self.last4}"
        return f"{self.get_type_display()} {self.masked_account}".strip()


class Psp(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    adapter = models.CharField(max_length=16, choices=PspAdapter.choices)
    methods = models.JSONField(default=list, help_text="Method types this PSP handles")
    # Expected seconds from initiation to confirmation per method, and for payouts; used by the sweeper and
    # diagnosis to tell "slow" from "stuck". Example: {"deposit": {"card": 120}, "payout": {"card": 259200}}.
    norms = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "PSP"
        verbose_name_plural = "PSPs"

    def __str__(self) -> str:
        return self.name

    def norm_seconds(self, flow: str, method_type: str, default: int = 3600) -> int:
        flow_norms: Any = self.norms.get(flow, {}) if isinstance(self.norms, dict) else {}
        value = flow_norms.get(method_type) if isinstance(flow_norms, dict) else None
        return int(value) if isinstance(value, int) else default


class Transaction(models.Model):
    # Unique through Meta.constraints, not ``unique=True``: on PostgreSQL the field option adds a second
    # ``varchar_pattern_ops`` index for ``LIKE 'x%'`` that no query uses (references are looked up by equality), and
    # every index costs each bulk-ingested row. Same for ``status`` (an equality index in Meta.indexes).
    reference = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=24)
    psp_status = models.CharField(max_length=64, blank=True, help_text="The PSP's own status, as reported")
    dispute_stage = models.CharField(max_length=24, choices=ChargebackStage.choices, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=5)
    # No index of its own: ``txn_player_created`` (player, -created_at) starts with it.
    player = models.ForeignKey(Player, on_delete=models.PROTECT, related_name="transactions", db_index=False)
    method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    psp = models.ForeignKey(Psp, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions")
    psp_reference = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001 - NULL = none, kept out of the unique constraint
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The deposit a refund or chargeback belongs to",
        db_index=False,  # txn_parent: only the rows that have one
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    status_changed_at = models.DateTimeField()
    metadata = models.JSONField(default=dict, blank=True)
    # Set by the stuck-transaction sweeper: a PSP is asked about a transaction at most once per its norm.
    last_polled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="transaction_reference_unique"),
            # psp_reference first: the same index serves lookups by PSP reference alone (webhook matching, search).
            models.UniqueConstraint(
                fields=["psp_reference", "psp"],
                name="transaction_psp_reference_unique_per_psp",
                condition=Q(psp_reference__isnull=False),
            ),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="transaction_amount_non_negative"),
        ]
        indexes = [
            models.Index(fields=["player", "-created_at"], name="txn_player_created"),
            models.Index(fields=["kind", "status", "status_changed_at"], name="txn_kind_status_changed"),
            models.Index(fields=["status"], name="txn_status"),
            models.Index(fields=["created_at"], name="txn_created"),
            # Partial: most transactions have no parent, and every NULL entry would cost each ingested row while no
            # query looks them up (children are found by parent = x).
            models.Index(fields=["parent"], name="txn_parent", condition=Q(parent__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.kind} {self.status}"


class TransactionEvent(models.Model):
    """One line of a transaction's timeline. Append-only; a rejected move is kept with ``applied=False``."""

    # No index of its own: ``txn_event_timeline`` (transaction, occurred_at) starts with it.
    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events", db_index=False)
    occurred_at = models.DateTimeField(help_text="When it happened at the source")
    recorded_at = models.DateTimeField(help_text="When Paydesk recorded it")
    source = models.CharField(max_length=16, choices=EventSource.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    psp_status = models.CharField(max_length=64, blank=True)
    applied = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # txn_event_actor: only the events an agent made
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="transaction_event_idempotency_key_unique")
        ]
        indexes = [
            models.Index(fields=["transaction", "occurred_at"], name="txn_event_timeline"),
            # Partial: imported, webhook and poll events have no actor; a user's deletion finds theirs by actor = x.
            models.Index(fields=["actor"], name="txn_event_actor", condition=Q(actor__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.from_status} -> {self.to_status} ({self.source})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("timeline events are append-only")
        super().save(*args, **kwargs)


class WebhookEvent(models.Model):
    """A PSP webhook event exactly as received, stored before it is processed. Processing never edits ``body``."""

    psp_code = models.CharField(max_length=32, help_text="The PSP code (or adapter name) in the webhook URL")
    adapter = models.CharField(max_length=16, choices=PspAdapter.choices)
    psp = models.ForeignKey(Psp, null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_events")
    event_key = models.CharField(max_length=255, help_text="The PSP's identity of the event")
    event_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(help_text="The event as received (an Adyen batch is stored item by item)")
    headers = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=WebhookEventStatus.choices, default=WebhookEventStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the event is an orphan, was rejected or failed")
    # Indexed only where set (``webhook_event_txn``): every event is stored without it, and most never get one.
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_events", db_index=False
    )
    # What an orphan waits for: the reference / PSP reference whose arrival in the ledger should retry it.
    match_reference = models.CharField(max_length=64, blank=True)
    match_psp_reference = models.CharField(max_length=128, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["psp_code", "event_key"], name="webhook_event_unique_per_psp"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="webhook_event_status"),
            # Partial indexes: only orphans carry the references they wait for, and only orphans are looked up by
            # them, so the webhook receipt (which stores every event as received) never writes to these indexes.
            models.Index(
                fields=["match_reference"],
                condition=models.Q(status=WebhookEventStatus.ORPHAN),
                name="webhook_event_orphan_ref",
            ),
            models.Index(
                fields=["match_psp_reference"],
                condition=models.Q(status=WebhookEventStatus.ORPHAN),
                name="webhook_event_orphan_psp_ref",
            ),
            models.Index(
                fields=["transaction"], condition=models.Q(transaction__isnull=False), name="webhook_event_txn"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.psp_code}:{self.event_key} ({self.status})"
