from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from calls.models import AppCallStatus, ExotelCall, MobileAppCall
from meetings.models import Meeting

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)


def run(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("reconcile_calls", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


class TestCommand:
    def test_reconciles_and_prints_one_line(
        self, seller, make_app_call, make_exotel_call, enqueued_jobs
    ):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90)
        output = run("--no-cleanup")
        assert output == (
            "1 sellers: created 1 meetings (1 matched, 0 app-only, 0 Exotel-only), "
            "0 late recordings, 0 skipped"
        )
        assert Meeting.objects.count() == 1

    def test_dry_run_changes_nothing(self, seller, make_app_call, make_exotel_call):
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90, status="busy", recording="")
        old = timezone.now() - timedelta(days=40)
        ExotelCall.objects.update(created_at=old)
        output = run("--dry-run")
        assert output.startswith(
            "[dry run] 1 sellers: would create 1 meetings (0 matched, 1 app-only"
        )
        assert output.endswith(
            "would delete 0 app calls and 1 Exotel calls unmatched for over 30 days"
        )
        assert Meeting.objects.count() == 0 and ExotelCall.objects.count() == 1

    def test_since_limits_the_calls(self, seller, make_app_call):
        make_app_call(seller, T0, 90)
        assert run("--since", "7d", "--no-cleanup").startswith("0 sellers")
        assert run("--since", "2025-02-01", "--no-cleanup").startswith("1 sellers")

    def test_cleanup_keeps_the_call_log_and_deletes_stale_unmatched(
        self, seller, make_app_call, make_exotel_call
    ):
        make_app_call(seller, T0, 0, status=AppCallStatus.MISSED, call_type="incoming")
        make_app_call(seller, T0, 90, buyer_number="121")  # cannot become a meeting
        make_exotel_call(seller, T0, 0, status="no-answer", recording="")
        ExotelCall.objects.update(created_at=timezone.now() - timedelta(days=40))
        output = run("--retention-days", "30")
        assert "1 skipped; deleted 1 app calls and 1 Exotel calls" in output
        assert list(MobileAppCall.objects.values_list("status", flat=True)) == ["Missed"]
        assert ExotelCall.objects.count() == 0

    def test_bad_since_is_an_error(self):
        from django.core.management import CommandError

        with pytest.raises(CommandError):
            run("--since", "last tuesday")


class TestAdmin:
    def test_lists_filter_and_search(self, client, staff, seller, make_app_call, make_exotel_call):
        client.force_login(staff)
        make_app_call(seller, T0, 90)
        make_exotel_call(seller, T0, 90, call_sid="CA-find-me")
        for name in ("calls_exotelcall", "calls_mobileappcall"):
            url = reverse(f"admin:{name}_changelist")
            assert client.get(url, {"matched": "no"}).status_code == 200
            assert client.get(url, {"q": "9812345678"}).status_code == 200
        response = client.get(reverse("admin:calls_exotelcall_changelist"), {"q": "CA-find-me"})
        assert b"CA-find-me" in response.content

    def test_reconcile_selected_ignores_the_grace_period(
        self, client, staff, seller, make_app_call, enqueued_jobs
    ):
        client.force_login(staff)
        recent = make_app_call(seller, timezone.now() - timedelta(minutes=2), 60)
        response = client.post(
            reverse("admin:calls_mobileappcall_changelist"),
            {"action": "_reconcile_selected", "_selected_action": [str(recent.pk)]},
            follow=True,
        )
        assert response.status_code == 200
        assert b"1 meetings created" in response.content
        recent.refresh_from_db()
        assert recent.meeting is not None


class TestSince:
    """``--since`` is read by ``chirpworks.timeframes``: a time frame means what the API means."""

    def test_a_time_frame_starts_at_its_first_local_midnight(self, settings):
        from zoneinfo import ZoneInfo

        from chirpworks.timeframes import since_parse

        ist = ZoneInfo("Asia/Kolkata")
        # The pinned clock: 2026-11-18 (a Wednesday) 11:30 IST.
        assert since_parse("this_month", tz=ist) == datetime(2026, 11, 1, tzinfo=ist)
        assert since_parse("this_week", tz=ist) == datetime(2026, 11, 16, tzinfo=ist)
        assert abs(since_parse("7d") - (timezone.now() - timedelta(days=7))) < timedelta(seconds=1)
        assert since_parse("2026-11-01", tz=ist) == datetime(2026, 11, 1, tzinfo=ist)
