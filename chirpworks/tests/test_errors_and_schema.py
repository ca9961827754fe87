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
    from meetings import user_apis as apis

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


@pytest.fixture(scope="module")
def schema_document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_call_history_documents_both_of_its_shapes(schema_document):
    """Issue 17 #12: paged call_history returns {data, pagination}, the bare one an array."""
    ok = schema_document["paths"]["/api/meetings/call_history"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    shapes = schema_document["components"]["schemas"][ref]["oneOf"]
    assert {shape.get("type") for shape in shapes} == {"array", None}
    page = next(s["$ref"] for s in shapes if "$ref" in s).rsplit("/", 1)[1]
    assert set(schema_document["components"]["schemas"][page]["properties"]) == {
        "data",
        "pagination",
    }


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/refresh", "/api/auth/signup"])
def test_auth_routes_document_their_error_answers(schema_document, path):
    responses = schema_document["paths"][path]["post"]["responses"]
    for status in ("400", "401", "403", "404", "413", "429", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_sync_400_documents_what_every_400_carries(schema_document):
    operation = schema_document["paths"]["/api/call_records/post_app_call_record"]["post"]
    ref = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    error = schema_document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(error["required"]) == {"error", "code"}
    assert {"created", "duplicate", "rejected", "results"} <= set(error["properties"])


def test_non_array_sync_body_carries_the_documented_counts(client_for, seller):
    response = client_for(seller).post(
        "/api/call_records/post_app_call_record", {"a": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "The body must be a JSON array of call records",
        "code": "invalid",
        "created": 0,
        "duplicate": 0,
        "rejected": 0,
        "results": [],
    }
