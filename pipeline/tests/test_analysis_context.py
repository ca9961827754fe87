"""What an analysis knows besides the transcript (``pipeline.selectors``)."""

import pytest

from agencies.models import Tracker
from meetings.tests.factories import ist, make_meeting
from pipeline.selectors import meeting_analysis_context

pytestmark = pytest.mark.django_db


def test_the_analysers_read_the_trackers(agency, seller):
    Tracker.objects.create(agency=agency, name="competitors", phrases=["star health"])
    meeting = make_meeting(seller, start=ist(2026, 11, 10, 10))
    assert meeting_analysis_context(meeting=meeting).keyword_trackers == {
        "competitors": ["star health"]
    }
