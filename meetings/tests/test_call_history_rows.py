"""Call-history rows read as text and parsed in bulk carry the ORM's exact values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calls.models import MobileAppCall
from meetings.models import Meeting
from meetings.tests.factories import ist, make_app_call, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

URL = "/api/meetings/call_history"
DAY = {"start_date": "2025-03-10", "end_date": "2025-03-10"}


def test_times_summaries_and_buyers_equal_the_model_values(client_for, seller, agency):
    start = ist(2025, 3, 10, 9, 0, 0, 123456)
    open_ended = make_meeting(seller, start=start, summary={"नमस्ते": ["🎉", 1.5, None]})
    open_ended.end_time = None
    open_ended.save(update_fields=["end_time"])
    # Same start time: the id breaks the tie, newest first.
    twins = [make_meeting(seller, start=start + timedelta(hours=1), summary=[]) for _ in range(3)]
    known = make_buyer(agency, phone="+919800000777", name="", email="k@example.com")
    app_calls = [
        make_app_call(seller, buyer_number=known.phone, start=ist(2025, 3, 10, 12, 0, 0, 1)),
        make_app_call(seller, buyer_number="+919800000778", start=ist(2025, 3, 10, 13, 0, 0, 5)),
    ]

    body = client_for(seller).get(URL, DAY).json()
    records = {record["id"]: record for record in body}
    with timezone.override(agency.tzinfo):
        for meeting in Meeting.objects.filter(pk__in=[open_ended.pk, *(m.pk for m in twins)]):
            record = records[str(meeting.pk)]
            assert record["start_time"] == timezone.localtime(meeting.start_time).isoformat()
            end = meeting.end_time
            assert record["end_time"] == (timezone.localtime(end).isoformat() if end else None)
            assert record["call_summary"] == meeting.summary
        for call in MobileAppCall.objects.filter(pk__in=[c.pk for c in app_calls]):
            record = records[str(call.pk)]
            assert record["start_time"] == timezone.localtime(call.start_time).isoformat()
            assert record["end_time"] == timezone.localtime(call.end_time).isoformat()
    assert records[str(open_ended.pk)]["start_time"] == "2025-03-10T09:00:00.123456+05:30"
    assert records[str(open_ended.pk)]["duration"] == "0s"
    known_row = records[str(app_calls[0].pk)]
    assert (known_row["buyer_name"], known_row["buyer_email"]) == (None, "k@example.com")
    unknown_row = records[str(app_calls[1].pk)]
    assert (unknown_row["buyer_name"], unknown_row["buyer_email"]) == (None, None)
    expected_order = [
        str(app_calls[1].pk),
        str(app_calls[0].pk),
        *sorted((str(m.pk) for m in twins), reverse=True),
        str(open_ended.pk),
    ]
    assert [record["id"] for record in body] == expected_order
