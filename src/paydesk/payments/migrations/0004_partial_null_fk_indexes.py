# The indexes of two nullable foreign keys become partial (WHERE ... IS NOT NULL): most transactions have no parent and
# most timeline events no actor (imports, webhooks, polls), so nearly every entry of the full indexes was a NULL that
# each bulk-ingested row paid for and no query reads. The lookups that use them (children by parent = x, a deleted
# user's events by actor = x) are served by the partial index. The partial index is created before the full one goes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_transaction_redundant_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(condition=models.Q(("parent__isnull", False)), fields=["parent"], name="txn_parent"),
        ),
        migrations.AddIndex(
            model_name="transactionevent",
            index=models.Index(condition=models.Q(("actor__isnull", False)), fields=["actor"], name="txn_event_actor"),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The deposit a refund or chargeback belongs to",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="children",
                to="payments.transaction",
            ),
        ),
        migrations.AlterField(
            model_name="transactionevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
