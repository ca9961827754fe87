import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from calls.exotel_parsing import exotel_time_parse
from calls.models import ExotelCall, ExotelStatus, RecordingStatus
from calls.tests.conftest import require_postgresql

URL = "/api/call_records/post_exotel_recording"


def passthru(seller, **fields):
    params = {
        "CallSid": "sid-passthru-1",
        "CallFrom": "0" + seller.phone[3:],  # Exotel sends national numbers with a leading 0
        "CallTo": "08047112233",
        "DialWhomNumber": "09812345678",
        "CallStatus": "completed",
        "Direction": "outbound-dial",
        "Created": "Sat, 01 Mar 2025 10:00:00",
        "DialCallDuration": '"90"',
        "StartTime": "2025-03-01 10:00:00",
        "EndTime": "1970-01-01 05:30:00",
        "RecordingUrl": "https://recordings.exotel.com/exotelrecordings/acme/sid-passthru-1.mp3",
        "CallType": "completed",
        "digits": '"1"',
    }
    params.update(fields)
    return params


def passthru_unknown(**fields):
    params = passthru(type("Nobody", (), {"phone": "+919000000099"}))
    params.update(fields)
    return params


def status_callback_form(**fields):
    params = {
        "CallSid": "sid-passthru-1",
        "Status": "completed",
        "EventType": "terminal",
        "DateCreated": "2025-03-01 10:00:00",
        "StartTime": "2025-03-01 10:00:00",
        "EndTime": "2025-03-01 10:01:32",
        "ConversationDuration": "88",
        "Direction": "outbound-api",
        "RecordingUrl": "https://recordings.exotel.com/exotelrecordings/acme/sid-passthru-1.mp3",
        "Legs[0][Status]": "completed",
        "Legs[0][OnCallDuration]": "92",
        "Legs[1][Status]": "completed",
        "Legs[1][OnCallDuration]": "88",
    }
    params.update(fields)
    return params


class TestPassthru:
    def test_creates_one_call_and_queues_the_download(
        self, api_client, agency, seller, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            response = api_client.get(
                URL, {"key": agency.exotel_webhook_secret, **passthru(seller)}
            )
        assert response.status_code == 200, response.json()
        assert response.json() == {
            "message": "Exotel call record processed successfully.",
            "call_sid": "sid-passthru-1",
            "status": "completed",
        }
        call = ExotelCall.objects.get()
        assert call.agency == agency and call.seller == seller
        assert call.from_number == seller.phone
        assert call.buyer_number == "+919812345678"
        assert call.status == ExotelStatus.COMPLETED
        assert call.start_time == datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
        assert call.duration == 90
        # Passthru's 1970 EndTime means unknown: the end comes from the duration instead.
        assert call.end_time == datetime(2025, 3, 1, 4, 31, 30, tzinfo=UTC)
        assert call.recording_status == RecordingStatus.PENDING
        assert "key" not in call.raw_payload["events"][0]["params"]
        assert len(callbacks) == 1  # the download task, nothing fetched in the request

    def test_retries_are_idempotent(self, api_client, agency, seller):
        for _ in range(3):
            response = api_client.get(
                URL, {"key": agency.exotel_webhook_secret, **passthru(seller)}
            )
            assert response.status_code == 200
        call = ExotelCall.objects.get()
        assert len(call.raw_payload["events"]) == 3

    def test_incoming_call_seller_is_the_dialled_agent(self, api_client, agency, seller):
        params = passthru(
            seller, CallFrom="09812345678", DialWhomNumber=seller.phone, Direction="incoming"
        )
        api_client.get(URL, {"key": agency.exotel_webhook_secret, **params})
        call = ExotelCall.objects.get()
        assert call.seller == seller
        assert call.buyer_number == "+919812345678"

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"DialCallStatus": "no-answer", "CallStatus": "completed"}, "no-answer"),
            ({"CallStatus": "busy"}, "busy"),
            ({"CallStatus": "", "CallType": "call-attempt"}, "no-answer"),
            ({"CallStatus": "", "CallType": "client-hangup"}, "canceled"),
            ({"CallStatus": "Failed"}, "failed"),
            ({"CallStatus": "cancelled"}, "canceled"),
            ({"CallStatus": "ringing", "CallType": ""}, "in-progress"),
        ],
    )
    def test_status_mapping(self, api_client, agency, seller, fields, expected):
        api_client.get(URL, {"key": agency.exotel_webhook_secret, **passthru(seller, **fields)})
        assert ExotelCall.objects.get().status == expected


class TestStatusCallback:
    def test_form_encoded_legs_update_the_passthru_row(self, api_client, agency, seller):
        key = {"key": agency.exotel_webhook_secret}
        api_client.get(URL, {**key, **passthru(seller)})
        response = api_client.post(
            f"{URL}?key={agency.exotel_webhook_secret}", status_callback_form()
        )
        assert response.status_code == 200
        call = ExotelCall.objects.get()
        assert call.seller == seller  # kept from the Passthru event
        assert call.end_time == datetime(2025, 3, 1, 4, 31, 32, tzinfo=UTC)
        assert call.duration == 88
        legs = call.raw_payload["events"][1]["params"]["Legs"]
        assert legs == [
            {"Status": "completed", "OnCallDuration": "92"},
            {"Status": "completed", "OnCallDuration": "88"},
        ]

    def test_json_callback_first_without_numbers_is_stored_and_accepted(self, api_client, agency):
        body = {
            "CallSid": "sid-json",
            "EventType": "terminal",
            "StartTime": "2025-03-01 10:00:00",
            "EndTime": "2025-03-01 10:01:00",
            "ConversationDuration": 55,
            "Direction": "outbound-api",
            "Legs": [{"Status": "completed"}, {"Status": "no-answer"}],
        }
        response = api_client.post(f"{URL}?key={agency.exotel_webhook_secret}", body, format="json")
        assert response.status_code == 202
        assert response.json()["status"] == "no-answer"
        assert ExotelCall.objects.get().seller is None

    def test_late_in_progress_event_does_not_reopen_a_finished_call(
        self, api_client, agency, seller
    ):
        key = f"{URL}?key={agency.exotel_webhook_secret}"
        api_client.post(key, status_callback_form())
        api_client.post(key, status_callback_form(Status="in-progress", EventType="answered"))
        assert ExotelCall.objects.get().status == ExotelStatus.COMPLETED


class TestAuthAndErrors:
    @pytest.mark.parametrize("key", [None, "", "wrong"])
    def test_wrong_or_missing_key_is_403_and_writes_nothing(self, api_client, agency, seller, key):
        params = passthru(seller)
        if key is not None:
            params["key"] = key
        response = api_client.get(URL, params)
        assert response.status_code == 403
        assert response.json()["code"] == "invalid_webhook_key"
        assert ExotelCall.objects.count() == 0

    def test_missing_call_sid_is_400(self, api_client, agency, seller):
        params = passthru(seller)
        del params["CallSid"]
        response = api_client.get(URL, {"key": agency.exotel_webhook_secret, **params})
        assert response.status_code == 400
        assert set(response.json()) == {"error", "code", "details"}
        assert ExotelCall.objects.count() == 0

    def test_unknown_seller_is_stored_and_answered_202(self, api_client, agency):
        params = passthru_unknown(CallFrom="09000000099", DialWhomNumber="09812345678")
        response = api_client.get(URL, {"key": agency.exotel_webhook_secret, **params})
        assert response.status_code == 202
        assert set(response.json()) == {"message", "call_sid", "status"}
        call = ExotelCall.objects.get()
        assert call.seller is None and call.from_number == "+919000000099"

    def test_a_seller_of_another_agency_is_not_attached(self, api_client, other_agency, seller):
        response = api_client.get(
            URL, {"key": other_agency.exotel_webhook_secret, **passthru(seller)}
        )
        assert response.status_code == 202
        call = ExotelCall.objects.get()
        assert call.agency == other_agency and call.seller is None

    def test_another_agencys_call_sid_answers_as_a_new_call_sid_would(
        self, api_client, agency, other_agency, seller
    ):
        api_client.get(URL, {"key": agency.exotel_webhook_secret, **passthru(seller)})
        theirs = ExotelCall.objects.get()
        squat = api_client.get(
            URL, {"key": other_agency.exotel_webhook_secret, **passthru(seller, CallStatus="busy")}
        )
        fresh = api_client.get(
            URL,
            {
                "key": other_agency.exotel_webhook_secret,
                **passthru(seller, CallStatus="busy", CallSid="sid-never-seen"),
            },
        )
        # Nothing tells agency B's CallSid apart from one nobody has.
        assert squat.status_code == fresh.status_code == 202
        assert {**squat.json(), "call_sid": "x"} == {**fresh.json(), "call_sid": "x"}
        assert squat.json()["call_sid"] == "sid-passthru-1"
        # Agency A's row is untouched; agency B got a row of its own.
        untouched = ExotelCall.objects.get(pk=theirs.pk)
        assert untouched.agency == agency and untouched.status == ExotelStatus.COMPLETED
        assert untouched.raw_payload == theirs.raw_payload
        assert untouched.updated_at == theirs.updated_at
        own = ExotelCall.objects.get(agency=other_agency, call_sid="sid-passthru-1")
        assert own.status == ExotelStatus.BUSY

    @pytest.mark.parametrize(
        "call_sid",
        ["../../../etc/passwd", "..", "a/b", "sid\\..\\x", "sid%2F..", "sid 1", "x" * 65, ".x"],
    )
    def test_a_call_sid_outside_exotel_s_charset_is_400(self, api_client, agency, seller, call_sid):
        params = passthru(seller, CallSid=call_sid)
        response = api_client.get(URL, {"key": agency.exotel_webhook_secret, **params})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert "CallSid" in response.json()["details"]
        assert ExotelCall.objects.count() == 0

    @pytest.mark.parametrize("call_sid", ["b6cfaf5b7b5d6d0c1f3a9e1b4c1e1914", "1772118444.76627_1"])
    def test_exotel_s_call_sids_are_accepted(self, api_client, agency, seller, call_sid):
        params = passthru(seller, CallSid=call_sid)
        response = api_client.get(URL, {"key": agency.exotel_webhook_secret, **params})
        assert response.status_code == 200

    def test_credentials_in_a_recording_url_are_never_stored(self, api_client, agency, seller):
        url = "https://k3y:t0ken@recordings.exotel.com/r/sid.mp3"
        api_client.get(
            URL, {"key": agency.exotel_webhook_secret, **passthru(seller, RecordingUrl=url)}
        )
        assert ExotelCall.objects.get().recording_url == "https://recordings.exotel.com/r/sid.mp3"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_webhooks_make_one_row(agency, seller):
    require_postgresql()
    from rest_framework.test import APIClient

    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def send(index: int) -> None:
        try:
            barrier.wait()
            status = "completed" if index % 2 else "in-progress"
            params = passthru(seller, CallStatus=status, RecordingUrl="")  # no network here
            response = APIClient().get(URL, {"key": agency.exotel_webhook_secret, **params})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 12
    call = ExotelCall.objects.get()
    assert len(call.raw_payload["events"]) == 12
    assert call.status == ExotelStatus.COMPLETED


@pytest.mark.parametrize(
    "value", ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "1970-01-01 05:30:00"]
)
def test_exotel_times_outside_the_supported_years_are_unknown(value):
    assert exotel_time_parse(value, tz=ZoneInfo("Asia/Kolkata")) is None
