from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        from meetings import buyer_receivers, contacts, health, tracker_tasks
        from meetings.reconciliation import receivers as reconciliation_receivers

        contacts.connect()
        buyer_receivers.connect()
        tracker_tasks.connect()
        health.register()
        reconciliation_receivers.connect()
