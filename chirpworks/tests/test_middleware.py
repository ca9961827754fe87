import uuid

from meetings.tests.factories import ist, make_meeting


def test_a_rendered_response_keeps_its_bytes_but_releases_its_data(client_for, seller):
    make_meeting(seller, start=ist(2025, 3, 10, 10))
    response = client_for(seller).get(
        "/api/meetings/call_history", {"start_date": "2025-03-01", "end_date": "2025-03-31"}
    )
    assert response.status_code == 200
    assert len(response.json()) == 1
    # The rows are not left to the cyclic garbage collector with DRF's view and request.
    assert response.data is None


def test_errors_are_rendered_before_their_data_is_released(client_for, seller):
    response = client_for(seller).get(f"/api/meetings/call_data/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"]
    assert response.data is None
