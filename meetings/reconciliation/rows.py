"""The columns of a call that reconciliation reads, as plain rows: a model instance per call
costs more to build than everything reconciliation does with it."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

READ_CHUNK = 5000


@dataclass(slots=True)
class AppCallRow:
    pk: uuid.UUID
    seller_id: uuid.UUID
    call_type: str
    buyer_number: str
    start_time: datetime
    end_time: datetime
    meeting_id: uuid.UUID | None


@dataclass(slots=True)
class ExotelCallRow:
    pk: uuid.UUID
    seller_id: uuid.UUID
    status: str
    recording_status: str
    recording_name: str
    start_time: datetime
    end_time: datetime | None
    duration: int | None
    recording_duration: float | None
    buyer_number: str
    direction: str
    meeting_id: uuid.UUID | None
    mobile_call_id: uuid.UUID | None


APP_COLUMNS = ("pk", "seller_id", "call_type", "buyer_number", "start_time", "end_time", "meeting")
EXOTEL_COLUMNS = (
    "pk",
    "seller_id",
    "status",
    "recording_status",
    "recording",
    "start_time",
    "end_time",
    "duration",
    "recording_duration",
    "buyer_number",
    "direction",
    "meeting",
    "mobile_call",
)


def app_call_rows(calls: QuerySet) -> Iterator[AppCallRow]:
    for values in calls.values_list(*APP_COLUMNS).iterator(chunk_size=READ_CHUNK):
        yield AppCallRow(*values)


def exotel_call_rows(calls: QuerySet) -> Iterator[ExotelCallRow]:
    for values in calls.values_list(*EXOTEL_COLUMNS).iterator(chunk_size=READ_CHUNK):
        row = ExotelCallRow(*values)
        row.recording_name = row.recording_name or ""
        yield row
