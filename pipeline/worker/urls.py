"""Routes of the worker endpoints, mounted under /api/ (see pipeline.worker.apis).

POST /api/performance/call/<id>/metrics and PUT /api/buyers/profile/<id> share their paths with
the app's views, so ``chirpworks.urls`` routes them (``chirpworks.routing.view_dispatch``).
"""

from django.urls import path

from pipeline.worker import apis as worker_apis

urlpatterns = [
    path(
        "jobs/by_meeting/<uuid:meeting_id>",
        worker_apis.JobByMeetingApi.as_view(),
        name="jobs-by-meeting",
    ),
    path("jobs/update_status", worker_apis.JobUpdateStatusApi.as_view(), name="jobs-update-status"),
    path("jobs/<uuid:job_id>/status", worker_apis.JobStatusApi.as_view(), name="jobs-status"),
    path(
        "jobs/<uuid:job_id>/audio_url", worker_apis.JobAudioUrlApi.as_view(), name="jobs-audio-url"
    ),
    path(
        "jobs/<uuid:job_id>/meeting/transcription",
        worker_apis.JobTranscriptionApi.as_view(),
        name="jobs-transcription",
    ),
    path("jobs/<uuid:job_id>/context", worker_apis.JobContextApi.as_view(), name="jobs-context"),
    path(
        "analysis/trigger_analysis",
        worker_apis.TriggerAnalysisApi.as_view(),
        name="analysis-trigger",
    ),
    path(
        "meetings/call_data/summary/<uuid:meeting_id>",
        worker_apis.CallSummaryApi.as_view(),
        name="meetings-summary-update",
    ),
]
