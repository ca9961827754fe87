import pytest
from django.core import mail
from rest_framework_simplejwt.tokens import AccessToken

from sellers.models import Role, Seller

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
SIGNUP = "/api/auth/signup"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
RESET = "/api/auth/reset_password"
TEST_TOKEN = "/api/auth/generate_test_token"
GET_USER = "/api/user/get_user"


def login(api_client, seller, password="s3cret-pass!"):
    response = api_client.post(LOGIN, {"email": seller.email, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


class TestSignup:
    def test_creates_a_seller_and_emails_a_generated_password(
        self, api_client, agency, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(
                SIGNUP,
                {
                    "email": "New@Example.com",
                    "agency_name": "acme realty",
                    "phone": "98765 43210",
                    "name": "New Seller",
                },
                format="json",
            )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"message", "name", "user_id"}
        assert body["message"] == "Seller created successfully"
        seller = Seller.objects.get(pk=body["user_id"])
        assert seller.email == "new@example.com"
        assert seller.phone == "+919876543210"
        assert seller.agency == agency
        assert seller.role == Role.USER
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]

    @pytest.mark.parametrize("role", ["admin", "manager"])
    def test_never_grants_a_privileged_role(self, api_client, agency, role):
        response = api_client.post(
            SIGNUP,
            {
                "email": "x@example.com",
                "agency_name": agency.name,
                "phone": "+919876543211",
                "name": "X",
                "role": role,
            },
            format="json",
        )
        assert response.status_code == 201
        assert Seller.objects.get(email="x@example.com").role == Role.USER

    def test_given_password_is_validated(self, api_client, agency):
        response = api_client.post(
            SIGNUP,
            {
                "email": "x@example.com",
                "agency_name": agency.name,
                "phone": "+919876543211",
                "name": "X",
                "password": "123",
            },
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "weak_password"
        assert not Seller.objects.filter(email="x@example.com").exists()

    def test_given_password_logs_in_and_sends_no_email(self, api_client, agency):
        payload = {
            "email": "x@example.com",
            "agency_name": agency.name,
            "phone": "+919876543211",
            "name": "X",
            "password": "a-long-enough-pass",
        }
        assert api_client.post(SIGNUP, payload, format="json").status_code == 201
        assert mail.outbox == []
        response = api_client.post(
            LOGIN, {"email": "x@example.com", "password": "a-long-enough-pass"}, format="json"
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"agency_name": "Nope"}, "invalid_agency"),
            ({"phone": "12"}, "invalid_phone"),
            ({"email": None}, "invalid"),
            ({"role": "superhero"}, "invalid"),
        ],
    )
    def test_bad_input_answers_400_and_writes_nothing(self, api_client, agency, change, code):
        payload = {
            "email": "x@example.com",
            "agency_name": agency.name,
            "phone": "+919876543211",
            "name": "X",
        }
        payload.update(change)
        payload = {k: v for k, v in payload.items() if v is not None}
        response = api_client.post(SIGNUP, payload, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == code
        assert set(response.json()) >= {"error", "code"}
        assert not Seller.objects.filter(email="x@example.com").exists()

    def test_existing_seller_answers_400(self, api_client, seller):
        response = api_client.post(
            SIGNUP,
            {
                "email": seller.email,
                "agency_name": seller.agency.name,
                "phone": "+919876543299",
                "name": "Dup",
            },
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"error": "Seller already exists", "code": "seller_exists"}


class TestLogin:
    def test_returns_tokens_with_the_contract_claims(self, api_client, seller):
        body = login(api_client, seller)
        assert set(body) == {"access_token", "refresh_token", "user_id"}
        assert body["user_id"] == str(seller.pk)
        claims = AccessToken(body["access_token"])
        assert claims["user_id"] == str(seller.pk)
        assert claims["user_name"] == seller.name
        assert claims["user_email"] == seller.email
        assert claims["user_role"] == "user"
        assert claims["user_phone"] == "0091" + seller.phone[3:]
        assert claims["agency_id"] == str(seller.agency_id)
        assert claims["agency_name"] == seller.agency.name

    def test_wrong_password_is_401_without_echoing_the_email(self, api_client, seller):
        response = api_client.post(
            LOGIN, {"email": seller.email, "password": "wrong"}, format="json"
        )
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "invalid_credentials"
        assert body["msg"] == body["error"]
        assert seller.email not in body["error"]

    def test_missing_fields_is_400(self, api_client):
        response = api_client.post(LOGIN, {"email": "a@b.c"}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_inactive_seller_cannot_log_in(self, api_client, seller):
        seller.is_active = False
        seller.save()
        response = api_client.post(
            LOGIN, {"email": seller.email, "password": "s3cret-pass!"}, format="json"
        )
        assert response.status_code == 401

    def test_is_throttled_with_429_json(self, api_client, seller, settings):
        for _ in range(10):
            api_client.post(LOGIN, {"email": seller.email, "password": "wrong"}, format="json")
        response = api_client.post(LOGIN, {"email": seller.email, "password": "x"}, format="json")
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert "Retry-After" in response.headers


class TestAccessToken:
    def test_authenticates_get_user(self, client_for, seller):
        response = client_for(seller).get(GET_USER)
        assert response.status_code == 200
        body = response.json()
        assert {"id", "username", "email", "phone", "role", "name"} <= set(body)
        assert body["phone"] == "+91 " + seller.phone[3:]
        assert body["last_week_performance_analysis"]["calls_count"] == 0

    def test_missing_token_is_401_with_msg(self, api_client):
        response = api_client.get(GET_USER)
        assert response.status_code == 401
        assert {"error", "code", "msg"} <= set(response.json())

    def test_garbage_token_is_401_with_msg(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
        response = api_client.get(GET_USER)
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"
        assert "msg" in response.json()

    def test_refresh_token_is_not_an_access_token(self, api_client, seller):
        tokens = login(api_client, seller)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh_token']}")
        assert api_client.get(GET_USER).status_code == 401

    def test_revocation_check_costs_no_extra_query(
        self, client_for, seller, django_assert_num_queries
    ):
        client = client_for(seller)
        # One query authenticates (seller + agency + revoked jti); get_user adds its own read.
        with django_assert_num_queries(2):
            assert client.get(GET_USER).status_code == 200


class TestRefresh:
    def test_rotates_and_revokes_the_old_refresh_token(self, api_client, seller):
        tokens = login(api_client, seller)
        response = api_client.post(
            REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json"
        )
        assert response.status_code == 200
        rotated = response.json()
        assert set(rotated) == {"access_token", "refresh_token"}
        assert rotated["refresh_token"] != tokens["refresh_token"]

        again = api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json")
        assert again.status_code == 401
        assert again.json()["msg"] == "Failed to refresh tokens"

        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}")
        assert api_client.get(GET_USER).status_code == 200

    def test_accepts_the_refresh_token_as_bearer_header(self, api_client, seller):
        tokens = login(api_client, seller)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh_token']}")
        assert api_client.post(REFRESH).status_code == 200

    def test_an_access_token_cannot_refresh(self, api_client, seller):
        tokens = login(api_client, seller)
        response = api_client.post(REFRESH, {"refresh": tokens["access_token"]}, format="json")
        assert response.status_code == 401

    def test_missing_token_is_401(self, api_client):
        assert api_client.post(REFRESH).status_code == 401


class TestLogout:
    def test_revokes_the_access_and_the_refresh_token(self, api_client, seller):
        tokens = login(api_client, seller)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        response = api_client.post(LOGOUT, {"refresh": tokens["refresh_token"]}, format="json")
        assert response.status_code == 200
        assert response.json() == {"message": "Successfully logged out"}

        refused = api_client.get(GET_USER)
        assert refused.status_code == 401
        assert refused.json()["code"] == "token_revoked"
        api_client.credentials()
        assert (
            api_client.post(
                REFRESH, {"refresh": tokens["refresh_token"]}, format="json"
            ).status_code
            == 401
        )

    def test_without_a_body_still_revokes_the_access_token(self, api_client, seller):
        tokens = login(api_client, seller)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert api_client.post(LOGOUT).status_code == 200
        assert api_client.get(GET_USER).status_code == 401

    def test_without_a_body_revokes_the_session_s_refresh_tokens(self, api_client, seller):
        tokens = login(api_client, seller)
        rotated = api_client.post(REFRESH, {"refresh": tokens["refresh_token"]}, format="json")
        assert rotated.status_code == 200
        pair = rotated.json()
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
        assert api_client.post(LOGOUT).status_code == 200
        api_client.credentials()
        refused = api_client.post(REFRESH, {"refresh": pair["refresh_token"]}, format="json")
        assert refused.status_code == 401
        assert refused.json()["code"] == "token_not_valid"

    def test_logout_with_an_old_access_token_ends_the_rotated_session(self, api_client, seller):
        tokens = login(api_client, seller)
        pair = api_client.post(REFRESH, {"refresh": tokens["refresh_token"]}, format="json").json()
        # The first access token (still valid) and the rotated pair are one session.
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert api_client.post(LOGOUT).status_code == 200
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
        assert api_client.get(GET_USER).status_code == 401
        api_client.credentials()
        assert (
            api_client.post(REFRESH, {"refresh": pair["refresh_token"]}, format="json").status_code
            == 401
        )

    def test_both_tokens_carry_the_same_session_id_across_rotation(self, api_client, seller):
        from rest_framework_simplejwt.tokens import RefreshToken

        tokens = login(api_client, seller)
        sid = AccessToken(tokens["access_token"])["sid"]
        assert RefreshToken(tokens["refresh_token"])["sid"] == sid
        pair = api_client.post(REFRESH, {"refresh": tokens["refresh_token"]}, format="json").json()
        assert AccessToken(pair["access_token"])["sid"] == sid
        assert RefreshToken(pair["refresh_token"])["sid"] == sid
        assert AccessToken(login(api_client, seller)["access_token"])["sid"] != sid

    def test_logging_out_one_session_keeps_another_s_refresh_token(self, api_client, seller):
        first, second = login(api_client, seller), login(api_client, seller)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
        api_client.post(LOGOUT)
        api_client.credentials()
        refreshed = api_client.post(REFRESH, {"refresh": second["refresh_token"]}, format="json")
        assert refreshed.status_code == 200

    def test_other_sessions_stay_signed_in(self, api_client, client_for, seller):
        other_session = client_for(seller)
        tokens = login(api_client, seller)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        api_client.post(LOGOUT)
        assert other_session.get(GET_USER).status_code == 200

    def test_cannot_revoke_someone_elses_refresh_token(
        self, api_client, client_for, seller, manager
    ):
        theirs = login(api_client, manager)
        response = client_for(seller).post(
            LOGOUT, {"refresh": theirs["refresh_token"]}, format="json"
        )
        assert response.status_code == 403
        api_client.credentials()
        assert (
            api_client.post(
                REFRESH, {"refresh": theirs["refresh_token"]}, format="json"
            ).status_code
            == 200
        )


class TestResetPassword:
    def test_changes_the_password_and_revokes_every_session(
        self, api_client, seller, django_capture_on_commit_callbacks
    ):
        tokens = login(api_client, seller)
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(
                RESET,
                {
                    "email": seller.email,
                    "old_password": "s3cret-pass!",
                    "new_password": "brand-new-pw-9",
                },
                format="json",
            )
        assert response.status_code == 200
        assert response.json() == {
            "message": "Password reset successful. A confirmation email has been sent.",
            "user_id": str(seller.pk),
        }
        assert len(mail.outbox) == 1

        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert api_client.get(GET_USER).status_code == 401
        api_client.credentials()
        assert (
            api_client.post(
                REFRESH, {"refresh": tokens["refresh_token"]}, format="json"
            ).status_code
            == 401
        )
        login(api_client, seller, password="brand-new-pw-9")

    def test_wrong_old_password_is_401(self, api_client, seller):
        response = api_client.post(
            RESET,
            {"email": seller.email, "old_password": "nope", "new_password": "brand-new-pw-9"},
            format="json",
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"

    def test_unknown_email_is_404(self, api_client, db):
        response = api_client.post(
            RESET,
            {"email": "nobody@example.com", "old_password": "x", "new_password": "brand-new-pw-9"},
            format="json",
        )
        assert response.status_code == 404

    @pytest.mark.parametrize("new_password", ["short", "password123", "12345678901"])
    def test_weak_new_password_is_400(self, api_client, seller, new_password):
        response = api_client.post(
            RESET,
            {"email": seller.email, "old_password": "s3cret-pass!", "new_password": new_password},
            format="json",
        )
        assert response.status_code == 400
        seller.refresh_from_db()
        assert seller.check_password("s3cret-pass!")

    def test_is_throttled(self, api_client, seller):
        payload = {"email": seller.email, "old_password": "no", "new_password": "brand-new-pw-9"}
        statuses = [api_client.post(RESET, payload, format="json").status_code for _ in range(6)]
        assert statuses[-1] == 429


class TestGenerateTestToken:
    def test_issues_tokens_with_the_right_secret(self, api_client, seller):
        response = api_client.post(
            TEST_TOKEN, {"secret": "test-token-secret", "email": seller.email}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "refresh_token", "user_id", "user"}
        assert body["user"] == {
            "id": str(seller.pk),
            "name": seller.name,
            "email": seller.email,
            "phone": "0091" + seller.phone[3:],
            "role": "user",
            "agency_id": str(seller.agency_id),
        }

    def test_wrong_secret_is_403(self, api_client, seller):
        response = api_client.post(
            TEST_TOKEN, {"secret": "nope", "email": seller.email}, format="json"
        )
        assert response.status_code == 403

    def test_is_off_without_a_configured_secret(self, api_client, seller, settings):
        settings.TEST_TOKEN_SECRET = ""
        response = api_client.post(TEST_TOKEN, {"secret": "", "email": seller.email}, format="json")
        assert response.status_code == 404

    def test_unknown_email_is_404(self, api_client, db):
        response = api_client.post(
            TEST_TOKEN, {"secret": "test-token-secret", "email": "no@example.com"}, format="json"
        )
        assert response.status_code == 404
