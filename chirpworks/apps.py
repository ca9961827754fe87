from django.apps import AppConfig


class ChirpworksConfig(AppConfig):
    name = "chirpworks"
    verbose_name = "ChirpWorks"
