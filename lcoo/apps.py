from django.apps import AppConfig


class LcooConfig(AppConfig):
    name = "lcoo"
    verbose_name = "Portal"
