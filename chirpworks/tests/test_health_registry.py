"""The /health report's checks come from a registry the apps fill in ``AppConfig.ready``
(chirpworks imports no app); the report keeps one key order whatever order the apps load in."""

import json

import pytest

from chirpworks import health

pytestmark = pytest.mark.django_db


def test_the_report_lists_checks_and_backlog_counts_in_their_fixed_order(api_client):
    record = {"stuck_jobs": 0, "overdue_jobs": 0, "overdue_recordings": 0}
    text = api_client.get("/api/health/").content.decode()
    body = json.loads(text)
    assert list(body["checks"]) == list(health.CHECK_ORDER)
    backlog = body["checks"]["backlog"]
    assert [k for k in backlog if k in record] == list(health.BACKLOG_ORDER)
    assert text.index('"stuck_jobs"') < text.index('"overdue_recordings"') < text.index('"storage"')


def test_the_apps_filled_their_slots():
    assert set(health.CHECKS) == set(health.CHECK_ORDER)
    assert set(health.BACKLOG) == set(health.BACKLOG_ORDER)


def test_an_unknown_slot_is_refused():
    with pytest.raises(ValueError, match="CHECK_ORDER"):
        health.check_register(name="disk", check=dict)
    with pytest.raises(ValueError, match="BACKLOG_ORDER"):
        health.backlog_register(name="late_emails", count=int)
