"""The daily rollups: kept by the writers on commit, rebuilt by hand or nightly, idempotent."""

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from model_bakery import baker

from calls.models import AppCallStatus, MobileAppCall
from meetings.models import Meeting
from meetings.reconciliation.services import calls_reconcile
from meetings.tests.factories import ist, make_app_call, make_buyer, make_meeting, make_performance
from rollups import services
from rollups.models import SellerDailyCalls
from rollups.services import daily_rollups_refresh, rollups_flush_pending, rollups_rebuild
from rollups.tasks import refresh_daily_rollups, repair_recent_rollups

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_leftover_marks():
    # Marks of an earlier test's rolled-back transaction must not refresh rows here.
    services._pending().clear()
    yield
    services._pending().clear()


def row(seller, day: date) -> SellerDailyCalls | None:
    return SellerDailyCalls.objects.filter(seller=seller, day=day).first()


def figures(seller, day: date) -> tuple:
    found = row(seller, day)
    if found is None:
        return None
    return (
        found.outgoing_answered,
        found.outgoing_unanswered,
        found.incoming_answered,
        found.incoming_unanswered,
        found.leads,
    )


class TestHooks:
    def test_call_log_sync_refreshes_its_days_on_commit(
        self, client_for, seller, django_capture_on_commit_callbacks
    ):
        items = [
            {
                "sellerNumber": seller.phone,
                "appCallId": f"c-{n}",
                "buyerNumber": f"98123 4567{n}",
                "callType": call_type,
                "startTime": start,
                "endTime": (datetime.fromisoformat(start) + timedelta(seconds=seconds)).isoformat(),
                "duration": seconds,
            }
            for n, (call_type, start, seconds) in enumerate(
                [
                    ("outgoing", "2025-03-01T10:00:00", 90),
                    ("incoming", "2025-03-01T23:59:59", 30),  # still the 1st in IST
                    ("outgoing", "2025-03-02T00:00:00", 0),  # Not Answered, on the 2nd
                    ("missed", "2025-03-02T08:00:00", 0),
                ]
            )
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(seller).post(
                "/api/call_records/post_app_call_record", items, format="json"
            )
        assert response.status_code == 200
        assert figures(seller, date(2025, 3, 1)) == (1, 0, 1, 0, 2)
        assert figures(seller, date(2025, 3, 2)) == (0, 1, 0, 1, 0)
        second = row(seller, date(2025, 3, 2))
        assert (second.not_answered, second.missed, second.meetings) == (1, 1, 0)
        # The answered ones became meetings at once (reconciliation runs eagerly in tests).
        assert row(seller, date(2025, 3, 1)).talk_seconds == 120

    def test_reconciliation_moves_an_app_call_into_its_meeting(
        self, seller, django_capture_on_commit_callbacks, monkeypatch
    ):
        from celery import current_app

        process_job = current_app.tasks["meetings.tasks.process_job"]  # the pipeline's, by name

        monkeypatch.setattr(process_job, "delay", lambda job_id: None)
        start = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
        with django_capture_on_commit_callbacks(execute=True):
            make_app_call(seller, buyer_number="+919812345678", start=start, seconds=90)
        assert figures(seller, date(2025, 3, 1)) == (1, 0, 0, 0, 1)
        with django_capture_on_commit_callbacks(execute=True):
            result = calls_reconcile(now=start + timedelta(hours=2))
        assert result.app_only == 1
        day = row(seller, date(2025, 3, 1))
        # One call still, now counted as the meeting (with its talk time), not twice.
        assert (day.outgoing_answered, day.meetings, day.leads) == (1, 1, 1)
        assert Meeting.objects.count() == 1

    def test_meeting_moved_to_another_day_refreshes_both(
        self, seller, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            meeting = make_meeting(seller, start=ist(2025, 3, 10, 12))
        assert figures(seller, date(2025, 3, 10)) == (1, 0, 0, 0, 1)
        with django_capture_on_commit_callbacks(execute=True):
            meeting.start_time = ist(2025, 3, 11, 12)
            meeting.save()
        assert row(seller, date(2025, 3, 10)) is None
        assert figures(seller, date(2025, 3, 11)) == (1, 0, 0, 0, 1)

    def test_delete_and_scores(self, seller, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            meeting = make_meeting(seller, start=ist(2025, 3, 10, 12))
            make_performance(meeting, intro=6, rapport_building=8)
        day = row(seller, date(2025, 3, 10))
        assert (day.scored_meetings, day.score_sum, day.talk_seconds) == (1, 7.0, 120)
        with django_capture_on_commit_callbacks(execute=True):
            meeting.delete()
        assert row(seller, date(2025, 3, 10)) is None

    def test_a_meeting_at_midnight_hides_its_twin_of_the_day_before(
        self, seller, agency, django_capture_on_commit_callbacks
    ):
        buyer = make_buyer(agency)
        with django_capture_on_commit_callbacks(execute=True):
            make_app_call(seller, buyer_number=buyer.phone, start=ist(2025, 3, 10, 23, 59, 58))
        assert figures(seller, date(2025, 3, 10)) == (1, 0, 0, 0, 1)
        with django_capture_on_commit_callbacks(execute=True):
            make_meeting(seller, buyer=buyer, start=ist(2025, 3, 11, 0, 0, 2))
        assert row(seller, date(2025, 3, 10)) is None  # the app call is the meeting's twin
        assert figures(seller, date(2025, 3, 11)) == (1, 0, 0, 0, 1)

    def test_a_rolled_back_write_leaves_the_rows_as_they_were(self, seller):
        with transaction.atomic():
            make_meeting(seller, start=ist(2025, 3, 10, 12))
            transaction.set_rollback(True)
        rollups_flush_pending(inline=True)
        assert not SellerDailyCalls.objects.exists()

    def test_read_your_writes_in_one_transaction(self, client_for, seller):
        # No commit here (the test's transaction): the read refreshes this thread's marks.
        make_meeting(seller, start=ist(2025, 3, 10, 12))
        body = client_for(seller).get(
            f"/api/analytics/call_data/{seller.pk}",
            {"start_date": "2025-03-10", "end_date": "2025-03-10"},
        )
        assert body.status_code == 200
        assert body.json()["outgoing_calls"] == 1
        assert figures(seller, date(2025, 3, 10)) == (1, 0, 0, 0, 1)

    def test_a_large_commit_is_refreshed_by_a_task(self, seller, monkeypatch):
        sent = []
        monkeypatch.setattr(services, "INLINE_REFRESH_LIMIT", 2)
        monkeypatch.setattr(refresh_daily_rollups, "delay", lambda days: sent.append(days))
        for day in range(1, 5):
            make_meeting(seller, start=ist(2025, 3, day, 12))
        assert rollups_flush_pending() == 0
        assert not SellerDailyCalls.objects.exists()
        days = {day for _, day in sent[0]}
        assert {"2025-03-01", "2025-03-04"} <= days
        assert refresh_daily_rollups(sent[0]) == 4
        assert SellerDailyCalls.objects.count() == 4

    def test_a_commit_of_many_calls_is_refreshed_by_a_task(self, seller, monkeypatch):
        sent = []
        monkeypatch.setattr(services, "INLINE_REFRESH_MAX_CALLS", 3)
        monkeypatch.setattr(refresh_daily_rollups, "delay", lambda days: sent.append(days))
        for minute in range(4):  # one day, four calls
            make_meeting(seller, start=ist(2025, 3, 1, 12, minute))
        assert rollups_flush_pending() == 0
        assert [day for _, day in sent[0]] == ["2025-03-01"]
        assert rollups_flush_pending(inline=True) == 0  # nothing left: the task has them

    def test_refresh_statements_do_not_grow_with_rows(
        self, agency, make_seller, django_assert_max_num_queries
    ):
        def marks(sellers: int, days: int) -> int:
            for _ in range(sellers):
                member = make_seller(agency)
                for day in range(1, days + 1):
                    make_meeting(member, start=ist(2025, 1, day, 12))
                    make_app_call(member, buyer_number="+919800000001", start=ist(2025, 1, day))
            with django_assert_max_num_queries(12) as captured:
                rollups_flush_pending(inline=True)
            return len(captured)

        # (SQLite splits an insert past 999 parameters, ~60 rows; PostgreSQL never does.)
        assert marks(1, 2) == marks(3, 12)


class TestIdempotence:
    def test_refreshing_again_changes_nothing(self, seller):
        make_meeting(seller, start=ist(2025, 3, 10, 12))
        keys = [(seller.pk, date(2025, 3, 10))]
        assert daily_rollups_refresh(seller_days=keys) == 1
        first = list(SellerDailyCalls.objects.values())
        assert daily_rollups_refresh(seller_days=keys) == 0
        assert daily_rollups_refresh(seller_days=keys * 3) == 0
        assert list(SellerDailyCalls.objects.values()) == first

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_writers_and_refreshes_end_right(self, agency, make_seller):
        if connection.vendor != "postgresql":
            pytest.skip("needs real concurrent transactions: SQLite serialises every writer")
        seller = make_seller(agency)
        buyer = make_buyer(agency)
        errors = []

        def write(hour: int) -> None:
            try:
                for minute in range(5):
                    make_meeting(seller, buyer=buyer, start=ist(2025, 3, 10, hour, minute))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(hour,)) for hour in range(8, 14)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        day = row(seller, date(2025, 3, 10))
        assert (day.outgoing_answered, day.meetings, day.leads) == (30, 30, 1)


class TestRebuild:
    def test_command_dry_run_then_repair(self, seller, agency):
        make_meeting(seller, start=ist(2025, 3, 10, 12))
        make_app_call(
            seller,
            buyer_number="+919800000009",
            start=ist(2025, 3, 11, 9),
            status=AppCallStatus.MISSED,
            call_type="incoming",
            seconds=0,
        )
        services._pending().clear()  # as if the writers had forgotten to mark
        out = StringIO()
        args = ["--start", "2025-03-01", "--end", "2025-03-31", "--no-progress"]
        call_command("rollups_rebuild", *args, "--dry-run", stdout=out)
        assert "2 rows would change" in out.getvalue()
        assert not SellerDailyCalls.objects.exists()
        call_command("rollups_rebuild", *args, "--agency", agency.name, stdout=out)
        assert figures(seller, date(2025, 3, 10)) == (1, 0, 0, 0, 1)
        assert figures(seller, date(2025, 3, 11)) == (0, 0, 0, 1, 0)
        out = StringIO()
        call_command("rollups_rebuild", *args, stdout=out)
        assert "0 rows changed" in out.getvalue()

    def test_rebuild_fixes_a_wrong_row_and_drops_a_stale_one(self, seller, agency):
        make_meeting(seller, start=ist(2025, 3, 10, 12))
        rollups_flush_pending(inline=True)
        SellerDailyCalls.objects.update(outgoing_answered=7)
        baker.make(SellerDailyCalls, agency=agency, seller=seller, day=date(2025, 3, 12))
        result = rollups_rebuild(start_day=date(2025, 3, 1), end_day=date(2025, 3, 31))
        assert result.changed == 2
        assert figures(seller, date(2025, 3, 10)) == (1, 0, 0, 0, 1)
        assert row(seller, date(2025, 3, 12)) is None

    def test_nightly_repair_covers_the_recent_days(self, seller, settings):
        settings.ROLLUP_REPAIR_DAYS = 2
        make_meeting(seller, start=ist(2026, 11, 17, 10))  # yesterday (the pinned clock)
        make_meeting(seller, start=ist(2026, 11, 1, 10))  # older than the repair window
        services._pending().clear()
        assert repair_recent_rollups() == 1
        assert figures(seller, date(2026, 11, 17)) == (1, 0, 0, 0, 1)
        assert row(seller, date(2026, 11, 1)) is None

    def test_command_rejects_bad_input(self):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError):
            call_command("rollups_rebuild", "--start", "2025-13-01", "--no-progress")
        with pytest.raises(CommandError):
            call_command(
                "rollups_rebuild", "--start", "2025-03-02", "--end", "2025-03-01", "--no-progress"
            )
        with pytest.raises(CommandError):
            call_command("rollups_rebuild", "--agency", "Nobody", "--no-progress")


def test_app_calls_of_a_deleted_meeting_count_again(seller, django_capture_on_commit_callbacks):
    start = ist(2025, 3, 10, 23, 59, 55)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = make_meeting(seller, start=ist(2025, 3, 11, 0, 0, 4))
        make_app_call(seller, buyer_number="+919800000042", start=start, meeting=meeting)
    assert row(seller, date(2025, 3, 10)) is None
    with django_capture_on_commit_callbacks(execute=True):
        meeting.delete()  # the app call is unlinked (SET_NULL: an update, no signal)
    assert MobileAppCall.objects.get().meeting_id is None
    assert figures(seller, date(2025, 3, 10)) == (1, 0, 0, 0, 1)
