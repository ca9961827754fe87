"""Every paginated list refuses a page beyond ``MAX_PAGE`` with a 400, never a 500."""

import pytest

from chirpworks.pagination import MAX_PAGE

pytestmark = pytest.mark.django_db


def _paged_urls(seller):
    return [
        "/api/meetings/call_history",
        "/api/actions/",
        "/api/buyers/all",
        f"/api/performance/user/{seller.pk}/calls",
    ]


@pytest.mark.parametrize("page", [MAX_PAGE + 1, "1e20", 10**20, -1, 0])
def test_an_out_of_range_page_is_a_400(client_for, manager, page):
    client = client_for(manager)
    for url in _paged_urls(manager):
        response = client.get(url, {"page": page})
        assert response.status_code == 400, (url, response.content)
        assert set(response.json()) >= {"error", "code"}


def test_the_last_allowed_page_is_an_empty_page(client_for, manager):
    client = client_for(manager)
    for url in _paged_urls(manager):
        response = client.get(url, {"page": MAX_PAGE, "limit": 100})
        assert response.status_code == 200, (url, response.content)
        assert response.json()["pagination"]["current_page"] == MAX_PAGE
