import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from products.models import Product
from sellers.models import RevokedAccessToken, Role, Seller

pytestmark = pytest.mark.django_db


def test_seller_changelist_searches_and_filters_without_per_row_queries(
    staff_client, make_seller, agency, manager, django_assert_max_num_queries
):
    for _ in range(40):
        make_seller(agency, manager=manager)
    with django_assert_max_num_queries(10):
        response = staff_client.get(
            "/admin/sellers/seller/", {"role__exact": "user", "agency__id__exact": agency.pk}
        )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 40

    found = staff_client.get("/admin/sellers/seller/", {"q": manager.phone})
    assert found.context["cl"].result_count == 1


def test_seller_change_page_shows_the_team(staff_client, make_seller, agency):
    head = make_seller(agency, role=Role.MANAGER, name="Head Honcho")
    make_seller(agency, manager=head, name="Direct Report")
    response = staff_client.get(f"/admin/sellers/seller/{head.pk}/change/")
    assert response.status_code == 200
    assert "Direct Report (user)" in response.content.decode()


def test_agency_and_product_admin_pages_load(staff_client, agency):
    baker.make(Product, agency=agency, name="Term Shield")
    assert staff_client.get("/admin/agencies/agency/").status_code == 200
    assert staff_client.get(f"/admin/agencies/agency/{agency.pk}/change/").status_code == 200
    response = staff_client.get("/admin/products/product/", {"q": "term"})
    assert response.context["cl"].result_count == 1


ROWS = 2_000


def _post_action(client: Client, name: str, action: str, ids) -> str:
    response = client.post(
        reverse(f"admin:{name}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def many_sellers(agency, manager) -> list[Seller]:
    return Seller.objects.bulk_create(
        Seller(
            agency=agency,
            manager=manager,
            email=f"bulk{i}@example.com",
            name=f"Bulk {i}",
            phone=f"+91960{i:07d}",
        )
        for i in range(ROWS)
    )


class TestChangeListsAtScale:
    def test_sellers(self, staff_client, many_sellers, django_assert_max_num_queries):
        with django_assert_max_num_queries(10):
            response = staff_client.get("/admin/sellers/seller/")
        assert response.context["cl"].result_count == ROWS + 2  # the manager and ops staff
        assert len(response.context["cl"].result_list) == 100

    def test_tokens(self, staff_client, many_sellers, django_assert_max_num_queries):
        expires = timezone.now() + timedelta(minutes=5)
        RevokedAccessToken.objects.bulk_create(
            RevokedAccessToken(jti=f"jti-{i}", seller=s, expires_at=expires)
            for i, s in enumerate(many_sellers)
        )
        outstanding = OutstandingToken.objects.bulk_create(
            OutstandingToken(user=s, jti=f"r-{i}", token="t", expires_at=expires)
            for i, s in enumerate(many_sellers)
        )
        BlacklistedToken.objects.bulk_create(BlacklistedToken(token=t) for t in outstanding)
        for url in (
            reverse("admin:sellers_revokedaccesstoken_changelist"),
            reverse("admin:token_blacklist_outstandingtoken_changelist"),
            reverse("admin:token_blacklist_blacklistedtoken_changelist"),
        ):
            with django_assert_max_num_queries(10):
                response = staff_client.get(url)
            assert response.context["cl"].result_count == ROWS
            assert len(response.context["cl"].result_list) == 100

    def test_revoked_tokens_are_read_only(self, staff_client, seller):
        token = RevokedAccessToken.objects.create(
            jti="jti-1", seller=seller, expires_at=timezone.now() + timedelta(minutes=5)
        )
        assert staff_client.get(reverse("admin:sellers_revokedaccesstoken_add")).status_code == 403
        page = staff_client.get(reverse("admin:sellers_revokedaccesstoken_change", args=[token.pk]))
        assert page.status_code == 200 and list(page.context["adminform"].form.fields) == []


class TestResendPassword:
    def test_a_new_password_is_set_emailed_on_commit_and_old_sessions_die(
        self, staff_client, seller, client_for, django_capture_on_commit_callbacks
    ):
        api = client_for(seller)  # a session from before the reset
        assert api.get("/api/user/get_user").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            content = _post_action(
                staff_client, "sellers_seller", "resend_password_email", [seller.pk]
            )
        assert f"New password emailed to 1 seller(s), their sessions revoked: {seller.email}" in (
            content
        )
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [seller.email]
        password = re.search(r"this password: (\S+)", mail.outbox[0].body).group(1)
        seller.refresh_from_db()
        assert seller.check_password(password) and not seller.check_password("s3cret-pass!")
        assert seller.session_version == 1
        assert api.get("/api/user/get_user").status_code == 401

    def test_no_email_before_commit_and_none_to_inactive_sellers(
        self, staff_client, seller, manager, django_capture_on_commit_callbacks
    ):
        Seller.objects.filter(pk=manager.pk).update(is_active=False)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            content = _post_action(
                staff_client, "sellers_seller", "resend_password_email", [seller.pk, manager.pk]
            )
        assert mail.outbox == []  # sent only once the transaction commits
        assert len(callbacks) == 1
        assert f"Not sent to 1: {manager.email} (The seller is deactivated)" in content
        manager.refresh_from_db()
        assert manager.check_password("s3cret-pass!")


class TestDeactivate:
    def test_sellers_are_deactivated_and_signed_out_but_not_the_operator(
        self, staff_client, staff, seller, manager, client_for
    ):
        api = client_for(seller)
        Seller.objects.filter(pk=manager.pk).update(is_active=False)
        content = _post_action(
            staff_client, "sellers_seller", "deactivate", [seller.pk, manager.pk, staff.pk]
        )
        assert "Deactivated 1 seller(s) and revoked their sessions; 1 already inactive." in content
        assert "You were not deactivated" in content
        seller.refresh_from_db()
        staff.refresh_from_db()
        assert not seller.is_active and seller.session_version == 1
        assert staff.is_active
        assert api.get("/api/user/get_user").status_code == 401
        assert staff_client.get("/admin/").status_code == 200  # still logged in
