"""One meeting per real call when one side comes long after the other, and agent legs."""

from datetime import UTC, datetime, timedelta

import pytest

from agencies.models import Buyer
from calls.exotel_services import exotel_call_ingest
from calls.models import CallType, ExotelCall, MobileAppCall, RecordingStatus
from calls.tests.conftest import BUYER
from calls.tests.sync import app_calls_sync
from meetings.models import Job, JobStatus, Meeting
from meetings.tests.reconciliation.conftest import reconcile

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 17, 6, 0, tzinfo=UTC)  # the day before the pinned clock
LATER = T0 + timedelta(hours=2)  # past the grace period


class TestLateAppCall:
    def test_joins_the_exotel_only_meeting_and_fills_what_it_knows(
        self,
        seller,
        make_app_call,
        make_exotel_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        exo = make_exotel_call(seller, T0, 90, recording="recordings/e.mp3", direction="")
        assert reconcile(django_capture_on_commit_callbacks, now=LATER).exotel_only == 1
        meeting = Meeting.objects.get()
        assert meeting.direction == ""
        job_before = Job.objects.get()

        # Days later the phone syncs its log.
        app = make_app_call(seller, T0 + timedelta(seconds=3), 88, call_type=CallType.INCOMING)
        result = reconcile(django_capture_on_commit_callbacks, now=LATER + timedelta(days=3))

        assert result.late_app_calls == 1 and result.meetings == 0
        assert Meeting.objects.get() == meeting
        assert list(Job.objects.all()) == [job_before]
        app.refresh_from_db()
        exo.refresh_from_db()
        meeting.refresh_from_db()
        assert app.meeting == meeting and app.reconciled_at is not None
        assert exo.mobile_call == app and exo.meeting == meeting
        assert meeting.direction == "incoming"
        assert enqueued_jobs == [str(job_before.pk)]  # queued once, when it was made

    def test_fills_the_buyer_number_exotel_did_not_give(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        exo = make_exotel_call(seller, T0, 90, recording="recordings/e.mp3")
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        ExotelCall.objects.filter(pk=exo.pk).update(buyer_number="")
        app = make_app_call(seller, T0, 90)
        reconcile(django_capture_on_commit_callbacks, now=LATER + timedelta(hours=5))
        exo.refresh_from_db()
        assert exo.mobile_call == app and exo.buyer_number == BUYER
        assert Meeting.objects.count() == 1

    def test_joins_even_before_its_own_grace_period(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_exotel_call(seller, T0, 90, recording="recordings/e.mp3")
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        make_app_call(seller, T0, 90)
        # The reconciliation the sync queues runs at once: no second meeting, no waiting.
        assert reconcile(django_capture_on_commit_callbacks, now=LATER).late_app_calls == 1
        assert MobileAppCall.objects.get().meeting == Meeting.objects.get()

    def test_another_buyer_or_another_time_is_another_call(
        self, seller, make_app_call, make_exotel_call, django_capture_on_commit_callbacks
    ):
        make_exotel_call(seller, T0, 90, recording="recordings/e.mp3")
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        make_app_call(seller, T0, 90, buyer_number="+919800011111")
        make_app_call(seller, T0 + timedelta(minutes=5), 90)
        result = reconcile(django_capture_on_commit_callbacks, now=LATER + timedelta(hours=1))
        assert result.late_app_calls == 0 and result.app_only == 2
        assert Meeting.objects.count() == 3

    def test_another_sellers_exotel_only_meeting_is_not_joined(
        self,
        seller,
        agency,
        make_seller,
        make_app_call,
        make_exotel_call,
        django_capture_on_commit_callbacks,
    ):
        colleague = make_seller(agency)
        make_exotel_call(colleague, T0, 90, recording="recordings/e.mp3")
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        make_app_call(seller, T0, 90)
        result = reconcile(django_capture_on_commit_callbacks, now=LATER + timedelta(hours=1))
        assert result.late_app_calls == 0 and Meeting.objects.count() == 2

    def test_whole_path_webhook_then_a_sync_days_later(
        self,
        clock,
        api_client,
        client_for,
        seller,
        recording_server,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        from calls.tests.conftest import wav_bytes

        tz = seller.agency.tzinfo
        start = (T0 - timedelta(days=1)).astimezone(tz).replace(microsecond=0)
        clock.move_to(start + timedelta(minutes=2))
        recording_server.responses.append((200, wav_bytes(60), "audio/wav"))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.get(
                "/api/call_records/post_exotel_recording",
                {
                    "key": seller.agency.exotel_webhook_secret,
                    "CallSid": "sid-late",
                    "CallFrom": seller.phone,
                    "DialWhomNumber": "09812345678",
                    "CallStatus": "completed",
                    "StartTime": start.strftime("%Y-%m-%d %H:%M:%S"),
                    "EndTime": (start + timedelta(seconds=60)).strftime("%Y-%m-%d %H:%M:%S"),
                    "RecordingUrl": f"{recording_server.url}/late.wav",
                },
            )
        assert response.status_code == 200
        clock.move_to(start + timedelta(minutes=30))  # past the grace period: Exotel-only
        reconcile(django_capture_on_commit_callbacks)
        meeting = Meeting.objects.get()

        clock.move_to(start + timedelta(days=2))  # the phone was offline for two days
        item = {
            "sellerNumber": seller.phone,
            "appCallId": "android-late",
            "buyerNumber": "+91 98123 45678",
            "callType": "outgoing",
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(seconds=61)).isoformat(),
            "duration": 61,
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(seller).post(
                "/api/call_records/post_app_call_record", [item], format="json"
            )
        assert response.status_code == 200
        assert Meeting.objects.get() == meeting
        assert MobileAppCall.objects.get().meeting == meeting
        assert ExotelCall.objects.get().mobile_call == MobileAppCall.objects.get()
        meeting.refresh_from_db()
        assert meeting.direction == "outgoing"
        assert enqueued_jobs == [str(meeting.job.pk)]


class TestLateExotelCall:
    def test_without_a_recording_it_still_joins_and_a_later_recording_reaches_the_meeting(
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
        exo = make_exotel_call(seller, T0, 90, recording="")
        assert reconcile(django_capture_on_commit_callbacks, now=LATER).late_recordings == 1
        exo.refresh_from_db()
        assert exo.meeting == meeting and exo.mobile_call == app
        assert Meeting.objects.count() == 1
        assert meeting.job.status == JobStatus.FAILURE


class TestAgentLegs:
    """The seller's own leg of a two-leg call: its "buyer" is a seller or an ExoPhone."""

    EXOPHONE = "+918047000000"

    @pytest.fixture(autouse=True)
    def _exophone(self, agency):
        agency.settings = {"exotel_numbers": ["080 4700 0000"]}
        agency.save()

    def webhook(self, capture, agency, **params):
        with capture(execute=True):
            return exotel_call_ingest(key=agency.exotel_webhook_secret, params=params)

    def test_rows_ringing_a_seller_from_the_exophone_or_another_seller_are_agent_legs(
        self, agency, seller, make_seller, django_capture_on_commit_callbacks
    ):
        colleague = make_seller(agency)
        at = T0.astimezone(agency.tzinfo).strftime("%Y-%m-%d %H:%M:%S")
        rows = [
            {"CallFrom": self.EXOPHONE, "CallTo": seller.phone, "Status": "no-answer"},
            {"From": self.EXOPHONE, "To": seller.phone, "Status": "completed"},
            {"CallFrom": colleague.phone, "CallTo": seller.phone, "Status": "ringing"},
            {"From": seller.phone, "To": colleague.phone, "Status": "completed"},
        ]
        for i, row in enumerate(rows):
            result = self.webhook(
                django_capture_on_commit_callbacks,
                agency,
                CallSid=f"leg-{i}",
                StartTime=at,
                Duration="40",
                **row,
            )
            assert result.call.agent_leg, row
            assert result.call.buyer_number == ""
        reconcile(django_capture_on_commit_callbacks, now=LATER, force_ids=[])
        assert Meeting.objects.count() == 0
        assert not Buyer.objects.filter(phone__in=[self.EXOPHONE, seller.phone, colleague.phone])

    def test_the_real_leg_beside_an_agent_leg_makes_one_meeting_with_the_real_buyer(
        self,
        agency,
        seller,
        make_app_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        # Click-to-call: Exotel rings the seller from the ExoPhone (the phone logs an incoming
        # call from it), then dials the buyer. Both legs are reported.
        at = T0.astimezone(agency.tzinfo)
        fmt = "%Y-%m-%d %H:%M:%S"
        self.webhook(
            django_capture_on_commit_callbacks,
            agency,
            CallSid="agent-leg",
            From=self.EXOPHONE,
            To=seller.phone,
            Status="completed",
            StartTime=at.strftime(fmt),
            EndTime=(at + timedelta(seconds=95)).strftime(fmt),
        )
        real = self.webhook(
            django_capture_on_commit_callbacks,
            agency,
            CallSid="buyer-leg",
            From=seller.phone,
            To=BUYER,
            Status="completed",
            StartTime=(at + timedelta(seconds=5)).strftime(fmt),
            EndTime=(at + timedelta(seconds=95)).strftime(fmt),
        ).call
        ExotelCall.objects.filter(pk=real.pk).update(
            recording="recordings/r.mp3", recording_status=RecordingStatus.STORED
        )
        app = make_app_call(seller, T0, 95, buyer_number=self.EXOPHONE, call_type=CallType.INCOMING)
        result = reconcile(django_capture_on_commit_callbacks, now=LATER)

        assert result.matched == 1 and result.meetings == 1
        meeting = Meeting.objects.get()
        assert meeting.buyer.phone == BUYER
        assert ExotelCall.objects.get(call_sid="buyer-leg").mobile_call == app
        agent = ExotelCall.objects.get(call_sid="agent-leg")
        assert agent.meeting is None and agent.mobile_call is None and agent.agent_leg
        assert not Buyer.objects.filter(phone=self.EXOPHONE).exists()

    def test_an_app_call_with_only_an_exophone_never_becomes_a_buyer_or_meeting(
        self, agency, seller, make_app_call, django_capture_on_commit_callbacks
    ):
        make_app_call(seller, T0, 95, buyer_number=self.EXOPHONE, call_type=CallType.INCOMING)
        result = reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert result.meetings == 0 and result.skipped == 1
        assert not Buyer.objects.exists()

    def test_a_stored_row_whose_buyer_turns_out_to_be_a_seller_is_an_agent_leg(
        self, agency, seller, make_seller, make_exotel_call, django_capture_on_commit_callbacks
    ):
        exo = make_exotel_call(seller, T0, 60, buyer_number="+919800077777")
        make_seller(agency, phone="+919800077777")  # registered after the row was stored
        result = reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert result.meetings == 0
        exo.refresh_from_db()
        assert exo.agent_leg and exo.meeting is None
        assert not Buyer.objects.exists()

    def test_the_sync_keeps_the_app_calls_of_agent_legs_out_of_meetings(
        self, agency, seller, django_capture_on_commit_callbacks
    ):
        item = {
            "sellerNumber": seller.phone,
            "appCallId": "from-exophone",
            "buyerNumber": self.EXOPHONE,
            "callType": "incoming",
            "startTime": T0.isoformat(),
            "endTime": (T0 + timedelta(seconds=30)).isoformat(),
            "duration": 30,
        }
        with django_capture_on_commit_callbacks(execute=True):
            app_calls_sync(seller=seller, items=[item])
        reconcile(django_capture_on_commit_callbacks, now=LATER)
        assert not Meeting.objects.exists() and not Buyer.objects.exists()
