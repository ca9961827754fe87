from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from chirpworks.pagination import PagePagination
from chirpworks.phones import phone_denorm
from chirpworks.schema import ERRORS
from chirpworks.timeframes import DateRangeQuerySerializer, date_range_parse
from chirpworks.views import AgencyAPIView
from insights import leaderboard, selectors
from insights.serializers import (
    CallNextOutputSerializer,
    InsightQuerySerializer,
    LeaderboardOutputSerializer,
    LeaderboardQuerySerializer,
    WarningOutputSerializer,
    WarningQuerySerializer,
)
from sellers.access_selectors import seller_get_visible


class CallNextPagination(PagePagination):
    default_limit = 20


class CallNextApi(AgencyAPIView):
    """Buyers to call next, best first, each with the reasons and evidence behind its score."""

    pagination_class = CallNextPagination

    @extend_schema(
        tags=["insights"],
        parameters=[InsightQuerySerializer],
        responses={200: CallNextOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = InsightQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = selectors.insight_scope(
            actor=request.user, team_member_ids=query.validated_data.get("team_member_ids")
        )
        page = self.paginator.paginate_queryset(
            selectors.call_next_list(scope=scope), request, view=self
        )
        rows = [
            {
                "buyer_id": insight.buyer_id,
                "buyer_name": insight.buyer.name or None,
                "buyer_phone": phone_denorm(insight.buyer.phone),
                "seller_id": insight.seller_id,
                "score": insight.score,
                "reasons": insight.reasons,
                "next_action": insight.next_action,
                "deal_stage": insight.deal_stage or None,
                "last_contacted_at": insight.last_contacted_at,
                "computed_at": insight.computed_at,
            }
            for insight in page
        ]
        body = {"data": rows, "pagination": self.paginator.get_pagination()}
        return Response(CallNextOutputSerializer(body).data)


class WarningListApi(AgencyAPIView):
    """Active deal warnings, newest first; each clears itself when its cause goes away."""

    pagination_class = PagePagination

    @extend_schema(
        tags=["insights"],
        parameters=[WarningQuerySerializer],
        responses={200: WarningOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = WarningQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        seller_id = data.get("seller_id")
        if seller_id:
            seller_get_visible(actor=request.user, seller_id=seller_id)
        scope = selectors.insight_scope(
            actor=request.user, team_member_ids=data.get("team_member_ids")
        )
        warnings = selectors.warning_list(scope=scope, kind=data.get("kind"), seller_id=seller_id)
        page = self.paginator.paginate_queryset(warnings, request, view=self)
        rows = [
            {
                "id": warning.pk,
                "buyer_id": warning.buyer_id,
                "buyer_name": warning.buyer.name or None,
                "seller_id": warning.seller_id,
                "kind": warning.kind,
                "since": warning.since,
                "detail": warning.detail,
                "evidence": warning.evidence,
            }
            for warning in page
        ]
        body = {"data": rows, "pagination": self.paginator.get_pagination()}
        return Response(WarningOutputSerializer(body).data)


class LeaderboardApi(AgencyAPIView):
    """Per seller of a manager's team (an admin: the agency) in a period, ranked."""

    @extend_schema(
        tags=["analytics"],
        parameters=[LeaderboardQuerySerializer, DateRangeQuerySerializer],
        responses={200: LeaderboardOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = leaderboard.leaderboard_scope(
            actor=request.user, team_member_ids=query.validated_data.get("team_member_ids")
        )
        date_range = date_range_parse(
            request.query_params,
            tz=request.user.agency.tzinfo,
            max_days=leaderboard.MAX_DAYS,
            default_days_back=leaderboard.DEFAULT_DAYS_BACK,
            default=leaderboard.DEFAULT_DAYS_BACK,
        )
        sort = query.validated_data["sort"]
        body = {
            "sort": sort,
            "start_date": date_range.start_date,
            "end_date": date_range.end_date,
            "sellers": leaderboard.leaderboard(scope=scope, date_range=date_range, sort=sort),
        }
        return Response(LeaderboardOutputSerializer(body).data)
