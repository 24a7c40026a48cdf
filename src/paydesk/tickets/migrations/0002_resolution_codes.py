"""Seed the twelve resolution codes of issue 4 (admins may add more)."""

from django.db import migrations

CODES = (
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


def seed(apps, schema_editor):
    ResolutionCode = apps.get_model("tickets", "ResolutionCode")
    for code, label in CODES:
        ResolutionCode.objects.get_or_create(code=code, defaults={"label": label})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
