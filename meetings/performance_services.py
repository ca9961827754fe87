from django.db import transaction

from meetings.models import CallPerformance


def performance_delete(*, performance: CallPerformance) -> None:
    with transaction.atomic():
        performance.delete()
