from django.apps import AppConfig


class SimulateConfig(AppConfig):
    name = "paydesk.simulate"
    label = "simulate"
    verbose_name = "Simulation"
