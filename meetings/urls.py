from django.urls import path

from meetings import apis

urlpatterns = [
    path("call_history", apis.CallHistoryApi.as_view(), name="meetings-call-history"),
    path(
        "call_data/transcription/<uuid:meeting_id>",
        apis.MeetingTranscriptionApi.as_view(),
        name="meetings-transcription",
    ),
    path(
        "call_data/feedback/<uuid:meeting_id>",
        apis.MeetingFeedbackApi.as_view(),
        name="meetings-feedback",
    ),
    path("call_data/<uuid:meeting_id>", apis.MeetingDetailApi.as_view(), name="meetings-detail"),
]
