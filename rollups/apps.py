from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "rollups"
    verbose_name = "Daily rollups"

    def ready(self) -> None:
        from rollups import signals  # noqa: F401  (connects the save/delete hooks)
