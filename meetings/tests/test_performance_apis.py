from datetime import timedelta

import pytest
from django.utils import timezone

from meetings.models import PERFORMANCE_METRICS, CallPerformance, JobStatus
from meetings.tests.factories import ist, make_meeting, make_performance

pytestmark = pytest.mark.django_db


def metrics_url(meeting):
    return f"/api/performance/call/{meeting.pk}/metrics"


class TestCallMetrics:
    def test_get(self, client_for, seller):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        make_performance(meeting, intro=8, objection_handling=4)
        response = client_for(seller).get(metrics_url(meeting))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"message", "performance"}
        assert set(body["performance"]["metrics"]) == {"intro", "objection_handling"}
        assert body["performance"]["overall_score"] == 6.0
        assert body["performance"]["analysis"] == {
            "overall_performance_summary": {"text": "Good call"}
        }

    def test_get_access(self, client_for, seller, manager, make_seller, agency, other_agency):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        make_performance(meeting, intro=8)
        assert client_for(manager).get(metrics_url(meeting)).status_code == 200
        assert client_for(make_seller(agency)).get(metrics_url(meeting)).status_code == 404
        foreign_admin = make_seller(other_agency, role="admin")
        assert client_for(foreign_admin).get(metrics_url(meeting)).status_code == 404

    def test_get_without_performance_is_404(self, client_for, seller):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        response = client_for(seller).get(metrics_url(meeting))
        assert response.status_code == 404
        assert response.json() == {
            "error": "No performance data found for this meeting",
            "code": "performance_not_found",
        }

    def test_delete_by_the_sellers_manager_or_admin(self, client_for, seller, manager, admin):
        for deleter in (manager, admin):
            meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
            make_performance(meeting, intro=8)
            response = client_for(deleter).delete(metrics_url(meeting))
            assert response.status_code == 200
            assert response.json() == {"message": "Performance metrics deleted successfully"}
            assert not CallPerformance.objects.filter(meeting=meeting).exists()

    def test_delete_refused(self, client_for, seller, make_seller, agency, other_agency):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        make_performance(meeting, intro=8)
        other_manager = make_seller(agency, role="manager")
        guest = make_seller(agency, role="guest")
        for refused in (seller, other_manager, guest):
            assert client_for(refused).delete(metrics_url(meeting)).status_code == 403
        foreign_admin = make_seller(other_agency, role="admin")
        assert client_for(foreign_admin).delete(metrics_url(meeting)).status_code == 404
        assert CallPerformance.objects.filter(meeting=meeting).exists()

    def test_delete_missing_is_404(self, client_for, seller, admin):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        response = client_for(admin).delete(metrics_url(meeting))
        assert (response.status_code, response.json()["code"]) == (404, "performance_not_found")


class TestUserMetrics:
    def test_daily_averages_over_the_range(self, client_for, seller):
        make_performance(
            make_meeting(seller, start=ist(2025, 3, 10, 9)), intro=8, need_realization=2
        )
        make_performance(make_meeting(seller, start=ist(2025, 3, 10, 23, 59)), intro=6)
        make_performance(make_meeting(seller, start=ist(2025, 3, 12, 0, 0)), intro=1)
        make_performance(make_meeting(seller, start=ist(2025, 3, 13, 0, 0)), intro=10)  # outside
        url = f"/api/performance/user/{seller.pk}/metrics"
        response = client_for(seller).get(
            url, {"start_date": "2025-03-10", "end_date": "2025-03-12"}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "message",
            "user_info",
            "date_range",
            "daily_metrics",
            "period_summary",
        }
        assert body["user_info"] == {
            "user_id": str(seller.pk),
            "name": seller.name,
            "email": seller.email,
        }
        assert body["date_range"] == {"start_date": "2025-03-10", "end_date": "2025-03-12"}
        daily = body["daily_metrics"]
        assert list(daily) == ["2025-03-10", "2025-03-11", "2025-03-12"]
        assert daily["2025-03-11"] is None
        assert set(daily["2025-03-10"]) == {*PERFORMANCE_METRICS, "overall_score", "calls_count"}
        assert daily["2025-03-10"]["intro"] == 7.0
        assert daily["2025-03-10"]["need_realization"] == 2.0
        assert daily["2025-03-10"]["rapport_building"] is None
        assert daily["2025-03-10"]["calls_count"] == 2
        assert daily["2025-03-12"]["intro"] == 1.0
        summary = body["period_summary"]
        assert summary["total_calls"] == 3
        assert (summary["days_with_data"], summary["days_in_range"]) == (2, 3)
        assert summary["overall_averages"]["intro"] == 5.0

    @pytest.mark.parametrize("view", ["metrics", "calls"])
    def test_a_missing_start_date_is_30_days_back(self, client_for, seller, agency, view):
        today = timezone.localdate(timezone=agency.tzinfo)
        end = today - timedelta(days=5)
        response = client_for(seller).get(
            f"/api/performance/user/{seller.pk}/{view}", {"end_date": end.isoformat()}
        )
        assert response.status_code == 200, response.content
        assert response.json()["date_range"] == {
            "start_date": (today - timedelta(days=30)).isoformat(),
            "end_date": end.isoformat(),
        }

    def test_access(self, client_for, seller, manager, admin, make_seller, agency, other_agency):
        url = f"/api/performance/user/{seller.pk}/metrics"
        for reader in (seller, manager, admin):
            assert client_for(reader).get(url).status_code == 200
        assert client_for(make_seller(agency)).get(url).status_code == 403
        assert client_for(make_seller(other_agency, role="admin")).get(url).status_code == 404
        too_long = client_for(seller).get(
            url, {"start_date": "2023-01-01", "end_date": "2025-01-01"}
        )
        assert too_long.status_code == 400

    def test_constant_queries(self, client_for, seller, django_assert_max_num_queries):
        for day in range(1, 29):
            make_performance(make_meeting(seller, start=ist(2025, 2, day, 10)), intro=day % 10)
        client = client_for(seller)
        with django_assert_max_num_queries(4):
            response = client.get(
                f"/api/performance/user/{seller.pk}/metrics",
                {"start_date": "2025-02-01", "end_date": "2025-02-28"},
            )
        assert response.json()["period_summary"]["days_with_data"] == 28


class TestUserCalls:
    def test_only_analysed_calls(self, client_for, seller, django_assert_max_num_queries):
        done = make_meeting(seller, start=ist(2025, 3, 10, 10), seconds=150)
        make_performance(done, intro=8)
        pending = make_meeting(seller, start=ist(2025, 3, 10, 11), job_status=JobStatus.IN_PROGRESS)
        make_performance(pending, intro=3)
        make_meeting(seller, start=ist(2025, 3, 10, 12))  # completed, not scored
        for hour in range(13, 23):
            make_performance(make_meeting(seller, start=ist(2025, 3, 10, hour)), intro=5)
        url = f"/api/performance/user/{seller.pk}/calls"
        client = client_for(seller)
        with django_assert_max_num_queries(4):
            body = client.get(url, {"start_date": "2025-03-10", "end_date": "2025-03-10"}).json()
        assert set(body) == {"message", "user_info", "date_range", "calls", "total_calls"}
        assert body["total_calls"] == 11
        call = body["calls"][-1]
        assert set(call) == {
            "meeting_id",
            "call_title",
            "buyer_name",
            "buyer_phone",
            "call_start_time",
            "duration_minutes",
            "detected_products",
            "overall_score",
            "analyzed_at",
            "metrics",
            "analysis",
        }
        assert call["meeting_id"] == str(done.pk)
        # Scores are floats here as in call_data and /performance/call (typed clients).
        assert call["metrics"] == {"intro": {"score": 8.0, "reason": "intro reason"}}
        assert type(call["metrics"]["intro"]["score"]) is float
        assert call["duration_minutes"] == 2.5
        assert call["buyer_phone"].startswith("0091")
        paged = client.get(
            url, {"start_date": "2025-03-10", "end_date": "2025-03-10", "page": 2, "limit": 5}
        ).json()
        assert paged["pagination"]["total_count"] == paged["total_calls"] == 11
        assert len(paged["calls"]) == 5

    def test_access(self, client_for, seller, make_seller, agency, other_agency):
        url = f"/api/performance/user/{seller.pk}/calls"
        assert client_for(make_seller(agency)).get(url).status_code == 403
        assert client_for(make_seller(other_agency)).get(url).status_code == 404
