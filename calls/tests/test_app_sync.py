from datetime import UTC, datetime

import pytest

from calls.models import AppCallStatus, MobileAppCall
from sellers.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/call_records/post_app_call_record"


def item(seller, index=0, **fields):
    body = {
        "sellerNumber": seller.phone,
        "appCallId": f"call-{index}",
        "buyerNumber": "98123 45678",
        "callType": "outgoing",
        "startTime": "2025-03-01T10:00:00",
        "endTime": "2025-03-01T10:01:30",
        "duration": "90",
    }
    body.update(fields)
    return body


class TestSync:
    def test_creates_records_with_contract_statuses(self, client_for, seller):
        items = [
            item(seller, 0),
            item(seller, 1, callType="incoming", duration=0),
            item(seller, 2, callType="outgoing", duration="0"),
            item(seller, 3, callType="missed", duration=12),
            item(seller, 4, callType="REJECTED"),
            item(seller, 5, callType="incoming", duration=45.0),
        ]
        response = client_for(seller).post(URL, items, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {"message", "created", "duplicate", "rejected", "results"}
        assert body["message"] == "Mobile app call records processed successfully."
        assert (body["created"], body["duplicate"], body["rejected"]) == (6, 0, 0)
        assert body["results"][0] == {"index": 0, "appCallId": "call-0", "status": "created"}
        statuses = dict(MobileAppCall.objects.values_list("app_call_id", "status"))
        assert statuses == {
            "call-0": AppCallStatus.PROCESSING,
            "call-1": AppCallStatus.MISSED,
            "call-2": AppCallStatus.NOT_ANSWERED,
            "call-3": AppCallStatus.MISSED,
            "call-4": AppCallStatus.REJECTED,
            "call-5": AppCallStatus.PROCESSING,
        }
        call = MobileAppCall.objects.get(app_call_id="call-0")
        assert call.buyer_number == "+919812345678"
        assert call.seller_number == seller.phone
        assert call.duration == 90

    def test_z_and_offsets_are_honoured_and_naive_is_agency_time(self, client_for, seller):
        items = [
            item(seller, 0, startTime="2025-03-01T10:00:00Z", endTime="2025-03-01T10:01:00Z"),
            item(seller, 1, startTime="2025-03-01T10:00:00", endTime="2025-03-01T10:01:00"),
            item(
                seller,
                2,
                startTime="2025-03-01T10:00:00+01:00",
                endTime="2025-03-01T10:01:00+01:00",
            ),
        ]
        assert client_for(seller).post(URL, items, format="json").status_code == 200
        starts = dict(MobileAppCall.objects.values_list("app_call_id", "start_time"))
        assert starts["call-0"] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
        assert starts["call-1"] == datetime(2025, 3, 1, 4, 30, tzinfo=UTC)  # Asia/Kolkata
        assert starts["call-2"] == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def test_resent_items_are_duplicates_and_write_nothing(self, client_for, seller):
        client = client_for(seller)
        client.post(URL, [item(seller, 0)], format="json")
        response = client.post(
            URL, [item(seller, 0), item(seller, 1), item(seller, 1)], format="json"
        )
        body = response.json()
        assert (body["created"], body["duplicate"], body["rejected"]) == (1, 2, 0)
        assert [r["status"] for r in body["results"]] == ["duplicate", "created", "duplicate"]
        assert MobileAppCall.objects.count() == 2

    def test_same_app_call_id_for_two_sellers_is_two_calls(
        self, client_for, seller, make_seller, agency
    ):
        other = make_seller(agency)
        client_for(seller).post(URL, [item(seller, 0)], format="json")
        response = client_for(other).post(URL, [item(other, 0)], format="json")
        assert response.json()["created"] == 1
        assert MobileAppCall.objects.count() == 2

    def test_end_time_may_be_derived_from_duration(self, client_for, seller):
        response = client_for(seller).post(
            URL, [item(seller, 0, endTime=None, duration=30)], format="json"
        )
        assert response.status_code == 200
        call = MobileAppCall.objects.get()
        assert (call.end_time - call.start_time).total_seconds() == 30

    def test_500_item_batch_runs_a_bounded_number_of_queries(
        self, client_for, seller, django_assert_max_num_queries
    ):
        items = [
            item(
                seller,
                i,
                startTime=f"2025-03-01T{i // 60 % 24:02d}:{i % 60:02d}:00",
                endTime=f"2025-03-01T{i // 60 % 24:02d}:{i % 60:02d}:30",
            )
            for i in range(500)
        ]
        client = client_for(seller)
        with django_assert_max_num_queries(15):
            response = client.post(URL, items, format="json")
        assert response.status_code == 200
        assert response.json()["created"] == 500
        assert MobileAppCall.objects.count() == 500

    def test_sync_queues_reconciliation_on_commit(
        self, client_for, seller, django_capture_on_commit_callbacks, monkeypatch
    ):
        from meetings.reconciliation.tasks import reconcile_calls

        queued: list[str] = []
        monkeypatch.setattr(reconcile_calls, "delay", queued.append)
        with django_capture_on_commit_callbacks() as callbacks:
            client_for(seller).post(URL, [item(seller, 0)], format="json")
        assert queued == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert queued == [str(seller.pk)]


class TestRejections:
    def test_one_bad_item_in_500_writes_nothing(self, client_for, seller):
        items = [item(seller, i) for i in range(500)]
        items[321]["startTime"] = "yesterday at noon"
        response = client_for(seller).post(URL, items, format="json")
        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"error", "code", "created", "duplicate", "rejected", "results"}
        assert body["code"] == "invalid_call_records"
        assert (body["created"], body["duplicate"], body["rejected"]) == (0, 0, 1)
        assert body["results"] == [
            {
                "index": 321,
                "appCallId": "call-321",
                "status": "rejected",
                "reason": "startTime: must be an ISO 8601 time like 2025-01-31T14:05:00",
            }
        ]
        assert MobileAppCall.objects.count() == 0

    @pytest.mark.parametrize(
        ("change", "reason_start"),
        [
            ({"callType": "video"}, "callType:"),
            ({"duration": "ten"}, "duration:"),
            ({"duration": -4}, "duration:"),
            ({"duration": True}, "duration:"),
            ({"appCallId": None}, "appCallId:"),
            ({"buyerNumber": ""}, "buyerNumber:"),
            ({"endTime": "2025-03-01T09:00:00"}, "endTime: must not be before"),
            ({"endTime": None, "duration": None}, "endTime: endTime or duration"),
            ({"sellerNumber": "+919000000001"}, "sellerNumber: must be the phone"),
            ({"sellerNumber": "12"}, "sellerNumber:"),
            ({"startTime": "0001-01-01T00:00:00+05:30"}, "startTime:"),
            ({"endTime": "9999-12-31T23:59:59-05:00"}, "endTime:"),
        ],
    )
    def test_each_kind_of_bad_item_is_reported(self, client_for, seller, change, reason_start):
        response = client_for(seller).post(
            URL, [item(seller, 0), item(seller, 1, **change)], format="json"
        )
        assert response.status_code == 400
        (result,) = response.json()["results"]
        assert result["index"] == 1
        assert result["reason"].startswith(reason_start), result["reason"]
        assert MobileAppCall.objects.count() == 0

    def test_non_object_items_are_rejected(self, client_for, seller):
        response = client_for(seller).post(URL, [item(seller, 0), "x"], format="json")
        assert response.status_code == 400
        assert response.json()["results"][0]["reason"] == "each item must be an object"

    def test_body_must_be_an_array(self, client_for, seller):
        response = client_for(seller).post(URL, item(seller, 0), format="json")
        assert response.status_code == 400
        # The documented 400 of the sync (issue 17 #12): the counts come with every refusal.
        assert set(response.json()) == {
            "error",
            "code",
            "created",
            "duplicate",
            "rejected",
            "results",
        }

    def test_short_codes_are_kept_as_text(self, client_for, seller):
        response = client_for(seller).post(URL, [item(seller, 0, buyerNumber="121")], format="json")
        assert response.status_code == 200
        assert MobileAppCall.objects.get().buyer_number == "121"

    def test_requires_a_token(self, api_client, seller):
        response = api_client.post(URL, [item(seller, 0)], format="json")
        assert response.status_code == 401
        assert MobileAppCall.objects.count() == 0

    def test_guests_cannot_sync(self, client_for, agency, make_seller):
        guest = make_seller(agency, role=Role.GUEST)
        response = client_for(guest).post(URL, [item(guest, 0)], format="json")
        assert response.status_code == 403
        assert MobileAppCall.objects.count() == 0


LAST = "/api/meetings/last_synced_call_timestamp"


class TestLastSynced:
    def test_no_calls(self, client_for, seller):
        response = client_for(seller).get(LAST)
        assert response.status_code == 200
        assert response.json() == {
            "message": "No synced calls found",
            "last_synced_call_timestamp": None,
        }

    def test_newest_app_call_or_meeting_in_agency_time(
        self, client_for, seller, make_app_call, make_seller, agency
    ):
        from model_bakery import baker

        from meetings.models import Meeting

        make_app_call(seller, datetime(2025, 3, 1, 4, 30, tzinfo=UTC))
        make_app_call(make_seller(agency), datetime(2025, 3, 9, tzinfo=UTC))  # someone else's
        response = client_for(seller).get(LAST, {"sellerNumber": seller.phone})
        assert response.json() == {
            "source": "mobile_app_call",
            "last_synced_call_timestamp": "2025-03-01T10:00:00+05:30",
        }
        baker.make(
            Meeting, seller=seller, agency=agency, start_time=datetime(2025, 3, 2, tzinfo=UTC)
        )
        response = client_for(seller).get(LAST)
        assert response.json() == {
            "source": "meeting",
            "last_synced_call_timestamp": "2025-03-02T05:30:00+05:30",
        }

    def test_another_sellers_number_is_refused(self, client_for, seller, manager):
        response = client_for(seller).get(LAST, {"sellerNumber": manager.phone})
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_number"

    def test_requires_a_token(self, api_client):
        assert api_client.get(LAST).status_code == 401
