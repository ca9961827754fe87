"""``Meeting.agency`` is always the seller's agency, whichever way a meeting is written."""

import pytest
from django.db.models import F
from django.utils import timezone
from model_bakery import baker

from agencies.models import Buyer
from meetings.models import Meeting
from meetings.services import CallMeetingSpec, meetings_create_for_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(agency):
    return baker.make(Buyer, agency=agency, phone="+919811122233")


def test_save_takes_the_sellers_agency_whatever_was_given(seller, other_agency, buyer):
    meeting = Meeting(
        agency=other_agency, seller=seller, buyer=buyer, start_time=timezone.now(), title="t"
    )
    meeting.save()
    assert Meeting.objects.get().agency_id == seller.agency_id

    meeting.agency = other_agency
    meeting.save(update_fields=["agency", "title"])
    meeting.agency = other_agency
    meeting.save(update_fields=["title"])
    assert Meeting.objects.get().agency_id == seller.agency_id


def test_create_and_bakery_cannot_break_it(seller, other_agency, buyer):
    Meeting.objects.create(
        agency=other_agency, seller=seller, buyer=buyer, start_time=timezone.now(), title="t"
    )
    baker.make(Meeting, agency=other_agency, seller=seller, buyer=buyer)
    assert set(Meeting.objects.values_list("agency_id", flat=True)) == {seller.agency_id}


def test_moving_a_meeting_to_another_seller_moves_its_agency(
    seller, other_agency, make_seller, buyer
):
    meeting = baker.make(Meeting, seller=seller, buyer=buyer)
    elsewhere = make_seller(other_agency)
    meeting.seller = elsewhere
    meeting.save()
    assert Meeting.objects.get().agency_id == other_agency.pk
    Meeting.objects.filter(pk=meeting.pk).update(seller=seller)
    assert Meeting.objects.get().agency_id == seller.agency_id
    Meeting.objects.filter(pk=meeting.pk).update(seller_id=elsewhere.pk)
    assert Meeting.objects.get().agency_id == other_agency.pk


def test_bulk_create_takes_each_sellers_agency(seller, other_agency, make_seller, buyer):
    elsewhere = make_seller(other_agency)
    now = timezone.now()
    Meeting.objects.bulk_create(
        [
            Meeting(agency=other_agency, seller=seller, buyer=buyer, start_time=now, title="a"),
            # Only the id known, and a wrong agency: one query finds the right one.
            Meeting(
                agency_id=seller.agency_id,
                seller_id=elsewhere.pk,
                buyer=buyer,
                start_time=now,
                title="b",
            ),
        ],
        batch_size=1,
    )
    assert dict(Meeting.objects.values_list("title", "agency_id")) == {
        "a": seller.agency_id,
        "b": other_agency.pk,
    }


def test_the_creating_service_takes_the_sellers_agency(seller, agency, other_agency, buyer):
    seller.agency_id = other_agency.pk  # a stale or tampered in-memory seller
    [meeting] = meetings_create_for_calls(
        specs=[
            CallMeetingSpec(
                seller=seller,
                buyer=buyer,
                direction="outgoing",
                start_time=timezone.now(),
                end_time=None,
            )
        ]
    )
    # The database's seller decides, not a stale copy in memory.
    assert Meeting.objects.get(pk=meeting.pk).agency_id == agency.pk


def test_setting_the_agency_directly_in_bulk_is_refused(seller, other_agency, buyer):
    meeting = baker.make(Meeting, seller=seller, buyer=buyer)
    with pytest.raises(ValueError, match="seller's"):
        Meeting.objects.filter(pk=meeting.pk).update(agency=other_agency)
    meeting.agency = other_agency
    with pytest.raises(ValueError, match="seller's"):
        Meeting.objects.bulk_update([meeting], ["agency"])
    with pytest.raises(ValueError, match="instance or an id"):
        Meeting.objects.filter(pk=meeting.pk).update(seller=F("buyer__created_by"))
    assert Meeting.objects.get().agency_id == seller.agency_id


def test_bulk_update_of_sellers_moves_their_agencies(seller, other_agency, make_seller, buyer):
    meetings = baker.make(Meeting, seller=seller, buyer=buyer, _quantity=2)
    elsewhere = make_seller(other_agency)
    meetings[0].seller = elsewhere
    meetings[1].agency = other_agency  # a wrong agency beside an unchanged seller
    Meeting.objects.bulk_update(meetings, ["seller", "agency"])
    assert dict(Meeting.objects.values_list("pk", "agency_id")) == {
        meetings[0].pk: other_agency.pk,
        meetings[1].pk: seller.agency_id,
    }
