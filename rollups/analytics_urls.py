from django.urls import path

from rollups import analytics_apis as apis

urlpatterns = [
    path("total_call_data", apis.TotalCallDataApi.as_view(), name="analytics-total"),
    path("team_call_data", apis.TeamCallDataApi.as_view(), name="analytics-team"),
    path(
        "seller_call_analytics",
        apis.SellerCallAnalyticsApi.as_view(),
        name="analytics-seller-call-analytics",
    ),
    path(
        "call_data/<uuid:seller_id>", apis.SellerCallDataApi.as_view(), name="analytics-call-data"
    ),
    path(
        "seller_call_data/<uuid:seller_id>",
        apis.SellerSeriesApi.as_view(),
        name="analytics-seller-call-data",
    ),
]
