"""Scrape-time gauges of the calls app: reconciliation lag, pending recording downloads."""

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from calls.models import AppCallStatus, ExotelCall, ExotelStatus, MobileAppCall, RecordingStatus


def _age(oldest, now) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


class CallsCollector:
    def collect(self):
        now = timezone.now()
        lag = GaugeMetricFamily(
            "chirpworks_reconciliation_lag_seconds",
            "Age of the oldest answered call not yet matched into a meeting (0: none)",
            labels=["source"],
        )
        waiting = GaugeMetricFamily(
            "chirpworks_unmatched_answered_calls",
            "Answered calls not yet matched into a meeting",
            labels=["source"],
        )
        # App calls without a real buyer number can never match (calls_cleanup_unmatched).
        app = MobileAppCall.objects.filter(
            status=AppCallStatus.PROCESSING,
            meeting__isnull=True,
            reconciled_at__isnull=True,
            buyer_number__startswith="+",
        ).aggregate(oldest=Min("start_time"), count=Count("pk"))
        exotel = ExotelCall.objects.filter(
            status=ExotelStatus.COMPLETED, meeting__isnull=True, reconciled_at__isnull=True
        ).aggregate(oldest=Min("start_time"), count=Count("pk"))
        for source, row in (("app", app), ("exotel", exotel)):
            lag.add_metric([source], _age(row["oldest"], now))
            waiting.add_metric([source], row["count"])
        yield lag
        yield waiting

        pending = ExotelCall.objects.filter(recording_status=RecordingStatus.PENDING).aggregate(
            oldest=Min("created_at"), count=Count("pk")
        )
        yield GaugeMetricFamily(
            "chirpworks_pending_recording_downloads",
            "Exotel recordings waiting to be downloaded",
            value=pending["count"],
        )
        yield GaugeMetricFamily(
            "chirpworks_oldest_pending_recording_download_seconds",
            "Age of the oldest Exotel recording waiting to be downloaded (0: none)",
            value=_age(pending["oldest"], now),
        )
