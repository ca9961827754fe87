from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"

    def ready(self) -> None:
        from actions import receivers

        receivers.connect()
