from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        from meetings import contacts, tracker_tasks

        contacts.connect()
        tracker_tasks.connect()
