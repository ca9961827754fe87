import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_unknown_api_route_is_json_404(api_client):
    response = api_client.get("/api/does/not/exist")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "code": "not_found"}


def test_wrong_method_is_json_405(api_client):
    response = api_client.get("/api/auth/login")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_400(api_client):
    response = api_client.post("/api/auth/login", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unhandled_errors_are_json_500_without_details(client_for, seller, monkeypatch):
    from sellers import apis

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(apis, "performance_summary", explode)
    client = client_for(seller)
    client.raise_request_exception = False
    response = client.get("/api/user/get_user")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error", "code": "server_error"}


def test_health_hello(api_client):
    assert api_client.get("/api/health/hello").json() == {"message": "Hello, World!"}


def test_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert "/api/auth/login" in yaml.safe_load(schema.content)["paths"]
    assert api_client.get("/api/docs/").status_code == 200


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
