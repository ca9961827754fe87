import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.models import AppCallStatus
from meetings.models import JobStatus
from meetings.tests.factories import (
    ist,
    make_app_call,
    make_buyer,
    make_meeting,
    make_performance,
)

pytestmark = pytest.mark.django_db

URL = "/api/meetings/call_history"
RECORD_KEYS = {
    "id",
    "title",
    "source",
    "start_time",
    "end_time",
    "buyer_number",
    "buyer_name",
    "buyer_email",
    "seller_number",
    "analysis_status",
    "duration",
    "call_notes",
    "user_name",
    "user_email",
    "call_direction",
    "call_type",
    "app_call_type",
    "call_summary",
}
DAY = {"start_date": "2025-03-10", "end_date": "2025-03-10"}


def by_id(records):
    return {record["id"]: record for record in records}


class TestCallHistory:
    def test_meeting_row_in_the_contract_shape(self, client_for, seller, agency):
        buyer = make_buyer(agency, phone="+919811122233", name="Bina", email="b@example.com")
        meeting = make_meeting(
            seller, buyer=buyer, start=ist(2025, 3, 10, 11, 0), seconds=185, summary=["Priced"]
        )
        response = client_for(seller).get(URL, DAY)
        assert response.status_code == 200
        [record] = response.json()
        assert set(record) == RECORD_KEYS
        assert record == {
            "id": str(meeting.pk),
            "title": meeting.title,
            "source": "phone",
            "start_time": "2025-03-10T11:00:00+05:30",
            "end_time": "2025-03-10T11:03:05+05:30",
            "buyer_number": "+91 9811122233",
            "buyer_name": "Bina",
            "buyer_email": "b@example.com",
            "seller_number": f"+91 {seller.phone[3:]}",
            "analysis_status": "Completed",
            "duration": "3m 5s",
            "call_notes": None,
            "user_name": seller.name,
            "user_email": seller.email,
            "call_direction": "outgoing",
            "call_type": "Answered",
            "app_call_type": None,
            "call_summary": ["Priced"],
        }

    @pytest.mark.parametrize(
        ("job_status", "analysis_status"),
        [
            (JobStatus.INIT, "Processing"),
            (JobStatus.IN_PROGRESS, "Processing"),
            (JobStatus.FAILURE, "Not Recorded"),
            (None, "Not Recorded"),  # the old backend silently dropped job-less meetings
        ],
    )
    def test_meeting_analysis_status(self, client_for, seller, job_status, analysis_status):
        make_meeting(seller, start=ist(2025, 3, 10, 9), job_status=job_status, seconds=0)
        [record] = client_for(seller).get(URL, DAY).json()
        assert record["analysis_status"] == analysis_status
        assert (record["duration"], record["call_type"]) == ("0s", "Not Answered")

    def test_app_call_rows_statuses_and_titles(self, client_for, seller, agency):
        make_buyer(agency, phone="+919800000001", name="Known Buyer", email="k@example.com")
        start = ist(2025, 3, 10, 10)
        calls = {
            "missed": make_app_call(
                seller,
                buyer_number="+919800000001",
                start=start,
                call_type="incoming",
                status=AppCallStatus.MISSED,
                seconds=0,
            ),
            "rejected": make_app_call(
                seller,
                buyer_number="+919800000002",
                start=start + timedelta(minutes=1),
                call_type="rejected",
                status=AppCallStatus.REJECTED,
                seconds=0,
            ),
            "unanswered": make_app_call(
                seller,
                buyer_number="+919800000003",
                start=start + timedelta(minutes=2),
                status=AppCallStatus.NOT_ANSWERED,
                seconds=0,
            ),
            "answered": make_app_call(
                seller,
                buyer_number="+919800000004",
                start=start + timedelta(minutes=3),
                call_type="incoming",
                seconds=65,
            ),
        }
        records = by_id(client_for(seller).get(URL, DAY).json())
        missed = records[str(calls["missed"].pk)]
        assert set(missed) == RECORD_KEYS
        assert missed["title"] == "Missed Call from +91 9800000001"
        assert (missed["call_type"], missed["analysis_status"]) == ("Missed", "Missed")
        assert (missed["call_direction"], missed["app_call_type"]) == ("incoming", "incoming")
        assert (missed["buyer_name"], missed["buyer_email"]) == ("Known Buyer", "k@example.com")
        assert missed["duration"] == "0s"
        rejected = records[str(calls["rejected"].pk)]
        assert rejected["title"] == "Rejected Call from +91 9800000002"
        assert (rejected["call_type"], rejected["call_direction"]) == ("Rejected", "incoming")
        unanswered = records[str(calls["unanswered"].pk)]
        assert unanswered["title"] == "+91 9800000003 did not answer"
        assert unanswered["call_type"] == unanswered["analysis_status"] == "Not Answered"
        assert unanswered["call_direction"] == "outgoing"
        answered = records[str(calls["answered"].pk)]
        assert answered["title"] == f"Meeting between +91 9800000004 and {seller.name}"
        assert (answered["call_type"], answered["call_direction"]) == ("Answered", "incoming")
        assert answered["duration"] == "1m 5s"
        # Answered long ago and never matched with a recording.
        assert answered["analysis_status"] == "Not Recorded"
        assert answered["buyer_name"] is None
        starts = [record["start_time"] for record in client_for(seller).get(URL, DAY).json()]
        assert starts == sorted(starts, reverse=True)

    def test_a_fresh_answered_app_call_is_processing(self, client_for, seller):
        make_app_call(seller, buyer_number="+919800000009", start=timezone.now())
        [record] = client_for(seller).get(URL, {"time_frame": "today"}).json()
        assert record["analysis_status"] == "Processing"

    def test_reconciled_and_duplicate_app_calls_show_once(self, client_for, seller, agency):
        buyer = make_buyer(agency, phone="+919811100000")
        start = ist(2025, 3, 10, 12)
        meeting = make_meeting(seller, buyer=buyer, start=start)
        make_app_call(seller, buyer_number=buyer.phone, start=start, meeting=meeting)
        make_app_call(seller, buyer_number=buyer.phone, start=start + timedelta(seconds=5))
        kept = make_app_call(seller, buyer_number=buyer.phone, start=start + timedelta(seconds=6))
        other_buyer = make_app_call(seller, buyer_number="+919811100001", start=start)
        ids = [record["id"] for record in client_for(seller).get(URL, DAY).json()]
        assert sorted(ids) == sorted([str(meeting.pk), str(kept.pk), str(other_buyer.pk)])

    def test_range_ends_in_the_agency_timezone(self, client_for, seller):
        inside = [
            make_meeting(seller, start=ist(2025, 3, 10, 0, 0)),
            make_meeting(seller, start=ist(2025, 3, 10, 23, 59, 59)),
        ]
        make_meeting(seller, start=ist(2025, 3, 9, 23, 59, 59))
        make_meeting(seller, start=ist(2025, 3, 11, 0, 0))
        ids = {record["id"] for record in client_for(seller).get(URL, DAY).json()}
        assert ids == {str(meeting.pk) for meeting in inside}

    def test_only_the_callers_calls_by_default(self, client_for, seller, manager):
        make_meeting(manager, start=ist(2025, 3, 10, 10))
        mine = make_meeting(seller, start=ist(2025, 3, 10, 10))
        assert [r["id"] for r in client_for(seller).get(URL, DAY).json()] == [str(mine.pk)]

    def test_manager_reads_the_team(self, client_for, seller, manager, make_seller, agency):
        deep = make_seller(agency, manager=seller)  # reports to the manager's report
        ours = [make_meeting(who, start=ist(2025, 3, 10, 10)) for who in (seller, deep)]
        response = client_for(manager).get(
            URL, {**DAY, "team_member_ids": [str(seller.pk), str(deep.pk)]}
        )
        assert response.status_code == 200
        assert {r["id"] for r in response.json()} == {str(m.pk) for m in ours}
        comma = client_for(manager).get(URL, {**DAY, "team_member_ids": f"{seller.pk},{deep.pk}"})
        assert len(comma.json()) == 2

    def test_team_member_ids_outside_the_team_are_403(
        self, client_for, manager, make_seller, agency
    ):
        stranger = make_seller(agency)
        response = client_for(manager).get(URL, {"team_member_ids": str(stranger.pk)})
        assert response.status_code == 403
        assert response.json()["code"] == "not_in_team"

    def test_team_member_ids_of_another_agency_are_404_as_missing_ones(
        self, client_for, manager, admin, seller, make_seller, other_agency
    ):
        foreign = make_seller(other_agency)
        for caller in (manager, admin):
            for unknown in (foreign.pk, uuid.uuid4()):
                response = client_for(caller).get(
                    URL, {"team_member_ids": f"{seller.pk},{unknown}"}
                )
                assert response.status_code == 404
                assert response.json()["code"] == "seller_not_found"

    def test_team_member_ids_from_a_seller_are_403(self, client_for, seller):
        response = client_for(seller).get(URL, {"team_member_ids": str(seller.pk)})
        assert response.status_code == 403
        assert set(response.json()) == {"error", "code"}

    @pytest.mark.parametrize(
        "params",
        [
            {"team_member_ids": "not-a-uuid"},
            {"time_frame": "someday"},
            {"start_date": "10-03-2025"},
            {"start_date": "2025-03-10", "end_date": "2025-03-01"},
            {"start_date": "2024-01-01", "end_date": "2025-03-01"},
            {"page": "0"},
        ],
    )
    def test_bad_parameters_are_400(self, client_for, seller, params):
        response = client_for(seller).get(URL, params)
        assert response.status_code == 400
        assert set(response.json()) >= {"error", "code"}

    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
    def test_dates_out_of_range_are_400(self, client_for, seller, day):
        """They overflowed (a 500) once a day was added or the time converted to UTC."""
        response = client_for(seller).get(URL, {"start_date": day, "end_date": day})
        assert response.status_code == 400
        assert response.json() == {
            "error": "start_date must be between 1970-01-01 and 2100-12-31",
            "code": "date_out_of_range",
        }

    def test_requires_a_token(self, api_client):
        response = api_client.get(URL)
        assert response.status_code == 401
        assert "msg" in response.json()

    def test_pagination(self, client_for, seller):
        for minute in range(5):
            make_meeting(seller, start=ist(2025, 3, 10, 10, minute))
        body = client_for(seller).get(URL, {**DAY, "page": 2, "limit": 2}).json()
        assert set(body) == {"data", "pagination"}
        assert [r["start_time"][11:16] for r in body["data"]] == ["10:02", "10:01"]
        assert body["pagination"] == {
            "current_page": 2,
            "total_pages": 3,
            "total_count": 5,
            "limit": 2,
            "has_next": True,
            "has_previous": True,
        }

    def test_constant_queries_on_a_big_team(
        self, client_for, manager, make_seller, agency, django_assert_max_num_queries
    ):
        team = [make_seller(agency, manager=manager) for _ in range(6)]
        for index, member in enumerate(team):
            for minute in range(8):
                start = ist(2025, 3, 10, 8 + index, minute)
                make_meeting(member, start=start, job_status=JobStatus.INIT)
                make_app_call(member, buyer_number=f"+91990000{index}{minute:03d}", start=start)
        params = {**DAY, "team_member_ids": [str(member.pk) for member in team]}
        client = client_for(manager)
        # auth + team map + meetings + app calls + buyer names
        with django_assert_max_num_queries(6):
            response = client.get(URL, params)
        assert len(response.json()) == 96


class TestMeetingDetail:
    def test_detail_with_job_and_performance(self, client_for, seller):
        transcript = [{"speaker": "A", "role": "seller", "text": "Namaste", "translation": None}]
        meeting = make_meeting(
            seller,
            start=ist(2025, 3, 10, 10),
            transcription=transcript,
            detected_products=[{"product_name": "Plot"}],
            type="sales_call",
        )
        make_performance(meeting, intro=8, rapport_building=6)
        body = client_for(seller).get(f"/api/meetings/call_data/{meeting.pk}").json()
        assert set(body) == {
            "id",
            "buyer_id",
            "seller_id",
            "source",
            "start_time",
            "end_time",
            "transcription",
            "direction",
            "title",
            "key_discussion_points",
            "summary",
            "type",
            "detected_call_type",
            "detected_products",
            "job",
            "performance",
            "recording_disclosure",
            # additions of issue 13
            "deal_stage",
            "risks",
            "objections",
            "qa_pairs",
            "facts",
            "talk_metrics",
            "tracker_hits",
            "warnings",
            "corrections",
        }
        assert json.loads(body["transcription"]) == transcript  # a JSON string, as the app parses
        assert set(body["job"]) == {"id", "status", "start_time", "end_time"}
        assert body["job"]["status"] == "completed"
        performance = body["performance"]
        assert set(performance) == {
            "meeting_id",
            "overall_score",
            "analyzed_at",
            "metrics",
            "analysis",
        }
        assert performance["overall_score"] == 7.0
        assert performance["metrics"]["intro"] == {"score": 8, "reason": "intro reason"}
        assert body["start_time"] == "2025-03-10T10:00:00+05:30"

    def test_detail_without_job_or_performance(self, client_for, seller):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10), job_status=None)
        body = client_for(seller).get(f"/api/meetings/call_data/{meeting.pk}").json()
        assert (body["job"], body["performance"], body["transcription"]) == (None, None, None)

    def test_access(self, client_for, seller, manager, admin, make_seller, agency, other_agency):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        url = f"/api/meetings/call_data/{meeting.pk}"
        assert client_for(manager).get(url).status_code == 200
        assert client_for(admin).get(url).status_code == 200
        colleague = make_seller(agency)
        outsider_admin = make_seller(other_agency, role="admin")
        for reader in (colleague, outsider_admin):
            response = client_for(reader).get(url)
            assert response.status_code == 404
            assert response.json()["error"] == "Meeting not found or unauthorized"
        assert client_for(seller).get("/api/meetings/call_data/not-a-uuid").status_code == 404

    def test_transcription(self, client_for, seller, make_seller, other_agency):
        meeting = make_meeting(
            seller, start=ist(2025, 3, 10, 10), transcription=[{"speaker": "A", "text": "hi"}]
        )
        url = f"/api/meetings/call_data/transcription/{meeting.pk}"
        body = client_for(seller).get(url).json()
        assert set(body) == {"id", "transcription"}
        assert body["id"] == str(meeting.pk)
        assert json.loads(body["transcription"]) == [{"speaker": "A", "text": "hi"}]
        assert client_for(make_seller(other_agency)).get(url).status_code == 404

    def test_feedback(self, client_for, seller, make_seller, other_agency):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        url = f"/api/meetings/call_data/feedback/{meeting.pk}"
        missing = client_for(seller).get(url)
        assert missing.status_code == 404
        assert missing.json()["code"] == "performance_not_found"
        make_performance(meeting, intro=9)
        body = client_for(seller).get(url).json()
        assert set(body) == {
            "id",
            "overall_score",
            "analyzed_at",
            "feedback",
            "overall_performance_summary",
        }
        assert body["feedback"] == {"intro": {"score": 9.0, "reason": "intro reason"}}
        assert body["overall_performance_summary"] == {"text": "Good call"}
        assert client_for(make_seller(other_agency)).get(url).status_code == 404
