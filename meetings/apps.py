from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        from meetings import buyer_receivers, contacts, health, tracker_tasks

        contacts.connect()
        buyer_receivers.connect()
        tracker_tasks.connect()
        health.register()
