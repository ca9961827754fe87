from django.urls import path

from meetings import performance_apis

urlpatterns = [
    path(
        "call/<uuid:meeting_id>/review",
        performance_apis.CallScoreReviewApi.as_view(),
        name="performance-call-review",
    ),
    path(
        "call/<uuid:meeting_id>/override",
        performance_apis.MetricOverrideApi.as_view(),
        name="performance-call-override",
    ),
    path(
        "user/<uuid:user_id>/metrics",
        performance_apis.UserMetricsApi.as_view(),
        name="performance-user-metrics",
    ),
    path(
        "user/<uuid:user_id>/calls",
        performance_apis.UserCallsApi.as_view(),
        name="performance-user-calls",
    ),
]
