from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker

from agencies.models import Buyer
from calls.models import AppCallStatus, CallType, ExotelCall, MobileAppCall, RecordingStatus
from calls.tests.conftest import BUYER, wav_bytes
from meetings.models import Job, JobStatus, Meeting
from meetings.reconciliation.matching import CallWindow, match_call_windows
from meetings.reconciliation.services import calls_reconcile
from meetings.services import NO_RECORDING_ERROR
from meetings.tests.reconciliation.conftest import reconcile

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
LATER = T0 + timedelta(hours=2)  # "now" for runs that are past the grace period


class TestMatching:
    def test_match_makes_one_meeting_one_job_and_links_both(
        self,
        seller,
        make_app_call,
        make_exotel_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        app = make_app_call(seller, T0, 90)
        exo = make_exotel_call(seller, T0 + timedelta(seconds=4), 84, recording="recordings/x.mp3")
        result = reconcile(django_capture_on_commit_callbacks, now=T0 + timedelta(minutes=2))

        assert (result.matched, result.app_only, result.exotel_only) == (1, 0, 0)
        meeting = Meeting.objects.get()
        assert meeting.title == f"Meeting between +91 9812345678 and {seller.name}"
        assert meeting.seller == seller and meeting.agency == seller.agency
        assert meeting.buyer.phone == BUYER
        assert meeting.direction == "outgoing" and meeting.source == "phone"
        assert (meeting.start_time, meeting.end_time) == (app.start_time, app.end_time)
        assert meeting.recording.name == "recordings/x.mp3"
        job = Job.objects.get()
        assert job.meeting == meeting and job.status == JobStatus.INIT
        assert enqueued_jobs == [str(job.pk)]
        app.refresh_from_db()
        exo.refresh_from_db()
        assert app.meeting == meeting and app.reconciled_at is not None
        assert exo.meeting == meeting and exo.mobile_call == app and exo.reconciled_at is not None
        buyer = meeting.buyer
        assert buyer.last_contacted_at == app.start_time and buyer.last_contacted_by == seller

    def test_running_again_changes_nothing(
        self,
        seller,
        make_app_call,
        make_exotel_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90)
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        result = reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert result.meetings == 0
        assert Meeting.objects.count() == 1 and Job.objects.count() == 1
        assert len(enqueued_jobs) == 1

    @pytest.mark.parametrize(
        ("shift", "matches"), [(-10, True), (9, True), (11, False), (-11, False)]
    )
    def test_tolerance_at_each_end(
        self,
        seller,
        make_app_call,
        make_exotel_call,
        enqueued_jobs,
        shift,
        matches,
        django_capture_on_commit_callbacks,
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0 + timedelta(seconds=shift), 90)
        result = reconcile(django_capture_on_commit_callbacks, now=T0 + timedelta(minutes=3))
        assert result.matched == (1 if matches else 0)

    def test_end_must_be_within_tolerance_too(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 120)
        assert reconcile(django_capture_on_commit_callbacks, now=T0).matched == 0

    def test_tolerance_is_a_setting(
        self, settings, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        settings.CALL_MATCH_TOLERANCE_SECONDS = 30
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0 + timedelta(seconds=25), 90)
        assert reconcile(django_capture_on_commit_callbacks, now=T0).matched == 1

    def test_different_buyer_numbers_do_not_match(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90, buyer_number="+919811111111")
        assert reconcile(django_capture_on_commit_callbacks, now=T0).matched == 0

    def test_unknown_exotel_buyer_still_matches_on_time(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90, buyer_number="")
        assert reconcile(django_capture_on_commit_callbacks, now=T0).matched == 1
        assert Meeting.objects.get().buyer.phone == BUYER

    def test_closest_candidate_wins_and_no_record_is_used_twice(self):
        def w(name, start, end, buyer=""):
            return CallWindow(
                name, T0 + timedelta(seconds=start), T0 + timedelta(seconds=end), buyer
            )

        apps = [w("a1", 0, 60), w("a2", 8, 66)]
        exos = [w("e1", 7, 65), w("e2", 1, 61), w("e3", 2, 62)]
        pairs = match_call_windows(
            app_calls=apps, exotel_calls=exos, tolerance=timedelta(seconds=10)
        )
        assert sorted((a.pk, e.pk) for a, e in pairs) == [("a1", "e2"), ("a2", "e1")]

    def test_other_sellers_calls_never_match(
        self, seller, manager, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(manager, T0, 90)
        assert reconcile(django_capture_on_commit_callbacks, now=T0).matched == 0

    def test_other_agencies_calls_never_match(
        self,
        seller,
        other_agency,
        make_seller,
        make_app_call,
        make_exotel_call,
        django_capture_on_commit_callbacks,
    ):
        outsider = make_seller(other_agency)
        make_app_call(seller, T0, 90)
        make_exotel_call(outsider, T0, 90)
        # An Exotel row of another agency that names our seller is never attached to them either.
        baker.make(
            ExotelCall,
            agency=other_agency,
            seller=None,
            from_number=seller.phone,
            call_sid="foreign",
            start_time=T0,
            duration=90,
            status="completed",
        )
        calls_reconcile(now=T0)
        assert ExotelCall.objects.get(call_sid="foreign").seller is None
        assert Meeting.objects.count() == 0

    def test_unanswered_app_calls_are_not_matched(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 0, status=AppCallStatus.NOT_ANSWERED)
        make_exotel_call(seller, T0, 0)
        assert reconcile(django_capture_on_commit_callbacks, now=T0).matched == 0

    def test_dry_run_writes_nothing(self, seller, make_app_call, make_exotel_call):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90)
        result = calls_reconcile(now=LATER, dry_run=True)
        assert result.matched == 1
        assert Meeting.objects.count() == 0
        assert MobileAppCall.objects.filter(reconciled_at__isnull=False).count() == 0


class TestGracePeriod:
    def test_answered_app_call_alone_becomes_a_meeting_without_recording(
        self, seller, make_app_call, enqueued_jobs, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 90, call_type=CallType.INCOMING)
        assert (
            reconcile(django_capture_on_commit_callbacks, now=T0 + timedelta(minutes=5)).meetings
            == 0
        )
        result = reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert result.app_only == 1
        meeting = Meeting.objects.get()
        assert meeting.direction == "incoming" and not meeting.recording
        assert meeting.job.status == JobStatus.FAILURE and meeting.job.error == NO_RECORDING_ERROR
        assert enqueued_jobs == []

    def test_exotel_recording_alone_becomes_a_meeting(
        self, seller, make_exotel_call, enqueued_jobs, django_capture_on_commit_callbacks
    ):
        make_exotel_call(seller, T0, 90, direction="inbound")
        assert (
            reconcile(django_capture_on_commit_callbacks, now=T0 + timedelta(minutes=5)).meetings
            == 0
        )
        result = reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert result.exotel_only == 1
        meeting = Meeting.objects.get()
        assert meeting.direction == "incoming" and meeting.recording.name == "rec.mp3"
        assert enqueued_jobs == [str(meeting.job.pk)]

    def test_exotel_without_recording_or_buyer_never_becomes_a_meeting(
        self, seller, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_exotel_call(seller, T0, 90, recording="")
        make_exotel_call(seller, T0 + timedelta(hours=1), 90, buyer_number="")
        result = reconcile(django_capture_on_commit_callbacks, now=LATER + timedelta(hours=1))
        assert result.meetings == 0 and result.skipped == 1

    def test_a_pending_download_holds_the_app_call_back(
        self,
        seller,
        make_app_call,
        make_exotel_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        make_app_call(seller, T0, 90)
        exo = make_exotel_call(
            seller, T0, 90, recording="", recording_status=RecordingStatus.PENDING
        )
        assert reconcile(django_capture_on_commit_callbacks, now=LATER).meetings == 0
        exo.recording = "recordings/late.mp3"
        exo.recording_status = RecordingStatus.STORED
        exo.save()
        assert reconcile(django_capture_on_commit_callbacks, now=LATER).matched == 1
        assert Meeting.objects.get().recording.name == "recordings/late.mp3"

    def test_a_recording_after_the_grace_period_joins_the_app_only_meeting(
        self,
        seller,
        make_app_call,
        make_exotel_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        app = make_app_call(seller, T0, 90)
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        meeting = Meeting.objects.get()
        assert meeting.job.status == JobStatus.FAILURE
        exo = make_exotel_call(
            seller, T0 + timedelta(seconds=2), 88, recording="recordings/late.mp3"
        )
        result = reconcile(django_capture_on_commit_callbacks, now=LATER + timedelta(hours=1))

        assert result.late_recordings == 1 and result.meetings == 0
        assert Meeting.objects.count() == 1
        meeting.refresh_from_db()
        assert meeting.recording.name == "recordings/late.mp3"
        assert meeting.job.status == JobStatus.INIT and meeting.job.error == ""
        assert enqueued_jobs == [str(meeting.job.pk)]
        exo.refresh_from_db()
        assert exo.meeting == meeting and exo.mobile_call == app

    def test_force_ids_skip_the_grace_period(
        self, seller, make_app_call, django_capture_on_commit_callbacks
    ):
        app = make_app_call(seller, T0, 90)
        result = reconcile(django_capture_on_commit_callbacks, now=T0, force_ids=[app.pk])
        assert result.app_only == 1


class TestBothArrivalOrders:
    """The whole path: the app's sync, Exotel's webhook and the recording download, in turn."""

    @pytest.fixture(autouse=True)
    def _recent_call(self, agency):
        # A call that ended a minute ago, so the grace period has not run out.
        self.start = timezone.now().astimezone(agency.tzinfo).replace(microsecond=0)
        self.start -= timedelta(minutes=3)

    def at(self, seconds: int, sep: str = "T") -> str:
        return (self.start + timedelta(seconds=seconds)).strftime(f"%Y-%m-%d{sep}%H:%M:%S")

    def sync(self, client_for, seller, capture):
        item = {
            "sellerNumber": seller.phone,
            "appCallId": "android-77",
            "buyerNumber": "+91 98123 45678",
            "callType": "outgoing",
            "startTime": self.at(0),
            "endTime": self.at(90),
            "duration": 90,
        }
        with capture(execute=True):
            response = client_for(seller).post(
                "/api/call_records/post_app_call_record", [item], format="json"
            )
        assert response.status_code == 200

    def webhook(self, api_client, seller, server, capture, expect=200):
        server.responses.append((200, wav_bytes(88), "audio/wav"))
        params = {
            "key": seller.agency.exotel_webhook_secret,
            "CallSid": "sid-77",
            "CallFrom": seller.phone,
            "DialWhomNumber": "09812345678",
            "CallStatus": "completed",
            "StartTime": self.at(3, " "),
            "EndTime": self.at(91, " "),
            "DialCallDuration": "88",
            "RecordingUrl": f"{server.url}/sid-77.wav",
        }
        with capture(execute=True):
            response = api_client.get("/api/call_records/post_exotel_recording", params)
        assert response.status_code == expect

    def check(self, enqueued_jobs):
        meeting = Meeting.objects.get()
        assert meeting.recording.name.endswith(".wav")
        assert MobileAppCall.objects.get().meeting == meeting
        assert ExotelCall.objects.get().meeting == meeting
        assert enqueued_jobs == [str(meeting.job.pk)]

    def test_app_first(
        self,
        api_client,
        client_for,
        seller,
        recording_server,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        self.sync(client_for, seller, django_capture_on_commit_callbacks)
        assert Meeting.objects.count() == 0
        self.webhook(api_client, seller, recording_server, django_capture_on_commit_callbacks)
        self.check(enqueued_jobs)

    def test_exotel_first_then_retried(
        self,
        api_client,
        client_for,
        seller,
        recording_server,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        self.webhook(api_client, seller, recording_server, django_capture_on_commit_callbacks)
        self.webhook(api_client, seller, recording_server, django_capture_on_commit_callbacks)
        assert Meeting.objects.count() == 0
        self.sync(client_for, seller, django_capture_on_commit_callbacks)
        self.sync(client_for, seller, django_capture_on_commit_callbacks)
        self.check(enqueued_jobs)
        assert len(recording_server.requests) == 1  # the retried webhook did not download again

    def test_seller_registered_after_the_webhook(
        self,
        api_client,
        client_for,
        agency,
        make_seller,
        recording_server,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        ghost = type("Ghost", (), {"phone": "+919800000123", "agency": agency})
        self.webhook(api_client, ghost, recording_server, django_capture_on_commit_callbacks, 202)
        assert ExotelCall.objects.get().seller is None
        newcomer = make_seller(agency, phone="+919800000123")
        self.sync(client_for, newcomer, django_capture_on_commit_callbacks)
        self.check(enqueued_jobs)


class TestBuyers:
    def test_existing_buyer_is_reused_and_contact_only_moves_forward(
        self, seller, agency, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        buyer = baker.make(
            Buyer, agency=agency, phone=BUYER, last_contacted_at=T0 + timedelta(days=1)
        )
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90)
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert Buyer.objects.count() == 1
        buyer.refresh_from_db()
        assert buyer.last_contacted_at == T0 + timedelta(days=1)
        assert Meeting.objects.get().buyer == buyer

    def test_a_new_buyer_is_born_with_its_latest_call_as_last_contact_in_one_write(
        self,
        seller,
        make_seller,
        agency,
        make_app_call,
        make_exotel_call,
        django_capture_on_commit_callbacks,
    ):
        other = make_seller(agency)
        for who, start in (
            (seller, T0),
            (other, T0 + timedelta(hours=2)),
            (seller, T0 + timedelta(hours=1)),
        ):
            make_app_call(who, start, 90)
            make_exotel_call(who, start, 90)
        with CaptureQueriesContext(connection) as queries:
            reconcile(django_capture_on_commit_callbacks, now=T0 + timedelta(days=1))
        buyer = Buyer.objects.get()
        assert (buyer.last_contacted_at, buyer.last_contacted_by) == (
            T0 + timedelta(hours=2),
            other,
        )
        # Inserted with it: the row is never updated afterwards.
        assert not [q for q in queries if q["sql"].startswith('UPDATE "agencies_buyer"')]

    def test_a_known_buyer_already_contacted_later_is_not_written(
        self, seller, agency, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        baker.make(Buyer, agency=agency, phone=BUYER, last_contacted_at=T0 + timedelta(days=1))
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90)
        with CaptureQueriesContext(connection) as queries:
            reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert not [q for q in queries if q["sql"].startswith('UPDATE "agencies_buyer"')]


def test_10000_calls_per_side_in_a_bounded_number_of_queries(
    agency, make_seller, django_assert_max_num_queries, enqueued_jobs
):
    sellers = [make_seller(agency) for _ in range(20)]
    apps, exos = [], []
    for i in range(10_000):
        seller = sellers[i % 20]
        start = T0 + timedelta(minutes=5 * (i // 20))  # each seller's calls are 5 minutes apart
        buyer = f"+9198{i % 3000:08d}"
        apps.append(
            MobileAppCall(
                seller=seller,
                app_call_id=f"a{i}",
                buyer_number=buyer,
                seller_number=seller.phone,
                call_type=CallType.OUTGOING,
                start_time=start,
                end_time=start + timedelta(seconds=120),
                duration=120,
                status=AppCallStatus.PROCESSING,
            )
        )
        shift = timedelta(seconds=(i % 7) - 3)
        exos.append(
            ExotelCall(
                call_sid=f"s{i}",
                agency=agency,
                seller=seller,
                buyer_number=buyer,
                start_time=start + shift,
                end_time=start + shift + timedelta(seconds=118),
                duration=118,
                status="completed",
                recording=f"r/{i}.mp3",
                recording_status=RecordingStatus.STORED,
            )
        )
    MobileAppCall.objects.bulk_create(apps, batch_size=1000)
    ExotelCall.objects.bulk_create(exos, batch_size=1000)

    # Writes are batched: ~n/40 statements on SQLite (999 parameters each), ~n/500 on PostgreSQL;
    # a single per-row query would already make 10,000.
    # Batches, not rows: SQLite's 999-parameter limit splits every bulk statement (the rollups'
    # refresh and the agent-leg look-ups add a few batches of their own).
    limit = 700 if connection.vendor == "sqlite" else 150
    with django_assert_max_num_queries(limit):
        result = calls_reconcile(now=timezone.now())
    assert result.matched == 10_000
    assert Meeting.objects.count() == 10_000 and Job.objects.count() == 10_000
    assert Buyer.objects.count() == 3000
    assert ExotelCall.objects.filter(mobile_call__isnull=True).count() == 0
    # Every Exotel call was paired with the app call of the same number (its own call).
    mismatched = ExotelCall.objects.exclude(mobile_call__app_call_id__regex=r"^a\d+$").count()
    assert mismatched == 0
    pairs = ExotelCall.objects.values_list("call_sid", "mobile_call__app_call_id")
    assert all(sid[1:] == app_id[1:] for sid, app_id in pairs)
    # Each buyer's last contact is its latest meeting, by that meeting's seller.
    latest = {}
    for buyer_id, start, seller_id in Meeting.objects.values_list(
        "buyer_id", "start_time", "seller_id"
    ):
        if buyer_id not in latest or latest[buyer_id][0] < start:
            latest[buyer_id] = (start, seller_id)
    contacts = Buyer.objects.values_list("pk", "last_contacted_at", "last_contacted_by_id")
    assert {pk: (at, by) for pk, at, by in contacts} == latest
