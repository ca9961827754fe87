"""GET /metrics: guarded (token, else loopback only) and exporting what operators alert on."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from model_bakery import baker

from calls.models import AppCallStatus, ExotelCall, ExotelStatus, MobileAppCall, RecordingStatus
from meetings.metrics import jobs_observe

pytestmark = pytest.mark.django_db


def value(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


class TestGuard:
    def test_token_required_when_set(self, settings):
        settings.METRICS_TOKEN = "scrape-secret"
        client = Client()
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Token scrape-secret").status_code == 404
        ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
        assert ok.status_code == 200
        assert ok["Content-Type"].startswith("text/plain")

    def test_without_a_token_only_loopback_clients(self, settings):
        settings.METRICS_TOKEN = ""
        assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 404
        assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200

    def test_refusal_is_the_json_not_found(self, settings):
        settings.METRICS_TOKEN = "scrape-secret"
        response = Client().get("/metrics")
        assert response.json()["code"] == "not_found"


class TestContent:
    @pytest.fixture
    def scrape(self, settings):
        settings.METRICS_TOKEN = "scrape-secret"

        def get() -> str:
            response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
            assert response.status_code == 200
            return response.content.decode()

        return get

    def test_request_latency_by_view(self, scrape, client_for, seller):
        client_for(seller).get("/api/health/hello")
        body = scrape()
        assert "django_http_requests_latency_seconds_by_view_method_bucket{" in body
        assert 'view="health-hello"' in body

    def test_reconciliation_lag_and_pending_downloads(self, scrape, seller, agency):
        now = timezone.now()
        assert value(scrape(), 'chirpworks_reconciliation_lag_seconds{source="app"}') == 0
        baker.make(
            MobileAppCall,
            seller=seller,
            app_call_id="a1",
            buyer_number="+919812345678",
            seller_number=seller.phone,
            call_type="outgoing",
            status=AppCallStatus.PROCESSING,
            start_time=now - timedelta(minutes=30),
            end_time=now - timedelta(minutes=29),
            duration=60,
        )
        baker.make(
            MobileAppCall,  # unanswered: never a meeting, no lag
            seller=seller,
            app_call_id="a2",
            buyer_number="+919812345679",
            seller_number=seller.phone,
            call_type="outgoing",
            status=AppCallStatus.NOT_ANSWERED,
            start_time=now - timedelta(hours=5),
            end_time=now - timedelta(hours=5),
        )
        baker.make(
            ExotelCall,
            agency=agency,
            call_sid="sid-1",
            status=ExotelStatus.COMPLETED,
            start_time=now - timedelta(minutes=10),
            recording_status=RecordingStatus.PENDING,
        )
        body = scrape()
        app_lag = value(body, 'chirpworks_reconciliation_lag_seconds{source="app"}')
        assert 30 * 60 <= app_lag < 31 * 60
        exotel_lag = value(body, 'chirpworks_reconciliation_lag_seconds{source="exotel"}')
        assert 10 * 60 <= exotel_lag < 11 * 60
        assert value(body, 'chirpworks_unmatched_answered_calls{source="app"}') == 1
        assert value(body, "chirpworks_pending_recording_downloads") == 1

    def test_celery_queue_depth(self, scrape):
        from kombu import Queue

        from chirpworks.celery import app

        assert value(scrape(), "chirpworks_celery_broker_up") == 1
        with app.connection_for_write() as conn:
            producer = conn.Producer()
            queue = Queue("celery", routing_key="celery")
            for n in range(3):
                producer.publish({"n": n}, routing_key="celery", declare=[queue])
            try:
                assert value(scrape(), 'chirpworks_celery_queue_messages{queue="celery"}') == 3
            finally:
                conn.default_channel.queue_purge("celery")

    def test_job_stage_durations(self, scrape):
        jobs_observe(outcome="completed", timings={"transcribe": 1.5, "analyse": 0.2})
        body = scrape()
        assert 'chirpworks_job_stage_seconds_count{stage="transcribe"}' in body
        assert 'chirpworks_jobs_finished_total{outcome="completed"}' in body
