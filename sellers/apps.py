from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "sellers"

    def ready(self) -> None:
        from sellers import schema  # noqa: F401  (registers the OpenAPI auth extension)
