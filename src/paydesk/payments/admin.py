"""Admin for payments configuration (PSPs and their norms) and read-only views of the ledger.

Transactions and their timelines change only through services, so the admin shows them but never edits them.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from paydesk.core.admin import ReadOnlyAdmin
from paydesk.payments.models import PaymentMethod, Player, Psp, Transaction, TransactionEvent, WebhookEvent


@admin.register(Psp)
class PspAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "adapter", "is_active")
    search_fields = ("code", "name")


@admin.register(Player)
class PlayerAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "name", "country", "language", "region", "vip_level", "kyc_status")
    search_fields = ("external_id", "name", "email")
    list_filter = ("language", "region", "kyc_status")


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("player", "type", "brand", "bin", "last4", "masked_account")
    list_select_related = ("player",)
    search_fields = ("player__external_id", "last4")


class TransactionEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TransactionEvent
    fields = ("occurred_at", "source", "from_status", "to_status", "psp_status", "applied", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "kind",
        "status",
        "amount_minor",
        "currency",
        "psp",
        "psp_reference",
        "created_at",
    )
    list_filter = ("kind", "status", "psp")
    search_fields = ("reference", "psp_reference", "player__external_id")
    list_select_related = ("psp", "player")
    inlines = [TransactionEventInline]
    show_full_result_count = False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """PSP webhook events as received: orphans and rejections stay visible here until they are applied."""

    list_display = ("received_at", "psp_code", "event_type", "event_key", "status", "attempts", "transaction")
    list_filter = ("status", "psp_code", "adapter")
    search_fields = ("event_key", "match_reference", "match_psp_reference", "transaction__reference")
    list_select_related = ("transaction",)
    show_full_result_count = False
