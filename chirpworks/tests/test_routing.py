"""``chirpworks.routing.view_dispatch``: one path, a view class per caller, answering as one."""

import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "routing-test-token"
METRICS_ALLOW = "GET, POST, DELETE, HEAD, OPTIONS"
PROFILE_ALLOW = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.WORKER_SERVICE_TOKEN = TOKEN


def metrics_url() -> str:
    return f"/api/performance/call/{uuid.uuid4()}/metrics"


def profile_url() -> str:
    return f"/api/buyers/profile/{uuid.uuid4()}"


def test_every_response_allows_the_methods_of_the_whole_path(client_for, seller):
    app = client_for(seller)
    worker = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    responses = {
        "app GET metrics": (app.get(metrics_url()), METRICS_ALLOW),
        "app PATCH metrics": (app.patch(metrics_url()), METRICS_ALLOW),
        "worker POST metrics": (worker.post(metrics_url()), METRICS_ALLOW),
        "app GET profile": (app.get(profile_url()), PROFILE_ALLOW),
        "app POST profile": (app.post(profile_url()), PROFILE_ALLOW),
        "worker PUT profile": (
            worker.put(profile_url(), {}, content_type="application/json"),
            PROFILE_ALLOW,
        ),
    }
    for what, (response, allow) in responses.items():
        assert response["Allow"] == allow, what


def test_each_method_goes_to_the_view_of_its_caller(client_for, seller):
    worker = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert worker.post(metrics_url()).json()["code"] == "no_data"  # the worker's view
    assert worker.get(metrics_url()).status_code == 401  # the app's view: no seller token
    anonymous = Client().post(metrics_url(), {}, content_type="application/json")
    assert anonymous.json()["code"] == "service_token_missing"
    # PUT profile: the worker's view with the service token, else the app's.
    assert worker.put(profile_url(), {}).json()["code"] == "buyer_not_found"
    wrong = Client(HTTP_AUTHORIZATION="Bearer not-the-token").put(profile_url(), {})
    assert wrong.status_code == 401
    assert client_for(seller).put(profile_url(), {}, format="json").status_code == 404
