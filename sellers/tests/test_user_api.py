from datetime import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from model_bakery import baker

from agencies.models import Buyer
from meetings.models import CallPerformance, Meeting
from sellers.models import Role
from sellers.selectors import seller_team_ids

pytestmark = pytest.mark.django_db


class TestGetUser:
    def test_reports_last_week_performance(self, client_for, seller, agency):
        buyer = baker.make(Buyer, agency=agency, phone="+919811100001")
        for score in (6, 8):
            meeting = baker.make(
                Meeting, agency=agency, seller=seller, buyer=buyer, start_time=timezone.now()
            )
            baker.make(
                CallPerformance,
                meeting=meeting,
                intro={"score": score, "reason": "greeted by name"},
                overall_score=score,
                analyzed_at=timezone.now(),
            )
        old = baker.make(
            Meeting,
            agency=agency,
            seller=seller,
            buyer=buyer,
            start_time=timezone.now() - timezone.timedelta(days=30),
        )
        baker.make(CallPerformance, meeting=old, overall_score=1, analyzed_at=timezone.now())

        body = client_for(seller).get("/api/user/get_user").json()
        analysis = body["last_week_performance_analysis"]
        assert analysis["calls_count"] == 2
        assert analysis["overall_score"] == 7
        assert analysis["metrics"]["intro"] == 7
        assert analysis["metrics"]["rapport_building"] is None

    def test_last_week_spans_seven_calendar_days(self, client_for, seller, agency):
        # The clock is Wed 18 Nov 2026 11:30 IST: the last 7 days are Thu 12 to Wed 18 November.
        tz = agency.tzinfo
        buyer = baker.make(Buyer, agency=agency, phone="+919811100001")
        for day, hour, score in ((11, 23, 2), (12, 0, 6), (18, 9, 8)):
            meeting = baker.make(
                Meeting,
                agency=agency,
                seller=seller,
                buyer=buyer,
                start_time=datetime(2026, 11, day, hour, 30, tzinfo=tz),
            )
            baker.make(CallPerformance, meeting=meeting, overall_score=score)

        analysis = (
            client_for(seller).get("/api/user/get_user").json()["last_week_performance_analysis"]
        )
        assert (analysis["start_date"], analysis["end_date"]) == ("2026-11-12", "2026-11-18")
        assert analysis["calls_count"] == 2  # not the call late on the 11th, an 8th day
        assert analysis["overall_score"] == 7


class TestSetManager:
    def test_admin_assigns_a_manager(self, client_for, admin, make_seller, agency, manager):
        newbie = make_seller(agency)
        response = client_for(admin).post(
            "/api/user/set_manager",
            {"user_email": newbie.email, "manager_email": manager.email},
            format="json",
        )
        assert response.status_code == 200
        assert response.json() == {"message": "Manager assigned successfully"}
        newbie.refresh_from_db()
        assert newbie.manager == manager

    def test_a_cycle_is_refused(self, client_for, admin, make_seller, agency):
        top = make_seller(agency, role=Role.MANAGER)
        middle = make_seller(agency, role=Role.MANAGER, manager=top)
        response = client_for(admin).post(
            "/api/user/set_manager",
            {"user_email": top.email, "manager_email": middle.email},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "manager_cycle"
        top.refresh_from_db()
        assert top.manager is None

    def test_the_manager_must_be_a_manager(self, client_for, admin, seller, make_seller, agency):
        plain = make_seller(agency)
        response = client_for(admin).post(
            "/api/user/set_manager",
            {"user_email": seller.email, "manager_email": plain.email},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "not_a_manager"

    def test_another_agencys_people_are_404(
        self, client_for, admin, seller, make_seller, other_agency
    ):
        outsider = make_seller(other_agency, role=Role.MANAGER)
        response = client_for(admin).post(
            "/api/user/set_manager",
            {"user_email": seller.email, "manager_email": outsider.email},
            format="json",
        )
        assert response.status_code == 404
        seller.refresh_from_db()
        assert seller.manager != outsider

    def test_missing_fields_are_400(self, client_for, admin):
        response = client_for(admin).post("/api/user/set_manager", {}, format="json")
        assert response.status_code == 400

    @pytest.mark.parametrize("role", [Role.MANAGER, Role.USER, Role.GUEST])
    def test_only_admins(self, client_for, make_seller, agency, seller, manager, role):
        response = client_for(make_seller(agency, role=role)).post(
            "/api/user/set_manager",
            {"user_email": seller.email, "manager_email": manager.email},
            format="json",
        )
        assert response.status_code == 403


class TestTeams:
    def test_team_is_everyone_whose_manager_chain_leads_here(self, make_seller, agency):
        head = make_seller(agency, role=Role.MANAGER)
        lead = make_seller(agency, role=Role.MANAGER, manager=head)
        rep = make_seller(agency, manager=lead)
        peer = make_seller(agency, manager=head)
        unrelated = make_seller(agency)
        assert seller_team_ids(manager=head) == {lead.pk, rep.pk, peer.pk}
        assert seller_team_ids(manager=lead) == {rep.pk}
        assert unrelated.pk not in seller_team_ids(manager=head)


class TestCleanupTokens:
    def test_dry_run_counts_and_real_run_deletes(self, api_client, seller, capsys):
        from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

        from sellers.models import RevokedAccessToken

        past = timezone.now() - timezone.timedelta(days=1)
        baker.make(OutstandingToken, user=seller, jti="old", token="x", expires_at=past)
        baker.make(
            OutstandingToken,
            user=seller,
            jti="live",
            token="y",
            expires_at=timezone.now() + timezone.timedelta(days=1),
        )
        baker.make(RevokedAccessToken, seller=seller, jti="gone", expires_at=past)

        call_command("cleanup_tokens", "--dry-run")
        assert "Would delete 1 expired refresh tokens and 1" in capsys.readouterr().out
        assert OutstandingToken.objects.count() == 2

        call_command("cleanup_tokens")
        assert "Deleted 1 expired refresh tokens and 1" in capsys.readouterr().out
        assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["live"]
        assert not RevokedAccessToken.objects.exists()
