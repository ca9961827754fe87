"""Rate limits a guesser cannot step around: forged X-Forwarded-For, rotating addresses."""

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
RESET = "/api/auth/reset_password"


def _wrong_login(api_client, email, **headers):
    return api_client.post(LOGIN, {"email": email, "password": "wrong"}, format="json", **headers)


class TestForwardedForIsNotAnIdentity:
    def test_a_fresh_x_forwarded_for_per_request_still_gets_429(self, api_client, settings, db):
        # Per-email lockout off, so only the per-IP throttle (10/min) can answer 429 here.
        settings.AUTH_FAILURES_PER_EMAIL = 1000
        statuses = [
            _wrong_login(
                api_client, f"guess{i}@example.com", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
            ).status_code
            for i in range(15)
        ]
        assert statuses[:10] == [401] * 10
        assert statuses[10:] == [429] * 5

    def test_behind_one_proxy_the_proxy_s_entry_is_the_client(self, api_client, settings, db):
        settings.AUTH_FAILURES_PER_EMAIL = 1000
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        # The client forges a prefix; the load balancer appends the address it really saw.
        statuses = [
            _wrong_login(
                api_client,
                f"guess{i}@example.com",
                HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7",
            ).status_code
            for i in range(11)
        ]
        assert statuses[-1] == 429
        # A different real client (another last entry) is not throttled by the first one.
        other = _wrong_login(api_client, "x@example.com", HTTP_X_FORWARDED_FOR="198.51.100.8")
        assert other.status_code == 401


class TestPerAccountLockout:
    def test_failed_logins_lock_the_account_from_any_address(self, api_client, seller):
        statuses = [
            _wrong_login(
                api_client, seller.email, REMOTE_ADDR=f"192.0.2.{i}", HTTP_X_FORWARDED_FOR="x"
            ).status_code
            for i in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        # Even the right password waits for the window to end: the guesser learns nothing.
        right = api_client.post(
            LOGIN,
            {"email": seller.email.upper(), "password": "s3cret-pass!"},
            format="json",
            REMOTE_ADDR="192.0.2.200",
        )
        assert right.status_code == 429
        assert right.json()["code"] == "rate_limited"
        assert int(right.headers["Retry-After"]) > 0

    def test_the_lockout_ends_with_its_window(self, api_client, seller, clock, settings):
        settings.AUTH_FAILURE_WINDOW_SECONDS = 900
        clock.move_to("2026-11-18 06:00:05+00:00")  # 5 s into a window
        for i in range(5):
            _wrong_login(api_client, seller.email, REMOTE_ADDR=f"192.0.2.{i}")
        locked = _wrong_login(api_client, seller.email, REMOTE_ADDR="192.0.2.9")
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) in range(890, 896)  # until the window ends
        clock.shift(15 * 60)
        ok = api_client.post(
            LOGIN,
            {"email": seller.email, "password": "s3cret-pass!"},
            format="json",
            REMOTE_ADDR="192.0.2.10",
        )
        assert ok.status_code == 200

    def test_a_success_clears_earlier_failures(self, api_client, seller):
        for i in range(4):
            _wrong_login(api_client, seller.email, REMOTE_ADDR=f"192.0.2.{i}")
        ok = api_client.post(
            LOGIN, {"email": seller.email, "password": "s3cret-pass!"}, format="json"
        )
        assert ok.status_code == 200
        for i in range(4):
            assert (
                _wrong_login(api_client, seller.email, REMOTE_ADDR=f"192.0.2.{50 + i}").status_code
                == 401
            )

    def test_other_accounts_are_not_locked(self, api_client, seller, make_seller, agency):
        other = make_seller(agency)
        for i in range(6):
            _wrong_login(api_client, seller.email, REMOTE_ADDR=f"192.0.2.{i}")
        ok = api_client.post(
            LOGIN,
            {"email": other.email, "password": "s3cret-pass!"},
            format="json",
            REMOTE_ADDR="192.0.2.99",
        )
        assert ok.status_code == 200

    def test_password_change_guesses_lock_per_email(self, api_client, seller):
        payload = {"email": seller.email, "old_password": "no", "new_password": "brand-new-pw-9"}
        statuses = [
            api_client.post(RESET, payload, format="json", REMOTE_ADDR=f"192.0.2.{i}").status_code
            for i in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        seller.refresh_from_db()
        assert seller.check_password("s3cret-pass!")
