"""Issue 17 #7: a broker or Redis outage. Saved data answers success, the outbox sends the work
later, and what needs Redis answers 503 ``service_unavailable`` JSON instead of a 500.

The broker being down is simulated where it leaves the process: the task's ``delay`` raises
kombu's ``OperationalError`` (what Celery raises once its publish retries are exhausted). Redis
down is the cache pointed at a closed port. Requests run in real transactions
(``transaction=True``) so ``on_commit`` fires inside the request, as in production.
"""

import socket
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone
from kombu.exceptions import OperationalError

from agencies.models import Buyer
from calls import tasks as call_tasks
from calls.models import ExotelCall, MobileAppCall, RecordingStatus
from calls.recording_services import exotel_recordings_sweep
from meetings.job_services import job_requeue_stuck
from meetings.models import Job, JobStatus

pytestmark = pytest.mark.django_db(transaction=True)

SYNC = "/api/call_records/post_app_call_record"
WEBHOOK = "/api/call_records/post_exotel_recording"
RECORDING = "https://recordings.exotel.com/exotelrecordings/acme/sid-outage-1.mp3"


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def no_broker(monkeypatch):
    """Every task we send fails to reach the broker."""
    for task in (
        call_tasks.download_exotel_recording,
        current_app.tasks["calls.tasks.reconcile_calls"],  # meetings' reconciliation, by name
        current_app.tasks["meetings.tasks.process_job"],  # the pipeline's, by name
        # The search app's indexing tasks, looked up by their registered names.
        current_app.tasks["meetings.search.index_entity"],
        current_app.tasks["meetings.search.index_entities"],
    ):
        monkeypatch.setattr(task, "delay", broker_down)
        monkeypatch.setattr(task, "apply_async", broker_down)


@pytest.fixture
def sent(monkeypatch):
    """The broker is back: record what is sent instead of running it."""
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(
        call_tasks.download_exotel_recording, "delay", lambda i: calls.append(("download", i))
    )
    process_job = current_app.tasks["meetings.tasks.process_job"]
    monkeypatch.setattr(process_job, "delay", lambda i: calls.append(("job", i)))
    return calls


@pytest.fixture
def redis_down(settings):
    """The cache (throttles, search caches) on a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/5",
        }
    }
    yield
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def sync_item(seller, app_call_id="outage-1"):
    return {
        "sellerNumber": seller.phone,
        "appCallId": app_call_id,
        "buyerNumber": "98123 45678",
        "callType": "outgoing",
        "startTime": "2025-03-01T10:00:00",
        "endTime": "2025-03-01T10:01:30",
        "duration": "90",
    }


def webhook(agency, seller, **fields):
    params = {
        "key": agency.exotel_webhook_secret,
        "CallSid": "sid-outage-1",
        "CallFrom": "0" + seller.phone[3:],
        "CallTo": "08047112233",
        "DialWhomNumber": "09812345678",
        "CallStatus": "completed",
        "StartTime": "2025-03-01 10:00:00",
        "DialCallDuration": "90",
        "RecordingUrl": RECORDING,
    }
    params.update(fields)
    return params


class TestBrokerDown:
    def test_call_log_sync_answers_200_once_saved(self, client_for, seller, no_broker):
        response = client_for(seller).post(SYNC, [sync_item(seller)], format="json")
        assert response.status_code == 200, response.content
        assert response.json()["created"] == 1
        assert MobileAppCall.objects.filter(seller=seller).count() == 1

    def test_webhook_answers_200_and_the_download_waits_in_the_outbox(
        self, api_client, agency, seller, no_broker
    ):
        response = api_client.get(WEBHOOK, webhook(agency, seller))
        assert response.status_code == 200, response.content
        call = ExotelCall.objects.get(call_sid="sid-outage-1")
        assert call.recording_status == RecordingStatus.PENDING
        assert call.recording_queued_at is None  # never reached the broker

    def test_buyers_create_answers_201(self, client_for, seller, no_broker):
        response = client_for(seller).post(
            "/api/buyers/create", {"name": "Zoya", "phone": "+919877700000"}, format="json"
        )
        assert response.status_code == 201, response.content
        assert Buyer.objects.filter(phone="+919877700000").exists()

    def test_the_sweep_sends_the_download_once_the_broker_is_back(
        self, api_client, agency, seller, no_broker, monkeypatch, clock
    ):
        api_client.get(WEBHOOK, webhook(agency, seller))
        monkeypatch.undo()
        calls: list[str] = []
        monkeypatch.setattr(call_tasks.download_exotel_recording, "delay", calls.append)
        call = ExotelCall.objects.get(call_sid="sid-outage-1")

        assert exotel_recordings_sweep() == []  # within the grace: the request's send may be late
        clock.shift(timedelta(minutes=2))
        assert exotel_recordings_sweep() == [str(call.pk)]
        assert calls == [str(call.pk)]
        call.refresh_from_db()
        assert call.recording_queued_at is not None
        assert exotel_recordings_sweep() == []  # sent: not again until it goes stale

    def test_a_resent_webhook_queues_a_still_pending_download_again(
        self, api_client, agency, seller, no_broker, monkeypatch
    ):
        api_client.get(WEBHOOK, webhook(agency, seller))
        monkeypatch.undo()
        calls: list[str] = []
        monkeypatch.setattr(call_tasks.download_exotel_recording, "delay", calls.append)

        response = api_client.get(WEBHOOK, webhook(agency, seller))
        assert response.status_code == 200
        call = ExotelCall.objects.get(call_sid="sid-outage-1")
        assert calls == [str(call.pk)]
        assert call.recording_queued_at is not None

    def test_unsent_and_stale_init_jobs_are_swept(self, make_job, sent, clock):
        never_sent = make_job()
        sent_long_ago = make_job(enqueued_at=timezone.now() - timedelta(hours=1))
        just_sent = make_job(enqueued_at=timezone.now())
        retry_due_later = make_job(enqueued_at=timezone.now() + timedelta(minutes=10))
        done = make_job(status=JobStatus.COMPLETED)

        assert job_requeue_stuck() == [str(sent_long_ago.pk)]  # the fresh one is in its grace
        clock.shift(timedelta(minutes=2))
        sent.clear()
        assert job_requeue_stuck() == [str(never_sent.pk)]
        assert sent == [("job", str(never_sent.pk))]
        never_sent.refresh_from_db()
        assert never_sent.enqueued_at is not None
        for job in (just_sent, retry_due_later, done):
            job.refresh_from_db()
            assert (job.status, job.attempts) in {(JobStatus.INIT, 0), (JobStatus.COMPLETED, 0)}

    def test_a_job_created_while_the_broker_is_down_stays_unsent(self, make_meeting, no_broker):
        from meetings.job_services import job_create_for_meeting

        job = job_create_for_meeting(meeting=make_meeting("d1-stereo.ogg"))
        job.refresh_from_db()
        assert job.status == JobStatus.INIT and job.enqueued_at is None


class TestRedisDown:
    def test_login_answers_503_json(self, api_client, seller, redis_down):
        response = api_client.post(
            "/api/auth/login",
            {"email": seller.email, "password": "s3cret-pass!"},
            format="json",
        )
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "service_unavailable"

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("post", "/api/search/", {"query": "premium"}),
            ("post", "/api/search/answer", {"query": "how many calls this month"}),
            ("get", "/api/buyers/search", {"q": "zoya"}),
        ],
    )
    def test_search_answers_503_json(self, client_for, seller, redis_down, method, path, body):
        client = client_for(seller)
        if method == "post":
            response = client.post(path, body, format="json")
        else:
            response = client.get(path, body)
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "service_unavailable"

    def test_buyers_create_still_saves_and_answers_201(self, client_for, seller, redis_down):
        response = client_for(seller).post(
            "/api/buyers/create", {"name": "Zoya", "phone": "+919877700000"}, format="json"
        )
        assert response.status_code == 201, response.content


def test_health_reports_stuck_and_overdue_work_as_degraded(
    api_client, make_job, make_meeting, seller, settings
):
    from chirpworks.tasks import record_worker_heartbeat

    record_worker_heartbeat.delay()
    now = timezone.now()
    make_job(
        status=JobStatus.IN_PROGRESS,
        attempts=1,
        started_at=now - timedelta(minutes=5),
        lease_expires_at=now - timedelta(minutes=1),
    )
    make_job(enqueued_at=now - timedelta(seconds=settings.HEALTH_OVERDUE_AFTER + 60))
    Job.objects.filter(status=JobStatus.INIT).update(
        updated_at=now - timedelta(seconds=settings.HEALTH_OVERDUE_AFTER + 60)
    )

    response = api_client.get("/api/health/")
    assert response.status_code == 200  # the web process is fine; the pipeline is not
    body = response.json()
    assert body["status"] == "degraded"
    backlog = body["checks"]["backlog"]
    assert (backlog["stuck_jobs"], backlog["overdue_jobs"]) == (1, 1)
    assert backlog["overdue_recordings"] == 0
