from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from calls.apis import LastSyncedCallTimestampApi
from chirpworks.exceptions import json_not_found
from chirpworks.metrics import metrics_view
from chirpworks.routing import view_dispatch
from chirpworks.views import HealthApi, HelloApi
from insights.buyer_apis import BuyerProfileApi, MeetingNoteApi
from insights.urls import analytics_urlpatterns as insight_analytics_urlpatterns
from insights.urls import buyer_urlpatterns as insight_buyer_urlpatterns
from meetings.dashboard import ops_dashboard
from meetings.performance_apis import CallMetricsApi
from meetings.tracker_apis import TrackerHitsApi
from meetings.user_apis import GetUserApi
from pipeline.worker import apis as worker_apis
from pipeline.worker.auth import request_has_service_token
from rollups.team_apis import TeamApi
from sellers.urls import auth_urlpatterns, user_urlpatterns

api_urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    path("user/get_user", GetUserApi.as_view(), name="user-get"),
    path("user/", include(user_urlpatterns)),
    path("agency/trackers/hits", TrackerHitsApi.as_view(), name="agency-tracker-hits"),
    path("agency/", include("agencies.urls")),
    path("health/hello", HelloApi.as_view(), name="health-hello"),
    path("health/", HealthApi.as_view(), name="health"),
    path(
        "meetings/last_synced_call_timestamp",
        LastSyncedCallTimestampApi.as_view(),
        name="meetings-last-synced",
    ),
    # A note on a meeting is the buyer book's (insights), mounted beside the meetings' routes.
    path("meetings/notes/<uuid:meeting_id>", MeetingNoteApi.as_view(), name="meetings-notes"),
    path("meetings/", include("meetings.urls")),
    # One path, the app's view and a processing worker's (chirpworks.routing).
    path(
        "performance/call/<uuid:meeting_id>/metrics",
        view_dispatch(
            CallMetricsApi.as_view(), routes={"POST": worker_apis.CallMetricsApi.as_view()}
        ),
        name="performance-call-metrics",
    ),
    path("performance/", include("meetings.performance_urls")),
    path("actions/", include("actions.urls")),
    path(
        "buyers/profile/<uuid:buyer_id>",
        view_dispatch(
            BuyerProfileApi.as_view(),
            routes={"PUT": worker_apis.BuyerProfileUpdateApi.as_view()},
            when=request_has_service_token,
        ),
        name="buyers-profile",
    ),
    path("buyers/", include(insight_buyer_urlpatterns)),
    path("buyers/", include("insights.buyer_urls")),
    path("analytics/", include(insight_analytics_urlpatterns)),
    path("analytics/", include("rollups.analytics_urls")),
    path("user/team", TeamApi.as_view(), name="user-team"),
    path("call_records/", include("calls.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and ReDoc come from drf-spectacular-sidecar's static files: they work offline.
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
# Worker endpoints (service token): /api/jobs/*, /api/analysis/*, summary PUT, metrics POST.
api_urlpatterns.append(path("", include("pipeline.worker.urls")))
api_urlpatterns += [path("search/", include("search.urls"))]

urlpatterns = [
    path("admin/ops-dashboard/", ops_dashboard, name="ops-dashboard"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include(api_urlpatterns)),
    # Anything else under /api/ (unknown routes, malformed ids) answers JSON, not an HTML page,
    # whatever the method: the API authenticates by JWT, so CSRF (the admin's) does not apply.
    re_path(r"^api/", csrf_exempt(json_not_found)),
]

handler400 = "chirpworks.exceptions.json_bad_request"
handler403 = "chirpworks.exceptions.json_permission_denied"
handler404 = "chirpworks.exceptions.json_not_found"
handler500 = "chirpworks.exceptions.json_server_error"
