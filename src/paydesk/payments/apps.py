from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "paydesk.payments"
    label = "payments"
    verbose_name = "Payments"
