"""Docs that load offline and an admin home that links the ops dashboard (issue 14)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL_ATTRIBUTES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[\w.-]+""")


def _local_assets(client: Client, page: str) -> list[str]:
    """Every asset ``page`` loads; asserts none comes from another host."""
    urls = URL_ATTRIBUTES.findall(page)
    external = [url for url in urls if ABSOLUTE_URL.match(url)]
    assert external == []
    assert not re.search(r"(?:https?:)?//(?:cdn|unpkg|cdnjs)\b", page)
    return [url for url in urls if url.startswith("/static/")]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_reference_no_external_host(path, settings):
    client = Client()
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assets = _local_assets(client, page)
    assert assets, "the page loads its UI from our static files"
    assert "/api/schema/" in page
    for asset in assets:
        assert "drf_spectacular_sidecar" in asset


def test_docs_assets_are_served_by_the_app(live_server):
    import urllib.request

    page = urllib.request.urlopen(f"{live_server.url}/api/docs/").read().decode()  # noqa: S310
    for asset in URL_ATTRIBUTES.findall(page):
        if asset.startswith("/static/"):
            with urllib.request.urlopen(f"{live_server.url}{asset}") as answer:  # noqa: S310
                assert answer.status == 200 and len(answer.read()) > 100


def test_admin_home_links_the_ops_dashboard(staff_client):
    content = staff_client.get(reverse("admin:index")).content.decode()
    assert 'id="ops-dashboard-link"' in content
    assert f'href="{reverse("ops-dashboard")}"' in content
    assert "/admin/meetings/meeting/" in content  # the usual app list is still there
