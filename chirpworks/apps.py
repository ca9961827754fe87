from django.apps import AppConfig


class ChirpworksConfig(AppConfig):
    name = "chirpworks"
    verbose_name = "ChirpWorks"

    def ready(self) -> None:
        from chirpworks import lookups  # noqa: F401  registers ``field__any``
