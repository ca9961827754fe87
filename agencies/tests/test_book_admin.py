"""The buyer book in the ops console: filters, history on the change page, merge and restore."""

import pytest
from django.urls import reverse

from agencies.models import Buyer
from meetings.tests.factories import ist, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:agencies_buyer_changelist"


def test_filters_by_lifecycle_tag_and_deleted(book, client_for, staff_client):
    client_for(book.seller).patch(
        f"/api/buyers/profile/{book.buyer.pk}",
        {"tags": ["VIP"], "lifecycle": "prospect"},
        format="json",
    )
    client_for(book.admin).delete(f"/api/buyers/profile/{book.umas_buyer.pk}")
    url = reverse(CHANGELIST)
    tag = book.buyer.tags.get()
    for params, expected in (
        ({"lifecycle__exact": "prospect"}, {book.buyer}),
        ({"tags__id__exact": tag.pk}, {book.buyer}),
        ({"deleted": "yes"}, {book.umas_buyer}),
        ({"deleted": "no", "agency__id__exact": book.agency.pk}, {book.buyer}),
    ):
        response = staff_client.get(url, params)
        assert response.status_code == 200
        assert set(response.context["cl"].result_list) == expected, params
    assert "vip" in staff_client.get(url).content.decode()


def test_history_on_the_change_page(book, client_for, staff_client):
    client_for(book.seller).patch(
        f"/api/buyers/profile/{book.buyer.pk}", {"name": "Bina Renamed"}, format="json"
    )
    change = staff_client.get(reverse("admin:agencies_buyer_change", args=[book.buyer.pk]))
    assert reverse("admin:agencies_buyer_history", args=[book.buyer.pk]) in change.content.decode()
    history = staff_client.get(reverse("admin:agencies_buyer_history", args=[book.buyer.pk]))
    assert history.status_code == 200
    assert "edit|user|name" in history.content.decode()


def test_merge_and_restore_actions(book, staff_client):
    twin = make_buyer(book.agency, name="Twin")
    make_meeting(book.seller, buyer=twin, start=ist(2026, 11, 1, 10))
    Buyer.objects.filter(pk=twin.pk).update(last_contacted_at=ist(2026, 11, 1, 10))
    url = reverse(CHANGELIST)
    response = staff_client.post(
        url, {"action": "merge_buyers", "_selected_action": [book.buyer.pk, twin.pk]}, follow=True
    )
    assert "Merged 1 buyer(s)" in response.content.decode()
    twin.refresh_from_db()
    assert twin.merged_into_id == book.buyer.pk  # kept: the most recently contacted

    staff_client.post(
        url, {"action": "merge_buyers", "_selected_action": [book.buyer.pk, book.beas_buyer.pk]}
    )
    book.beas_buyer.refresh_from_db()
    assert book.beas_buyer.merged_into_id is None  # two agencies: refused

    Buyer.objects.filter(pk=book.umas_buyer.pk).update(deleted_at=ist(2026, 11, 17, 10))
    response = staff_client.post(
        url,
        {"action": "restore_buyers", "_selected_action": [book.umas_buyer.pk, twin.pk]},
        follow=True,
    )
    assert "Restored 1 buyer(s); 1 merged away" in response.content.decode()
    book.umas_buyer.refresh_from_db()
    assert book.umas_buyer.deleted_at is None
