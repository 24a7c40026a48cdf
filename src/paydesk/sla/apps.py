from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "paydesk.sla"
    label = "sla"
    verbose_name = "Sla"
