"""The app's performance reads. The worker's ``POST call/<id>/metrics`` is the pipeline's own view;
``chirpworks.urls`` routes the one path to both (GET/DELETE here)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from chirpworks.pagination import OptionalPagePagination
from chirpworks.timeframes import DateRangeQuerySerializer, date_range_parse
from chirpworks.views import AgencyAPIView
from meetings import performance_selectors, selectors
from meetings.performance_serializers import (
    CallMetricsOutputSerializer,
    MetricOverrideInputSerializer,
    ScoreReviewInputSerializer,
    ScoreReviewOutputSerializer,
    UserCallsOutputSerializer,
    UserCallsQuerySerializer,
    UserMetricsOutputSerializer,
)
from meetings.performance_services import call_score_review, metric_override, performance_delete
from sellers.access_selectors import seller_get_visible
from sellers.serializers import MessageSerializer

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error, code}"),
    401: OpenApiResponse(description="Not authenticated: {error, code, msg}"),
    403: OpenApiResponse(description="Not allowed: {error, code}"),
    404: OpenApiResponse(description="Not found (or another agency's): {error, code}"),
}
MAX_DAYS = 365
DEFAULT_DAYS = 30


class CallMetricsApi(AgencyAPIView):
    """GET and DELETE for the app (access token); POST for processing workers (service token)."""

    # The docstring documents the path; the POST is pipeline.worker.apis.CallMetricsApi.

    @extend_schema(tags=["performance"], responses={200: CallMetricsOutputSerializer, **ERRORS})
    def get(self, request: Request, meeting_id) -> Response:
        performance = performance_selectors.performance_get_visible(
            actor=request.user, meeting_id=meeting_id
        )
        body = {
            "message": "Performance metrics retrieved successfully",
            "performance": performance_selectors.performance_payload(performance=performance),
        }
        return Response(CallMetricsOutputSerializer(body).data)

    @extend_schema(tags=["performance"], responses={200: MessageSerializer, **ERRORS})
    def delete(self, request: Request, meeting_id) -> Response:
        performance = performance_selectors.performance_get_manageable(
            actor=request.user, meeting_id=meeting_id
        )
        performance_delete(performance=performance)
        return Response({"message": "Performance metrics deleted successfully"})


def _seller_and_range(request: Request, user_id) -> tuple:
    """The seller a per-user view reads (404/403 by the access rules) and its date range."""
    seller = seller_get_visible(actor=request.user, seller_id=user_id)
    date_range = date_range_parse(
        request.query_params,
        tz=request.user.agency.tzinfo,
        max_days=MAX_DAYS,
        default_days_back=DEFAULT_DAYS,
        default=DEFAULT_DAYS,
    )
    return seller, date_range


class UserMetricsApi(AgencyAPIView):
    """Daily averages of a seller's call scores (default: the last 30 days)."""

    @extend_schema(
        tags=["performance"],
        parameters=[DateRangeQuerySerializer],
        responses={200: UserMetricsOutputSerializer, **ERRORS},
    )
    def get(self, request: Request, user_id) -> Response:
        seller, date_range = _seller_and_range(request, user_id)
        metrics = performance_selectors.performance_user_metrics(
            seller=seller, date_range=date_range
        )
        body = {
            "message": "User performance metrics retrieved successfully",
            "user_info": seller,
            "date_range": date_range,
            **metrics,
        }
        return Response(UserMetricsOutputSerializer(body).data)


class UserCallsApi(AgencyAPIView):
    """A seller's analysed calls with their scores, newest first."""

    pagination_class = OptionalPagePagination

    @extend_schema(
        tags=["performance"],
        parameters=[UserCallsQuerySerializer],
        responses={200: UserCallsOutputSerializer, **ERRORS},
    )
    def get(self, request: Request, user_id) -> Response:
        seller, date_range = _seller_and_range(request, user_id)
        calls = performance_selectors.performance_user_calls(seller=seller, date_range=date_range)
        body = {
            "message": "User calls retrieved successfully",
            "user_info": seller,
            "date_range": date_range,
        }
        page = self.paginator.paginate_queryset(calls, request, view=self)
        if page is None:
            calls = list(calls)
            body["total_calls"] = len(calls)
        else:
            calls, body["pagination"] = page, self.paginator.get_pagination()
            body["total_calls"] = self.paginator.page.total_count
        body["calls"] = [
            performance_selectors.performance_call_row(performance=row) for row in calls
        ]
        return Response(UserCallsOutputSerializer(body).data)


class CallScoreReviewApi(AgencyAPIView):
    """The call's seller acknowledges or disputes its score, with a comment."""

    @extend_schema(
        tags=["performance"],
        request=ScoreReviewInputSerializer,
        responses={200: ScoreReviewOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, meeting_id) -> Response:
        meeting = selectors.meeting_get_visible(actor=request.user, meeting_id=meeting_id)
        data = ScoreReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = call_score_review(actor=request.user, meeting=meeting, **data.validated_data)
        body = {
            "meeting_id": review.meeting_id,
            "seller_id": review.seller_id,
            "status": review.status,
            "comment": review.comment,
            "reviewed_at": review.updated_at,
        }
        return Response(ScoreReviewOutputSerializer(body).data)


class MetricOverrideApi(AgencyAPIView):
    """A manager of the call's seller (or an admin) overrides one metric's score, with a reason.

    The override is kept with who and when, shown beside the computed score, counted in every
    average, and survives re-analysis.
    """

    @extend_schema(
        tags=["performance"],
        request=MetricOverrideInputSerializer,
        responses={200: CallMetricsOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, meeting_id) -> Response:
        meeting = selectors.meeting_get_visible(actor=request.user, meeting_id=meeting_id)
        data = MetricOverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        performance = metric_override(actor=request.user, meeting=meeting, **data.validated_data)
        body = {
            "message": "Score overridden",
            "performance": performance_selectors.performance_payload(performance=performance),
        }
        return Response(CallMetricsOutputSerializer(body).data)
