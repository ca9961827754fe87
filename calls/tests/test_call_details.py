"""Webhooks Exotel never sent: the Bulk Call Details fallback, against a local fake Exotel."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.exotel import ExotelClient, exotel_credentials_for
from calls.models import CallType, ExotelCall, MobileAppCall, RecordingStatus
from calls.tasks import fetch_missing_exotel_calls
from calls.tests.conftest import BUYER
from meetings.models import JobStatus, Meeting
from meetings.reconciliation.services import calls_reconcile

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def lost_call(seller, make_app_call, django_capture_on_commit_callbacks):
    """An answered call an hour ago whose webhook never came: by now an app-only meeting."""
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    app = make_app_call(seller, start, 90)
    with django_capture_on_commit_callbacks(execute=True):
        calls_reconcile()
    assert Meeting.objects.get().recording.name == ""
    return app


def exotel_row(fake, app, **fields):
    tz = fake.tz
    start = app.start_time + timedelta(seconds=2)
    row = {
        "From": app.seller.phone,
        "To": "0" + BUYER[3:],
        "StartTime": start.astimezone(tz).strftime(FMT),
        "EndTime": (start + timedelta(seconds=88)).astimezone(tz).strftime(FMT),
        "Duration": "88",
        "RecordingUrl": f"{fake.url}/recordings/{fields.get('Sid', 'x')}.wav",
        "PhoneNumberSid": "08047000000",
    }
    row.update(fields)
    return fake.add_call(**row)


def run(capture):
    with capture(execute=True):
        return fetch_missing_exotel_calls()


class TestLostWebhook:
    def test_the_call_is_found_and_ingested_as_if_the_webhook_had_come(
        self, fake_exotel, lost_call, enqueued_jobs, django_capture_on_commit_callbacks
    ):
        exotel_row(fake_exotel, lost_call, Sid="lost-1")
        result = run(django_capture_on_commit_callbacks)

        assert result["app_calls"] == 1 and result["ingested"] == 1
        exo = ExotelCall.objects.get(call_sid="lost-1")
        assert exo.recording_status == RecordingStatus.STORED
        meeting = Meeting.objects.get()
        assert exo.meeting == meeting and exo.mobile_call == lost_call
        assert meeting.recording.name == exo.recording.name
        assert meeting.job.status == JobStatus.INIT
        assert enqueued_jobs == [str(meeting.job.pk)]
        assert exo.raw_payload["events"][0]["params"]["CallSid"] == "lost-1"

        api = fake_exotel.requests[0]
        assert api["path"] == "/v1/Accounts/chirpworks1/Calls.json"
        assert api["query"]["From"] == lost_call.seller.phone
        assert api["query"]["PageSize"] == "100"
        gte, lte = (p.split(":", 1)[1] for p in api["query"]["DateCreated"].split(";"))
        local_start = lost_call.start_time.astimezone(fake_exotel.tz).strftime(FMT)
        assert gte < local_start < lte  # in the account's (agency's) time
        assert all(r["auth"] == fake_exotel.expected for r in fake_exotel.requests)
        lost_call.refresh_from_db()
        assert lost_call.exotel_lookups == 1

    def test_pages_are_followed_and_known_calls_left_alone(
        self,
        fake_exotel,
        lost_call,
        make_exotel_call,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        seller = lost_call.seller
        first = lost_call.start_time - timedelta(minutes=4)
        for i in range(230):  # the seller's other calls around it, one already known
            at = (first + timedelta(seconds=2 * i)).astimezone(fake_exotel.tz)
            fake_exotel.add_call(
                Sid=f"other-{i}",
                From=seller.phone,
                To="+919800000001",
                Status="no-answer",
                StartTime=at.strftime(FMT),
            )
        make_exotel_call(seller, first, call_sid="other-0", recording="", status="no-answer")
        exotel_row(fake_exotel, lost_call, Sid="lost-2")
        result = run(django_capture_on_commit_callbacks)

        api_requests = [r for r in fake_exotel.requests if r["path"].endswith("Calls.json")]
        assert len(api_requests) == 3 and result["rows"] == 231
        assert api_requests[1]["query"]["After"] == "100"
        assert result["ingested"] == 230  # other-0 was known already
        assert ExotelCall.objects.get(call_sid="lost-2").mobile_call == lost_call
        assert Meeting.objects.count() == 1

    def test_an_incoming_call_names_the_buyer_and_the_exophone_and_still_joins(
        self, fake_exotel, seller, make_app_call, enqueued_jobs, django_capture_on_commit_callbacks
    ):
        start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
        app = make_app_call(seller, start, 90, call_type=CallType.INCOMING)
        exotel_row(
            fake_exotel,
            app,
            Sid="incoming-1",
            From="0" + BUYER[3:],
            To="08047000000",
            Direction="inbound",
        )
        run(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            calls_reconcile()
        exo = ExotelCall.objects.get(call_sid="incoming-1")
        assert exo.seller == seller and exo.buyer_number == BUYER
        assert exo.mobile_call == app and Meeting.objects.count() == 1
        assert fake_exotel.requests[0]["query"]["From"] == BUYER

    def test_agent_leg_rows_never_become_buyers_or_meetings(
        self, fake_exotel, lost_call, enqueued_jobs, django_capture_on_commit_callbacks
    ):
        seller = lost_call.seller
        exotel_row(
            fake_exotel,
            lost_call,
            Sid="agent-leg",
            From=seller.phone,
            To="08047000000",
            Status="no-answer",
            RecordingUrl=None,
        )
        run(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            calls_reconcile()
        leg = ExotelCall.objects.get(call_sid="agent-leg")
        assert leg.agent_leg and leg.meeting is None and leg.buyer_number == ""
        assert Meeting.objects.count() == 1  # the app-only meeting, nothing more

    def test_a_call_is_looked_up_a_bounded_number_of_times(
        self, settings, clock, fake_exotel, lost_call, django_capture_on_commit_callbacks
    ):
        settings.EXOTEL_CALL_DETAILS_MAX_LOOKUPS = 2
        run(django_capture_on_commit_callbacks)
        run(django_capture_on_commit_callbacks)  # too soon: not again
        assert len(fake_exotel.requests) == 1
        for hours in (2, 4):
            clock.move_to(timezone.now() + timedelta(hours=hours))
            run(django_capture_on_commit_callbacks)
        assert len(fake_exotel.requests) == 2
        lost_call.refresh_from_db()
        assert lost_call.exotel_lookups == 2


class TestLimits:
    def test_the_request_budget_per_minute_stops_the_run(
        self, settings, fake_exotel, seller, agency, make_seller, make_app_call,
        django_capture_on_commit_callbacks,
    ):  # fmt: skip
        settings.EXOTEL_API_REQUESTS_PER_MINUTE = 2
        start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
        for _ in range(12):  # twelve sellers: three groups of at most five From numbers
            make_app_call(make_seller(agency), start, 60)
        result = run(django_capture_on_commit_callbacks)

        assert len(fake_exotel.requests) == 2 and result["requests"] == 2
        assert "budget" in result["stopped"]
        froms = [r["query"]["From"].split(",") for r in fake_exotel.requests]
        assert [len(f) for f in froms] == [5, 5]
        assert MobileAppCall.objects.filter(exotel_lookups=1).count() == 10
        assert MobileAppCall.objects.filter(exotel_lookups=0).count() == 2

    def test_exotel_answering_429_stops_the_run_and_nothing_is_marked(
        self, fake_exotel, lost_call, django_capture_on_commit_callbacks
    ):
        fake_exotel.status = 429
        result = run(django_capture_on_commit_callbacks)
        assert "429" in result["stopped"]
        lost_call.refresh_from_db()
        assert lost_call.exotel_lookups == 0

    def test_a_range_longer_than_a_month_is_asked_a_month_at_a_time(self, fake_exotel, agency):
        client = ExotelClient(exotel_credentials_for(agency), tz=agency.tzinfo)
        now = timezone.now()
        assert list(client.calls(created_from=now - timedelta(days=70), created_to=now)) == []
        ranges = [r["query"]["DateCreated"] for r in fake_exotel.requests]
        assert len(ranges) == 3
        for value in ranges:
            gte, lte = (p.split(":", 1)[1] for p in value.split(";"))
            days = (
                timezone.datetime.fromisoformat(lte) - timezone.datetime.fromisoformat(gte)
            ).days
            assert days < 31
        with pytest.raises(ValueError, match="five"):
            next(client.calls(created_from=now, created_to=now, from_numbers=["+91"] * 6))

    def test_a_next_page_on_another_host_is_refused(self, fake_exotel, agency):
        client = ExotelClient(exotel_credentials_for(agency), tz=agency.tzinfo)
        from calls.exotel import ExotelApiError

        with pytest.raises(ExotelApiError, match="another host"):
            client._next_page("https://evil.example/v1/Accounts/x/Calls.json?After=1")


class TestCredentials:
    def test_without_credentials_nothing_is_asked_and_it_is_said_once(
        self, settings, lost_call, caplog, django_capture_on_commit_callbacks
    ):
        settings.EXOTEL_ACCOUNT_SID = ""
        settings.EXOTEL_API_KEY = settings.EXOTEL_API_TOKEN = ""
        with caplog.at_level(logging.WARNING, logger="calls.call_details_services"):
            first = run(django_capture_on_commit_callbacks)
            second = run(django_capture_on_commit_callbacks)
        assert first["without_credentials"] == second["without_credentials"] == 1
        assert first["requests"] == 0 and first["app_calls"] == 0
        told = [r for r in caplog.records if "no Exotel account SID" in r.getMessage()]
        assert len(told) == 1
        lost_call.refresh_from_db()
        assert lost_call.exotel_lookups == 0  # asked once credentials exist

    def test_the_agencys_own_credentials_win_and_the_token_is_never_shown(
        self,
        settings,
        agency,
        fake_exotel,
        lost_call,
        caplog,
        enqueued_jobs,
        django_capture_on_commit_callbacks,
    ):
        from calls.tests.conftest import FakeExotel

        own = FakeExotel("agency-sid", "agency-key", "agency-token-secret", agency.tzinfo)
        own.allow(settings)
        try:
            agency.exotel_account_sid = "agency-sid"
            agency.exotel_api_key = "agency-key"
            agency.exotel_api_token = "agency-token-secret"
            agency.exotel_api_host = own.url
            agency.save()
            exotel_row(own, lost_call, Sid="own-1", RecordingUrl=f"{own.url}/recordings/own.wav")
            with caplog.at_level(logging.DEBUG):
                run(django_capture_on_commit_callbacks)
            assert fake_exotel.requests == []
            assert [r["auth"] for r in own.requests] == [own.expected, own.expected]
            exo = ExotelCall.objects.get(call_sid="own-1")
            assert exo.recording_status == RecordingStatus.STORED  # downloaded with them too
            credentials = exotel_credentials_for(agency)
            assert "agency-token-secret" not in repr(credentials)
            assert "agency-token-secret" not in caplog.text
        finally:
            own.close()

    def test_the_platform_settings_are_the_fallback(self, settings, agency):
        settings.EXOTEL_ACCOUNT_SID, settings.EXOTEL_API_HOST = "platform", "api.in.exotel.com"
        settings.EXOTEL_API_KEY, settings.EXOTEL_API_TOKEN = "k", "t"
        agency.exotel_api_key = "only-a-key"  # half a pair is not used
        credentials = exotel_credentials_for(agency)
        assert credentials.auth == ("k", "t")
        assert credentials.base_url == "https://api.in.exotel.com"
        assert credentials.account_sid == "platform" and credentials.can_query
        settings.EXOTEL_API_KEY = ""
        assert exotel_credentials_for(agency) is None

    def test_the_admin_list_and_form_never_show_the_token(self, staff_client, agency):
        agency.exotel_api_token = "secret-token-value"
        agency.exotel_api_key = "visible-key"
        agency.save()
        listing = staff_client.get("/admin/agencies/agency/")
        assert listing.status_code == 200 and b"secret-token-value" not in listing.content
        form = staff_client.get(f"/admin/agencies/agency/{agency.pk}/change/")
        assert form.status_code == 200 and b"secret-token-value" not in form.content


ROW_PARAMS = {"CallSid": "lost-1", "From": "+919800000001", "Duration": "88"}
ROW_VARIANTS = [
    {},
    {"CallSid": ' "lost-1" '},
    {"CallSid": "../etc/passwd"},
    {"CallSid": ""},
    {"CallSid": '""'},
    {"CallSid": "a" * 64},
    {"CallSid": "a" * 65},
    {"CallSid": "abc.def_1-2"},
    {"From": "+91 98000\x0000001"},
    {"From": "+91\ud800"},
    {"From": '"+919800000001"', "To": "  0804700000 ", "Status": '"completed"'},
    {"StartTime": '"2026-11-18 10:00:00"', "EndTime": "", "RecordingUrl": " https://x/y.wav "},
    {"Duration": "1e9"},
    {"Duration": "nan"},
    {"Duration": "abc"},
    {"Duration": '"86400"'},
    {"Duration": "86401"},
    {"Duration": "-5"},
    {"Duration": ""},
    {"DialWhomNumber": " +919800000002 ", "Direction": "inbound", "DateCreated": "x"},
    {"PhoneNumberSid": ' "08047000000" '},
]


@pytest.mark.parametrize("variant", ROW_VARIANTS)
def test_a_call_details_row_is_held_to_what_the_webhook_serializer_accepts(variant):
    """The fallback's plain check accepts, trims and refuses exactly as the webhook does."""
    from calls.call_details_services import _call_details_clean
    from calls.serializers import ExotelWebhookInputSerializer
    from chirpworks.exceptions import ApplicationError

    params = {**ROW_PARAMS, **variant}
    webhook = ExotelWebhookInputSerializer(data=params)
    if webhook.is_valid():
        assert _call_details_clean(params) == {**params, **webhook.validated_data}
    else:
        with pytest.raises(ApplicationError):
            _call_details_clean(params)
