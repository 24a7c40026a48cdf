"""Simulation bookkeeping: which worlds have been seeded into this database.

One row per seeded world, written in the same transaction as the world itself, so a world is either fully present
(and its row says so) or absent. The unique tag is what makes seeding idempotent: a second seed of the same world
finds the row and creates nothing.
"""

from __future__ import annotations

from django.db import models


class SimulatedWorld(models.Model):
    tag = models.CharField(max_length=8, unique=True, help_text="Prefix of the world's references")
    seed = models.BigIntegerField()
    players = models.PositiveIntegerField()
    days = models.PositiveIntegerField()
    anchor = models.DateTimeField(help_text="The moment the world's history ends; later steps are the live plan")
    digest = models.CharField(max_length=64)
    counts = models.JSONField(default=dict)
    seeded_at = models.DateTimeField()

    class Meta:
        ordering = ["seeded_at"]

    def __str__(self) -> str:
        return f"world {self.tag} (seed {self.seed}, {self.players} players, {self.days} days)"


class SimulatedPlan(models.Model):
    """Where a simulated payment's plan stands: the index and due time of its next step.

    The plan itself lives in the transaction's ``metadata["sim"]["plan"]``; this row only makes "what is due now"
    an index lookup. It is deleted when the plan has been played to the end.
    """

    transaction = models.OneToOneField(
        "payments.Transaction", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    next_index = models.PositiveIntegerField()
    due_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"plan of #{self.transaction_id}: step {self.next_index} due {self.due_at:%Y-%m-%d %H:%M}"
