from django.urls import path

from calls import apis

urlpatterns = [
    path("post_app_call_record", apis.AppCallRecordsApi.as_view(), name="call-records-app-sync"),
    path(
        "post_exotel_recording",
        apis.ExotelRecordingWebhookApi.as_view(),
        name="call-records-exotel-webhook",
    ),
]
