"""Property: one meeting per real call, whatever the order and delay of what arrives.

Hypothesis draws calls of several sellers (app log and/or Exotel, recording or not, the agent
leg Exotel reports beside a call, webhook retries with and without the recording) and shuffles
their arrivals with reconciliation runs and clock jumps before and past the grace period. The
whole path runs: the app's sync service, the webhook's ingest service, the recording download
task and the reconciliation task (eager Celery on commit).
"""

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from celery import current_app
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from agencies.models import Buyer
from calls.exotel_services import exotel_call_ingest
from calls.models import AppCallStatus, ExotelCall, MobileAppCall
from calls.tests.conftest import wav_bytes
from calls.tests.sync import app_calls_sync
from meetings.models import Job, JobStatus, Meeting
from meetings.reconciliation.services import calls_reconcile

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # 09:30 IST, the pinned day
SLOT = timedelta(minutes=3)  # one seller's calls start at least this far apart
START_CLOCK = BASE + 10 * SLOT + timedelta(minutes=1)  # later calls still inside the grace
EXOPHONE = "+918047000000"
BUYERS = [f"+91987650000{i}" for i in range(4)]
SELLERS = 3
FMT = "%Y-%m-%d %H:%M:%S"


class WavFetcher:
    """The recording seam (``EXOTEL_RECORDING_FETCHER``): a short WAV for every URL."""

    def __init__(self, auth=None) -> None:
        pass

    def fetch(self, url: str):
        return io.BytesIO(wav_bytes(2)), "wav"


@dataclass(frozen=True)
class RealCall:
    seller: int
    slot: int
    buyer: int
    incoming: bool
    seconds: int
    has_app: bool
    app_shows_exophone: bool  # click-to-call: the phone logs Exotel ringing it from the ExoPhone
    exotel_events: tuple[bool, ...]  # one webhook event each; True = it carries the recording
    agent_leg: bool
    skew: int  # Exotel's clock against the phone's, seconds

    @property
    def start(self) -> datetime:
        return BASE + self.slot * SLOT + timedelta(seconds=self.seller * 7)

    @property
    def has_recording(self) -> bool:
        return any(self.exotel_events)

    @property
    def expects_meeting(self) -> bool:
        app_real = self.has_app and not self.app_shows_exophone
        return app_real or (bool(self.exotel_events) and (self.has_recording or self.has_app))


@st.composite
def real_calls(draw):
    keys = draw(
        st.lists(
            st.tuples(st.integers(0, SELLERS - 1), st.integers(0, 9)),
            min_size=1,
            max_size=7,
            unique=True,
        )
    )
    calls = []
    for seller, slot in keys:
        has_app = draw(st.booleans())
        events = tuple(draw(st.lists(st.booleans(), min_size=0 if has_app else 1, max_size=3)))
        calls.append(
            RealCall(
                seller=seller,
                slot=slot,
                buyer=draw(st.integers(0, len(BUYERS) - 1)),
                incoming=draw(st.booleans()),
                seconds=draw(st.integers(20, 150)),
                has_app=has_app,
                app_shows_exophone=has_app and draw(st.integers(0, 4)) == 0,
                exotel_events=events,
                agent_leg=bool(events) and draw(st.booleans()),
                skew=draw(st.integers(-4, 4)),
            )
        )
    return calls


JUMPS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=20), timedelta(days=2)]


@st.composite
def scenarios(draw):
    calls = draw(real_calls())
    arrivals = []
    for index, call in enumerate(calls):
        if call.has_app:
            arrivals.append(("app", index, 0))
        arrivals.extend(("hook", index, n) for n in range(len(call.exotel_events)))
        if call.agent_leg:
            arrivals.append(("agent", index, 0))
    extras = draw(
        st.lists(
            st.one_of(
                st.just(("reconcile", -1, 0)),
                st.tuples(st.just("wait"), st.just(-1), st.integers(0, len(JUMPS) - 1)),
            ),
            max_size=6,
        )
    )
    order = draw(st.permutations(arrivals + extras))
    return calls, order


@pytest.fixture
def world(settings, agency, make_seller, monkeypatch, enqueued_jobs):
    settings.EXOTEL_RECORDING_FETCHER = f"{__name__}.WavFetcher"
    settings.CALL_RECONCILE_GRACE_MINUTES = 15
    settings.CALL_MATCH_TOLERANCE_SECONDS = 10
    # Search indexing (its tasks, by registered name) is another feature; here it only costs time.
    for name in ("meetings.search.index_entity", "meetings.search.index_entities"):
        monkeypatch.setattr(current_app.tasks[name], "delay", lambda *a, **k: None)
    agency.settings = {"exotel_numbers": [EXOPHONE]}
    agency.save()
    sellers = [make_seller(agency, phone=f"+91981000000{i}") for i in range(SELLERS)]
    return agency, sellers, enqueued_jobs


def _local(instant: datetime, agency) -> str:
    return instant.astimezone(agency.tzinfo).strftime(FMT)


def _arrive(kind, call: RealCall, n: int, agency, sellers, capture) -> None:
    seller = sellers[call.seller]
    buyer = BUYERS[call.buyer]
    if kind == "app":
        item = {
            "sellerNumber": seller.phone,
            "appCallId": f"app-{call.seller}-{call.slot}",
            "buyerNumber": EXOPHONE if call.app_shows_exophone else buyer,
            "callType": "incoming" if call.incoming or call.app_shows_exophone else "outgoing",
            "startTime": call.start.isoformat(),
            "endTime": (call.start + timedelta(seconds=call.seconds)).isoformat(),
            "duration": call.seconds,
        }
        with capture(execute=True):
            app_calls_sync(seller=seller, items=[item])
        return
    start = call.start + timedelta(seconds=call.skew)
    end = start + timedelta(seconds=call.seconds - 1)
    if kind == "agent":  # Exotel ringing the seller's own phone from the ExoPhone
        params = {
            "CallSid": f"leg-{call.seller}-{call.slot}",
            "From": EXOPHONE,
            "To": seller.phone,
            "Status": "completed",
            "StartTime": _local(start - timedelta(seconds=3), agency),
            "EndTime": _local(end, agency),
        }
    else:
        params = {
            "CallSid": f"sid-{call.seller}-{call.slot}",
            "CallStatus": "completed",
            "StartTime": _local(start, agency),
            "EndTime": _local(end, agency),
            "DialCallDuration": str(call.seconds - 1),
        }
        if call.incoming:
            params.update(CallFrom=buyer, CallTo=EXOPHONE, DialWhomNumber=seller.phone)
        else:
            params.update(CallFrom=seller.phone, CallTo=EXOPHONE, DialWhomNumber=buyer)
        if call.exotel_events[n]:
            params["RecordingUrl"] = f"https://recordings.exotel.example/{params['CallSid']}.wav"
    with capture(execute=True):
        exotel_call_ingest(key=agency.exotel_webhook_secret, params=params)


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_one_meeting_per_real_call_in_any_order(
    scenario, world, clock, django_capture_on_commit_callbacks
):
    agency, sellers, enqueued = world
    for model in (Meeting, MobileAppCall, ExotelCall, Buyer):
        model.objects.all().delete()  # examples share the test's database
    enqueued.clear()
    calls, order = scenario
    clock.move_to(START_CLOCK)
    capture = django_capture_on_commit_callbacks

    for kind, index, n in order:
        if kind == "reconcile":
            with capture(execute=True):
                calls_reconcile()
        elif kind == "wait":
            clock.move_to(datetime.now(tz=UTC) + JUMPS[n])
        else:
            _arrive(kind, calls[index], n, agency, sellers, capture)
    # However late: everything has arrived; beat runs once the grace period is over.
    clock.move_to(datetime.now(tz=UTC) + timedelta(days=3))
    for _ in range(2):
        with capture(execute=True):
            calls_reconcile()

    tolerance = timedelta(seconds=10)
    meetings = list(Meeting.objects.select_related("job", "buyer"))
    expected = [c for c in calls if c.expects_meeting]
    assert len(meetings) == len(expected), (calls, order)
    for call in expected:
        seller = sellers[call.seller]
        mine = [
            m
            for m in meetings
            if m.seller_id == seller.pk and abs(m.start_time - call.start) <= tolerance
        ]
        assert len(mine) == 1, (call, order)
        meeting = mine[0]
        assert meeting.buyer.phone == BUYERS[call.buyer]
        assert meeting.agency_id == seller.agency_id
        app = MobileAppCall.objects.filter(app_call_id=f"app-{call.seller}-{call.slot}").first()
        exo = ExotelCall.objects.filter(call_sid=f"sid-{call.seller}-{call.slot}").first()
        if app is not None:
            assert app.meeting_id == meeting.pk and app.reconciled_at is not None, (call, order)
        if exo is not None:
            assert exo.meeting_id == meeting.pk, (call, order)
            assert exo.mobile_call_id == (app.pk if app else None), (call, order)
        # The job: one per meeting, waiting for processing exactly when there is audio.
        if call.has_recording:
            assert meeting.recording.name and meeting.job.status == JobStatus.INIT, (call, order)
            assert str(meeting.job.pk) in enqueued
        else:
            assert not meeting.recording.name and meeting.job.status == JobStatus.FAILURE

    # Each app call and each Exotel call is linked at most once, and the agent legs never.
    linked = [
        m for m in MobileAppCall.objects.exclude(meeting=None).values_list("meeting", flat=True)
    ]
    assert len(linked) == len(set(linked))
    linked = [e for e in ExotelCall.objects.exclude(meeting=None).values_list("meeting", flat=True)]
    assert len(linked) == len(set(linked))
    assert not ExotelCall.objects.filter(agent_leg=True).exclude(meeting=None).exists()
    assert ExotelCall.objects.filter(agent_leg=True).count() == sum(c.agent_leg for c in calls)
    assert (
        not MobileAppCall.objects.filter(status=AppCallStatus.PROCESSING, meeting=None)
        .exclude(buyer_number=EXOPHONE)
        .exists()
    )
    # No orphan job, no job queued twice, no buyer that is a seller or the ExoPhone.
    assert Job.objects.count() == len(meetings)
    assert len(enqueued) == len(set(enqueued))
    assert set(enqueued) <= {str(m.job.pk) for m in meetings}
    assert not Buyer.objects.filter(phone__in=[EXOPHONE, *(s.phone for s in sellers)]).exists()
