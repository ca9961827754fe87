"""Call records in the ops console: 2,000-row change lists without a query per row, and Exotel's
raw payload shown pretty-printed and escaped. (Reconciliation from the admin is tested in
``test_command_admin.py``.)"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from calls.models import AppCallStatus, CallType, ExotelCall, MobileAppCall

pytestmark = pytest.mark.django_db

ROWS = 2_000
T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)


@pytest.fixture
def many_calls(agency, seller) -> None:
    app_calls = MobileAppCall.objects.bulk_create(
        MobileAppCall(
            seller=seller,
            app_call_id=f"app-{i}",
            buyer_number=f"+91970{i:07d}",
            seller_number=seller.phone,
            call_type=CallType.OUTGOING,
            start_time=T0 + timedelta(minutes=i),
            end_time=T0 + timedelta(minutes=i, seconds=60),
            duration=60,
            status=AppCallStatus.PROCESSING,
        )
        for i in range(ROWS)
    )
    ExotelCall.objects.bulk_create(
        ExotelCall(
            call_sid=f"CA{i}",
            agency=agency,
            seller=seller,
            mobile_call=app_call,
            from_number=seller.phone,
            to_number=app_call.buyer_number,
            buyer_number=app_call.buyer_number,
            status="completed",
            start_time=app_call.start_time,
            raw_payload={"CallSid": f"CA{i}"},
        )
        for i, app_call in enumerate(app_calls)
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("calls_exotelcall", {}),
        (
            "calls_exotelcall",
            {"matched": "no", "seller_known": "yes", "status__exact": "completed"},
        ),
        ("calls_exotelcall", {"q": "CA1999"}),
        ("calls_mobileappcall", {}),
        ("calls_mobileappcall", {"matched": "no", "seller__agency__id__exact": "x"}),
        ("calls_mobileappcall", {"start_time__year": "2025", "start_time__month": "3"}),
    ],
)
def test_no_query_per_row(
    staff_client, many_calls, agency, name, params, django_assert_max_num_queries
):
    params = {k: (str(agency.pk) if v == "x" else v) for k, v in params.items()}
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(f"admin:{name}_changelist"), params)
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.full_result_count == ROWS
    assert changelist.result_count >= 1
    assert len(changelist.result_list) == min(changelist.result_count, 100)


def test_exotel_call_page_shows_the_raw_payload_read_only(staff_client, agency, seller):
    call = ExotelCall.objects.create(
        call_sid="CA-raw",
        agency=agency,
        seller=seller,
        raw_payload={"CallSid": "CA-raw", "CustomField": "<img src=x>", "Legs": [{"n": 1}]},
    )
    response = staff_client.get(reverse("admin:calls_exotelcall_change", args=[call.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<pre" in content
    assert "&quot;CustomField&quot;: &quot;&lt;img src=x&gt;&quot;" in content
    assert '"Legs": [\n    {\n      "n": 1' in content.replace("&quot;", '"')
    assert "raw_payload" not in response.context["adminform"].form.fields


def test_app_call_page_loads(staff_client, seller):
    call = MobileAppCall.objects.create(
        seller=seller,
        app_call_id="a1",
        buyer_number="+919812345678",
        seller_number=seller.phone,
        call_type=CallType.INCOMING,
        start_time=T0,
        end_time=T0,
        status=AppCallStatus.MISSED,
    )
    response = staff_client.get(reverse("admin:calls_mobileappcall_change", args=[call.pk]))
    assert response.status_code == 200
