"""Rows written in bulk (``chirpworks.bulk``) and ``field__any`` (``chirpworks.lookups``)."""

import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from agencies.models import Agency, Buyer
from chirpworks.bulk import COPY_MIN_ROWS, bulk_insert_rows, instances_from_rows, row_factory
from meetings.models import Job, JobStatus, Meeting
from sellers.models import Seller

pytestmark = pytest.mark.django_db


def test_a_row_holds_what_a_new_instance_would():
    make = row_factory(Buyer, ("agency_id", "phone"))
    agency_id = uuid.uuid4()
    first, second = make((agency_id, "+919800000001")), make((agency_id, "+919800000002"))
    [buyer] = instances_from_rows(Buyer, [first])
    fresh = Buyer(agency_id=agency_id, phone="+919800000001")
    skip = {"id", "created_at", "updated_at"}
    for field in Buyer._meta.concrete_fields:
        if field.attname not in skip:
            assert getattr(buyer, field.attname) == getattr(fresh, field.attname), field.name
    assert buyer.pk != second[0] and isinstance(buyer.pk, uuid.UUID)  # a new id per row
    [other] = instances_from_rows(Buyer, [second])
    buyer.risks.append("price")  # a JSON default is each row's own
    assert other.risks == []
    assert buyer.created_at == buyer.updated_at is not None


@pytest.mark.parametrize("count", [3, COPY_MIN_ROWS])  # bulk_create, then COPY on PostgreSQL
def test_rows_are_inserted_with_their_defaults(count):
    seller = baker.make(Seller, agency=baker.make(Agency), phone="+919811100000")
    buyer = baker.make(Buyer, agency=seller.agency)
    meeting_row = row_factory(
        Meeting, ("agency_id", "seller_id", "buyer_id", "start_time", "recording", "title")
    )
    start = buyer.created_at
    rows = [
        meeting_row((seller.agency_id, seller.pk, buyer.pk, start, f"r/{n}.mp3", f"M{n}"))
        for n in range(count)
    ]
    inserted = bulk_insert_rows(Meeting, rows)
    assert len(inserted) == count == Meeting.objects.count()
    meeting = Meeting.objects.get(title="M1")
    assert meeting.recording.name == "r/1.mp3"
    assert (meeting.transcription, meeting.analysis_extras, meeting.deal_stage) == ([], {}, None)
    job_row = row_factory(Job, ("meeting_id",))
    bulk_insert_rows(Job, [job_row((pk,)) for pk in inserted])
    assert set(Job.objects.values_list("status", "attempts", "error").distinct()) == {
        (JobStatus.INIT, 0, "")
    }


def test_conflicting_rows_are_skipped_and_the_inserted_ones_named():
    agency = baker.make(Agency)
    baker.make(Buyer, agency=agency, phone="+919800000000")
    make = row_factory(Buyer, ("agency_id", "phone"))
    rows = [make((agency.pk, f"+9198{n:08d}")) for n in range(COPY_MIN_ROWS)]
    inserted = bulk_insert_rows(Buyer, rows, ignore_conflicts=True)
    assert Buyer.objects.count() == COPY_MIN_ROWS
    if connection.vendor == "postgresql":
        assert inserted == {row[0] for row in rows[1:]}
    else:
        assert inserted is None  # bulk_create cannot tell


def test_any_matches_what_in_matches_with_one_parameter():
    agency = baker.make(Agency)
    make = row_factory(Buyer, ("agency_id", "phone"))
    numbers = [f"+9198{n:08d}" for n in range(3000)]
    rows = [make((agency.pk, phone)) for phone in numbers]
    bulk_insert_rows(Buyer, rows)
    ids = [row[0] for row in rows[::2]] + [uuid.uuid4()]  # the id is a row's first column
    phones = numbers[:1500]
    with CaptureQueriesContext(connection) as queries:
        by_id = set(Buyer.objects.filter(pk__any=ids).values_list("pk", flat=True))
        by_phone = Buyer.objects.filter(phone__any=phones).count()
        by_text = Buyer.objects.filter(pk__any=[str(pk) for pk in ids[:10]]).count()
    assert by_id == {row[0] for row in rows[::2]}
    assert (by_phone, by_text) == (1500, 10)
    # Far past SQLite's parameter limit, and short: the list is one parameter.
    assert all(len(q["sql"]) < 80_000 for q in queries)
    assert Buyer.objects.filter(pk__any=[]).count() == 0
    assert Buyer.objects.filter(phone__any=set(phones[:3])).update(name="Asha") == 3


def test_bulk_ids_are_uuid7_time_first_and_distinct():
    from chirpworks.bulk import new_id

    millis = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(10_000)]  # more than one read of randomness
    assert len(set(ids)) == len(ids)
    assert {(pk.version, pk.variant) for pk in ids} == {(7, uuid.RFC_4122)}
    stamps = [pk.int >> 80 for pk in ids]
    assert millis <= min(stamps) and max(stamps) - millis < 5_000  # milliseconds first
    assert stamps == sorted(stamps)  # rows made later sort after
