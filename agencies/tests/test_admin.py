"""Agencies and buyers in the ops console: the webhook secret rotated through its service, buyer
profiles shown read-only, and change lists that do not query per row."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Buyer

pytestmark = pytest.mark.django_db

ROWS = 2_000


def test_agency_list_at_scale(staff_client, django_assert_max_num_queries):
    Agency.objects.bulk_create(
        Agency(name=f"Agency {i}", exotel_webhook_secret=f"s{i}") for i in range(ROWS)
    )
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("admin:agencies_agency_changelist"))
    assert response.context["cl"].result_count == ROWS
    assert len(response.context["cl"].result_list) == 100


def test_agency_list_counts_sellers(staff_client, agency, seller):
    response = staff_client.get(reverse("admin:agencies_agency_changelist"))
    (row,) = response.context["cl"].result_list
    assert row.seller_total == 2  # the seller and their manager


def test_buyer_list_at_scale(staff_client, agency, seller, django_assert_max_num_queries):
    now = timezone.now()
    Buyer.objects.bulk_create(
        Buyer(
            agency=agency,
            phone=f"+91970{i:07d}",
            name=f"Buyer {i}",
            last_contacted_at=now - timedelta(hours=i),
            last_contacted_by=seller,
        )
        for i in range(ROWS)
    )
    for params in ({}, {"agency__id__exact": agency.pk}, {"q": "Buyer 1999"}):
        with django_assert_max_num_queries(10):
            response = staff_client.get(reverse("admin:agencies_buyer_changelist"), params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == min(
            response.context["cl"].result_count, 100
        )
    assert list(response.context["cl"].result_list) == [Buyer.objects.get(name="Buyer 1999")]


def test_the_secret_is_shown_but_not_editable(staff_client, agency):
    response = staff_client.get(reverse("admin:agencies_agency_change", args=[agency.pk]))
    assert response.status_code == 200
    assert "exotel_webhook_secret" not in response.context["adminform"].form.fields
    content = response.content.decode()
    assert agency.exotel_webhook_secret in content
    assert f"/api/call_records/post_exotel_recording?key={agency.exotel_webhook_secret}" in content

    # Posting a secret in the form changes nothing.
    staff_client.post(
        reverse("admin:agencies_agency_change", args=[agency.pk]),
        {
            "name": agency.name,
            "description": "",
            "timezone": agency.timezone,
            "default_phone_region": agency.default_phone_region,
            "settings": "{}",
            "exotel_webhook_secret": "chosen-by-hand",
        },
    )
    agency.refresh_from_db()
    assert agency.exotel_webhook_secret != "chosen-by-hand"


def test_rotate_secret_action(staff_client, agency, other_agency, api_client):
    old = agency.exotel_webhook_secret
    untouched = other_agency.exotel_webhook_secret
    response = staff_client.post(
        reverse("admin:agencies_agency_changelist"),
        {"action": "rotate_webhook_secret", "_selected_action": [str(agency.pk)]},
        follow=True,
    )
    assert "Rotated the Exotel webhook secret of 1 agency(ies): Acme Realty." in (
        response.content.decode()
    )
    agency.refresh_from_db()
    other_agency.refresh_from_db()
    assert agency.exotel_webhook_secret != old and len(agency.exotel_webhook_secret) >= 40
    assert other_agency.exotel_webhook_secret == untouched
    # The old key no longer opens the webhook.
    webhook = reverse("call-records-exotel-webhook")
    refused = api_client.get(webhook, {"key": old, "CallSid": "CA1"})
    assert refused.status_code == 403 and refused.json()["code"] == "invalid_webhook_key"


def test_buyer_page_shows_the_profile_read_only(staff_client, agency):
    buyer = Buyer.objects.create(
        agency=agency,
        phone="+919811100001",
        risks=[{"risk": "Budget <tight>", "meeting_id": "m1"}],
        key_highlights=["Wants a quote"],
    )
    response = staff_client.get(reverse("admin:agencies_buyer_change", args=[buyer.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "&quot;risk&quot;: &quot;Budget &lt;tight&gt;&quot;" in content
    assert "Wants a quote" in content
    assert "risks" not in response.context["adminform"].form.fields


def test_the_exotel_api_token_is_write_only(staff_client, agency):
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    form = {
        "name": agency.name,
        "description": "",
        "timezone": agency.timezone,
        "default_phone_region": agency.default_phone_region,
        "settings": "{}",
        "exotel_account_sid": "acme1",
        "exotel_api_key": "acme-key",
        "exotel_api_token": "acme-token-secret",
        "exotel_api_host": "api.in.exotel.com",
        "buyer_dormant_after_days": "60",
    }
    assert staff_client.post(url, form).status_code == 302
    agency.refresh_from_db()
    assert (agency.exotel_api_key, agency.exotel_api_token) == ("acme-key", "acme-token-secret")
    page = staff_client.get(url).content.decode()
    assert "acme-key" in page and "acme-token-secret" not in page

    # Saved again without typing the token: it is kept. Cleared on request.
    assert staff_client.post(url, {**form, "exotel_api_token": ""}).status_code == 302
    agency.refresh_from_db()
    assert agency.exotel_api_token == "acme-token-secret"
    staff_client.post(url, {**form, "exotel_api_token": "", "clear_exotel_api_token": "on"})
    agency.refresh_from_db()
    assert agency.exotel_api_token == ""
