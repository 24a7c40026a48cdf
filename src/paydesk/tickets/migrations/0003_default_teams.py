"""Seed the desk's teams (DESIGN §4): payments, finance, risk, platform and three regional units (admin-editable)."""

from django.db import migrations

TEAMS = (
    ("payments", "Payments", "payments", ""),
    ("finance", "Finance", "finance", ""),
    ("risk", "Risk", "risk", ""),
    ("platform", "Platform", "platform", ""),
    ("cis", "CIS unit", "regional", "cis"),
    ("latam", "LatAm unit", "regional", "latam"),
    ("eu", "EU unit", "regional", "eu"),
)


def seed(apps, schema_editor):
    Team = apps.get_model("tickets", "Team")
    for code, name, kind, region in TEAMS:
        Team.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "region": region})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_resolution_codes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
