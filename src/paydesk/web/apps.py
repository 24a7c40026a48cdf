from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "paydesk.web"
    label = "web"
    verbose_name = "Console"
