# Webhook events: three indexes become partial, so that storing an event (the webhook receipt, on every request)
# writes to none of them. The orphan references are set only on orphans and only looked up among orphans
# (status = 'orphan' in every query), and the transaction is unset on every new event. The partial indexes are
# created before the full ones go.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_partial_null_fk_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(("status", "orphan")), fields=["match_reference"], name="webhook_event_orphan_ref"
            ),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(("status", "orphan")),
                fields=["match_psp_reference"],
                name="webhook_event_orphan_psp_ref",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(("transaction__isnull", False)), fields=["transaction"], name="webhook_event_txn"
            ),
        ),
        migrations.RemoveIndex(model_name="webhookevent", name="webhook_event_match_ref"),
        migrations.RemoveIndex(model_name="webhookevent", name="webhook_event_match_psp_ref"),
        migrations.AlterField(
            model_name="webhookevent",
            name="transaction",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="webhook_events",
                to="payments.transaction",
            ),
        ),
    ]
