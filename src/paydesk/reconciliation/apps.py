from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "paydesk.reconciliation"
    label = "reconciliation"
    verbose_name = "Reconciliation"
