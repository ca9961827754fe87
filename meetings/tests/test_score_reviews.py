"""A seller acknowledges or disputes a call's score; a manager overrides a metric, for good."""

import pytest

from meetings.models import CallPerformance, CallScoreReview, MetricOverride
from meetings.performance_services import call_performance_upsert
from meetings.tests.factories import ist, make_meeting, make_performance
from sellers.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(seller):
    meeting = make_meeting(seller, start=ist(2026, 11, 10, 10))
    make_performance(meeting, intro=4, rapport_building=8)
    return meeting


def review_url(meeting) -> str:
    return f"/api/performance/call/{meeting.pk}/review"


def override_url(meeting) -> str:
    return f"/api/performance/call/{meeting.pk}/override"


def test_the_seller_acknowledges_then_disputes_their_score(scored, client_for, seller):
    client = client_for(seller)
    first = client.post(review_url(scored), {"status": "acknowledged"}, format="json")
    assert first.status_code == 200 and first.json()["status"] == "acknowledged"
    disputed = client.post(
        review_url(scored), {"status": "disputed", "comment": "The buyer hung up"}, format="json"
    )
    assert disputed.json()["comment"] == "The buyer hung up"
    review = CallScoreReview.objects.get()
    assert (review.status, review.seller) == ("disputed", seller)


def test_only_the_calls_seller_reviews_it(scored, client_for, manager, make_seller, other_agency):
    response = client_for(manager).post(review_url(scored), {"status": "disputed"}, format="json")
    assert response.status_code == 403
    stranger = make_seller(other_agency)
    response = client_for(stranger).post(review_url(scored), {"status": "disputed"}, format="json")
    assert response.status_code == 404
    assert not CallScoreReview.objects.exists()


def test_bad_review_input_answers_400_and_writes_nothing(scored, client_for, seller):
    response = client_for(seller).post(review_url(scored), {"status": "angry"}, format="json")
    assert response.status_code == 400 and response.json()["code"]
    assert not CallScoreReview.objects.exists()


def test_a_manager_overrides_a_metric_beside_its_computed_score(scored, client_for, manager):
    response = client_for(manager).post(
        override_url(scored),
        {"metric": "intro", "score": 7, "reason": "Intro was fine; the ASR missed it"},
        format="json",
    )
    assert response.status_code == 200, response.content
    performance = response.json()["performance"]
    intro = performance["metrics"]["intro"]
    assert intro["score"] == 7 and intro["computed_score"] == 4
    assert intro["override_reason"] == "Intro was fine; the ASR missed it"
    assert intro["overridden_by"] == str(manager.pk)
    assert performance["overall_score"] == 7.5  # (7 + 8) / 2: the override counts
    shown = client_for(manager).get(f"/api/performance/call/{scored.pk}/metrics").json()
    assert shown["performance"]["metrics"]["intro"]["computed_score"] == 4


def test_an_override_survives_reanalysis(scored, client_for, manager):
    client_for(manager).post(
        override_url(scored), {"metric": "intro", "score": 7, "reason": "ok"}, format="json"
    )
    call_performance_upsert(
        meeting=scored,
        data={"intro": {"score": 2, "reason": "new analysis"}, "rapport_building": {"score": 6}},
    )
    performance = CallPerformance.objects.get(meeting=scored)
    assert performance.intro["score"] == 7 and performance.intro["computed_score"] == 2
    assert performance.intro["reason"] == "new analysis"
    assert performance.overall_score == 6.5


def test_who_may_override(scored, client_for, seller, admin, make_seller, agency, other_agency):
    body = {"metric": "intro", "score": 7, "reason": "ok"}
    assert client_for(seller).post(override_url(scored), body, format="json").status_code == 403
    other_manager = make_seller(agency, role=Role.MANAGER)
    response = client_for(other_manager).post(override_url(scored), body, format="json")
    assert response.status_code == 404  # not their team's call: they cannot even see it
    stranger = make_seller(other_agency, role=Role.ADMIN)
    assert client_for(stranger).post(override_url(scored), body, format="json").status_code == 404
    assert not MetricOverride.objects.exists()
    assert client_for(admin).post(override_url(scored), body, format="json").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"metric": "charisma", "score": 5, "reason": "x"},
        {"metric": "intro", "score": 11, "reason": "x"},
        {"metric": "intro", "score": 5},
        {"metric": "intro", "score": "1e308", "reason": "x"},
    ],
)
def test_bad_override_input_answers_400(scored, client_for, manager, body):
    response = client_for(manager).post(override_url(scored), body, format="json")
    assert response.status_code == 400
    assert not MetricOverride.objects.exists()
    assert CallPerformance.objects.get(meeting=scored).intro["score"] == 4


def test_no_score_yet_answers_404(seller, client_for, manager):
    unscored = make_meeting(seller, start=ist(2026, 11, 10, 10))
    body = {"metric": "intro", "score": 5, "reason": "x"}
    assert client_for(manager).post(override_url(unscored), body, format="json").status_code == 404
    response = client_for(seller).post(review_url(unscored), {"status": "disputed"}, format="json")
    assert response.status_code == 404
