"""Test data for the app's views: buyers, meetings (with job and performance) and app calls."""

from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from model_bakery import baker

from actions.models import Action
from agencies.models import Agency, Buyer
from calls.models import AppCallStatus, MobileAppCall
from meetings.models import CallPerformance, Job, JobStatus, Meeting
from sellers.models import Seller

IST = ZoneInfo("Asia/Kolkata")
_numbers = count(10_000_000)


def ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=IST)


def next_buyer_phone() -> str:
    return f"+9187{next(_numbers):08d}"


def make_buyer(agency: Agency, **fields) -> Buyer:
    fields.setdefault("phone", next_buyer_phone())
    fields.setdefault("name", "")
    fields.setdefault("email", "")
    fields.setdefault("company_name", "")
    return baker.make(Buyer, agency=agency, **fields)


def make_meeting(
    seller: Seller,
    *,
    buyer: Buyer | None = None,
    start: datetime,
    seconds: int = 120,
    direction: str = "outgoing",
    job_status: str | None = JobStatus.COMPLETED,
    **fields,
) -> Meeting:
    buyer = buyer or make_buyer(seller.agency)
    fields.setdefault("title", f"Meeting between {buyer.phone} and {seller.name}")
    meeting = baker.make(
        Meeting,
        agency=seller.agency,
        seller=seller,
        buyer=buyer,
        start_time=start,
        end_time=start + timedelta(seconds=seconds),
        direction=direction,
        **fields,
    )
    if job_status:
        baker.make(Job, meeting=meeting, status=job_status)
    return meeting


def make_performance(meeting: Meeting, **scores: float) -> CallPerformance:
    metrics = {name: {"score": score, "reason": f"{name} reason"} for name, score in scores.items()}
    overall = sum(scores.values()) / len(scores) if scores else None
    return baker.make(
        CallPerformance,
        meeting=meeting,
        overall_score=overall,
        analyzed_at=meeting.start_time + timedelta(hours=1),
        overall_performance_summary={"text": "Good call"},
        **metrics,
    )


def make_app_call(
    seller: Seller,
    *,
    buyer_number: str,
    start: datetime,
    call_type: str = "outgoing",
    status: str = AppCallStatus.PROCESSING,
    seconds: int = 60,
    meeting: Meeting | None = None,
) -> MobileAppCall:
    return baker.make(
        MobileAppCall,
        seller=seller,
        app_call_id=f"app-{next(_numbers)}",
        buyer_number=buyer_number,
        seller_number=seller.phone,
        call_type=call_type,
        status=status,
        start_time=start,
        end_time=start + timedelta(seconds=seconds),
        duration=seconds,
        meeting=meeting,
    )


def make_action(meeting: Meeting, **fields) -> Action:
    fields.setdefault("title", "Send the brochure")
    return baker.make(Action, meeting=meeting, seller=meeting.seller, buyer=meeting.buyer, **fields)
