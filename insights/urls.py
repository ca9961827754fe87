from django.urls import path

from insights import apis

# Mounted under /api/buyers/ beside the buyer book's routes.
buyer_urlpatterns = [
    path("call_next", apis.CallNextApi.as_view(), name="buyers-call-next"),
    path("warnings", apis.WarningListApi.as_view(), name="buyers-warnings"),
]

# Mounted under /api/analytics/.
analytics_urlpatterns = [
    path("leaderboard", apis.LeaderboardApi.as_view(), name="analytics-leaderboard"),
]
