"""Actions in the ops console: a 2,000-row change list without a query per row, the follow-up
editable while who and which meeting stay as the analysis set them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus
from meetings.tests.factories import make_action, make_meeting

pytestmark = pytest.mark.django_db

ROWS = 2_000


def test_no_query_per_row(staff_client, seller, django_assert_max_num_queries):
    meeting = make_meeting(seller, start=timezone.now())
    now = timezone.now()
    Action.objects.bulk_create(
        Action(
            meeting=meeting,
            seller=seller,
            buyer=meeting.buyer,
            title=f"Follow-up {i}",
            due_date=now + timedelta(hours=i),
            status=ActionStatus.COMPLETED if i % 2 else ActionStatus.PENDING,
        )
        for i in range(ROWS)
    )
    for params in ({}, {"status__exact": "pending", "q": "follow"}, {"type__exact": "action"}):
        with django_assert_max_num_queries(10):
            response = staff_client.get(reverse("admin:actions_action_changelist"), params)
        changelist = response.context["cl"]
        assert len(changelist.result_list) == min(changelist.result_count, 100)
    assert changelist.result_count == ROWS


def test_the_follow_up_is_editable_and_who_is_not(staff_client, seller):
    action = make_action(make_meeting(seller, start=timezone.now()), title="Send <brochure>")
    url = reverse("admin:actions_action_change", args=[action.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert "Send &lt;brochure&gt;" in page.content.decode()
    assert set(page.context["adminform"].form.fields) == {
        "title",
        "status",
        "due_date",
        "description",
    }
    response = staff_client.post(
        url,
        {
            "title": "Send the brochure",
            "status": "completed",
            "due_date_0": "2026-12-01",
            "due_date_1": "10:00:00",
            "description": '{"text": "PDF"}',
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.title, action.status, action.description) == (
        "Send the brochure",
        "completed",
        {"text": "PDF"},
    )
    assert staff_client.get(reverse("admin:actions_action_add")).status_code == 403
