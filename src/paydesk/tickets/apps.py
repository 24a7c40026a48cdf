from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "paydesk.tickets"
    label = "tickets"
    verbose_name = "Tickets"
