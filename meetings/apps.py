from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        from meetings import contacts, tracker_tasks
        from meetings.reconciliation import receivers as reconciliation_receivers
        from meetings.search import signals, tasks  # noqa: F401  (registers the Celery task)

        signals.connect()
        contacts.connect()
        tracker_tasks.connect()
        reconciliation_receivers.connect()
