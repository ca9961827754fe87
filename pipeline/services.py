"""Writes of the pipeline besides a job's run (``processing``)."""

from typing import Any

from chirpworks.exceptions import ApplicationError
from meetings.analysis_services import meeting_update_summary
from meetings.models import Meeting
from pipeline.analysis.base import InvalidAnalysis
from pipeline.analysis.schema import validate_analysis_update


def meeting_update_summary_from_worker(*, meeting: Meeting, data: Any) -> dict[str, Any]:
    """A worker's ``PUT …/summary/<id>``: checked by the providers' analysis schema (400 saying
    what is wrong, nothing written), then stored like any analysis update."""
    try:
        analysis = validate_analysis_update(data)
    except InvalidAnalysis as exc:
        raise ApplicationError(f"Invalid analysis: {exc}", code="invalid_analysis") from exc
    return meeting_update_summary(meeting=meeting, data=analysis)
