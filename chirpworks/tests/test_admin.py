from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chirpworks.admin_display import clock, pretty_json, transcript_lines
from chirpworks.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_heartbeats_are_listed_read_only(staff_client, django_assert_max_num_queries):
    now = timezone.now()
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(hostname="celery@fresh", seen_at=now)]
        + [
            WorkerHeartbeat(hostname=f"celery@old-{i}", seen_at=now - timedelta(hours=1, minutes=i))
            for i in range(2_000)
        ]
    )
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("admin:chirpworks_workerheartbeat_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2_001
    first = response.context["cl"].result_list[0]
    assert first.hostname == "celery@fresh"
    assert 'alt="True"' in response.content.decode()  # the fresh one counts as alive

    page = staff_client.get(
        reverse("admin:chirpworks_workerheartbeat_change", args=["celery@fresh"])
    )
    assert page.status_code == 200 and list(page.context["adminform"].form.fields) == []
    assert staff_client.get(reverse("admin:chirpworks_workerheartbeat_add")).status_code == 403
    delete = reverse("admin:chirpworks_workerheartbeat_delete", args=["celery@fresh"])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403


def test_admin_index_lists_every_model(staff_client):
    content = staff_client.get(reverse("admin:index")).content.decode()
    for name in (
        "sellers/seller",
        "sellers/revokedaccesstoken",
        "agencies/agency",
        "agencies/buyer",
        "products/product",
        "calls/exotelcall",
        "calls/mobileappcall",
        "meetings/meeting",
        "meetings/job",
        "meetings/callperformance",
        "actions/action",
        "chirpworks/workerheartbeat",
        "token_blacklist/outstandingtoken",
    ):
        assert f"/admin/{name}/" in content, name


def test_renderings_escape_and_format():
    assert clock(0.4) == "00:00" and clock(65.9) == "01:05" and clock(3725) == "62:05"
    assert clock(None) == "--:--"
    lines = transcript_lines(
        [
            {"speaker": "Speaker 1", "role": "seller", "text": "a & b", "start": 1},
            {"speaker": "Speaker 2", "role": "buyer", "text": "<i>x</i>", "start": 61},
        ]
    )
    assert lines.endswith(
        "[00:01] Speaker 1 (seller): a &amp; b\n"
        "[01:01] Speaker 2 (buyer): &lt;i&gt;x&lt;/i&gt;</pre>"
    )
    assert transcript_lines([]) == "-"
    assert pretty_json({"a": "<b>"}).endswith("{\n  &quot;a&quot;: &quot;&lt;b&gt;&quot;\n}</pre>")
    assert pretty_json(None) == "-"
