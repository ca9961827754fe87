from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from chirpworks.schema import ERRORS
from chirpworks.timeframes import DateRangeQuerySerializer, date_range_parse
from chirpworks.views import AgencyAPIView
from rollups import analytics
from rollups.analytics_serializers import (
    AnalyticsQuerySerializer,
    CallMetricsSerializer,
    CallSeriesSerializer,
    SellerCallAnalyticsSerializer,
    SellerSeriesSerializer,
    TeamCallDataSerializer,
)


def _query(request: Request):
    """The validated ``team_member_ids`` and the date range (max 90 days, agency time)."""
    query = AnalyticsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    date_range = date_range_parse(
        request.query_params,
        tz=request.user.agency.tzinfo,
        max_days=analytics.MAX_DAYS,
        default_days_back=analytics.DEFAULT_DAYS_BACK,
    )
    return query.validated_data.get("team_member_ids"), date_range


class TotalCallDataApi(AgencyAPIView):
    """Calls over time for everyone the caller may see (or the given team members)."""

    @extend_schema(
        tags=["analytics"],
        parameters=[AnalyticsQuerySerializer],
        responses={200: CallSeriesSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        team_member_ids, date_range = _query(request)
        body = analytics.analytics_total_call_data(
            actor=request.user, date_range=date_range, team_member_ids=team_member_ids
        )
        return Response(CallSeriesSerializer(body).data)


class TeamCallDataApi(AgencyAPIView):
    @extend_schema(
        tags=["analytics"],
        parameters=[AnalyticsQuerySerializer],
        responses={200: TeamCallDataSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        team_member_ids, date_range = _query(request)
        rows = analytics.analytics_team_call_data(
            actor=request.user, date_range=date_range, team_member_ids=team_member_ids
        )
        return Response(TeamCallDataSerializer({"seller_data": rows}).data)


class SellerCallAnalyticsApi(AgencyAPIView):
    @extend_schema(
        tags=["analytics"],
        parameters=[AnalyticsQuerySerializer],
        responses={200: SellerCallAnalyticsSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        team_member_ids, date_range = _query(request)
        rows = analytics.analytics_seller_call_analytics(
            actor=request.user, date_range=date_range, team_member_ids=team_member_ids
        )
        return Response(SellerCallAnalyticsSerializer({"seller_data": rows}).data)


class SellerCallDataApi(AgencyAPIView):
    @extend_schema(
        tags=["analytics"],
        parameters=[DateRangeQuerySerializer],
        responses={200: CallMetricsSerializer, **ERRORS},
    )
    def get(self, request: Request, seller_id) -> Response:
        _, date_range = _query(request)
        body = analytics.analytics_seller_call_data(
            actor=request.user, seller_id=seller_id, date_range=date_range
        )
        return Response(CallMetricsSerializer(body).data)


class SellerSeriesApi(AgencyAPIView):
    @extend_schema(
        tags=["analytics"],
        parameters=[DateRangeQuerySerializer],
        responses={200: SellerSeriesSerializer, **ERRORS},
    )
    def get(self, request: Request, seller_id) -> Response:
        _, date_range = _query(request)
        body = analytics.analytics_seller_series(
            actor=request.user, seller_id=seller_id, date_range=date_range
        )
        return Response(SellerSeriesSerializer(body).data)
