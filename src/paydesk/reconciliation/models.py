"""Reconciliation tables: runs, their discrepancies, comments on them, and the work items that group them.

Rules the schema protects: a report file (by SHA-256) is recorded once per PSP, so re-running it creates nothing
twice; at most one open work item exists per (PSP, discrepancy type), so grouping never splits or doubles a queue;
a resolved discrepancy carries its reason (check constraint).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from paydesk.reconciliation.kinds import DiscrepancyType


class DiscrepancyKind(models.TextChoices):
    MISSING_IN_LEDGER = DiscrepancyType.MISSING_IN_LEDGER.value, "Missing in ledger"
    MISSING_IN_REPORT = DiscrepancyType.MISSING_IN_REPORT.value, "Missing in report"
    AMOUNT_MISMATCH = DiscrepancyType.AMOUNT_MISMATCH.value, "Amount mismatch"
    CURRENCY_MISMATCH = DiscrepancyType.CURRENCY_MISMATCH.value, "Currency mismatch"
    STATUS_MISMATCH = DiscrepancyType.STATUS_MISMATCH.value, "Status mismatch"
    DUPLICATE_IN_REPORT = DiscrepancyType.DUPLICATE_IN_REPORT.value, "Duplicate in report"
    FEE_ANOMALY = DiscrepancyType.FEE_ANOMALY.value, "Fee anomaly"


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class WorkTeam(models.TextChoices):
    FINANCE = "finance", "Finance"
    PAYMENTS = "payments", "Payments"


class ReconciliationRun(models.Model):
    psp = models.CharField(max_length=32)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_from = models.DateField(null=True, blank=True)
    window_to = models.DateField(null=True, blank=True)
    report_rows = models.PositiveIntegerField()
    ledger_rows = models.PositiveIntegerField()
    matched = models.PositiveIntegerField()
    matched_fuzzy = models.PositiveIntegerField()
    summary = models.JSONField(default=dict, help_text="The JSON summary of the run, as the CLI prints it")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["psp", "file_sha256"], name="recon_run_file_once_per_psp")]
        indexes = [models.Index(fields=["psp", "-created_at"], name="recon_run_psp_created")]

    def __str__(self) -> str:
        return f"{self.psp} {self.file_name} ({self.created_at:%Y-%m-%d})"


class WorkItem(models.Model):
    """One queue entry for Finance or Payments: every open discrepancy of one type at one PSP.

    ``ticket_reference`` is the number of the one internal ticket grouping opened for it (``work_items_group``).
    """

    psp = models.CharField(max_length=32)
    type = models.CharField(max_length=24, choices=DiscrepancyKind.choices)
    team = models.CharField(max_length=16, choices=WorkTeam.choices)
    status = models.CharField(max_length=16, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN)
    ticket_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["psp", "type"], condition=Q(status="open"), name="recon_workitem_one_open_per_psp_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.type} at {self.psp}"


class Discrepancy(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="discrepancies")
    type = models.CharField(max_length=24, choices=DiscrepancyKind.choices)
    psp = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN)
    report_row = models.PositiveIntegerField(null=True, blank=True)
    record_type = models.CharField(max_length=24, blank=True)
    psp_reference = models.CharField(max_length=128, blank=True)
    merchant_reference = models.CharField(max_length=128, blank=True)
    ledger_reference = models.CharField(max_length=64, blank=True)
    report_currency = models.CharField(max_length=5, blank=True)
    report_amount_minor = models.BigIntegerField(null=True, blank=True)
    ledger_currency = models.CharField(max_length=5, blank=True)
    ledger_amount_minor = models.BigIntegerField(null=True, blank=True)
    report_status = models.CharField(max_length=64, blank=True)
    ledger_status = models.CharField(max_length=24, blank=True)
    fee_minor = models.BigIntegerField(null=True, blank=True)
    expected_fee_minor = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    work_item = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="discrepancies"
    )
    resolution_reason = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(resolution_reason="") & Q(resolved_at__isnull=False)),
                name="recon_discrepancy_resolved_has_reason",
            )
        ]
        indexes = [
            models.Index(fields=["status", "type", "psp"], name="recon_disc_status_type_psp"),
            models.Index(fields=["assignee", "status"], name="recon_disc_assignee_status"),
            models.Index(fields=["psp_reference"], name="recon_disc_psp_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.psp_reference or self.ledger_reference} ({self.status})"


class DiscrepancyComment(models.Model):
    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.discrepancy_id}"
