from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from chirpworks.pagination import Page, page_params, wants_pagination
from chirpworks.schema import ERRORS
from chirpworks.timeframes import date_range_parse
from chirpworks.views import AgencyAPIView
from meetings import history_selectors, performance_selectors, selectors, services
from meetings.serializers import (
    CallHistoryPageSerializer,
    CallHistoryQuerySerializer,
    CallRecordSerializer,
    FeedbackSerializer,
    MeetingCorrectionInputSerializer,
    MeetingDetailSerializer,
    TranscriptionSerializer,
)
from sellers.team_serializers import TeamMembersQuerySerializer


class CallHistoryApi(AgencyAPIView):
    """Meetings and unmatched app calls, newest first; a bare array unless page/limit is sent."""

    @extend_schema(
        tags=["meetings"],
        parameters=[CallHistoryQuerySerializer],
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="CallHistory",
                    serializers=[CallRecordSerializer(many=True), CallHistoryPageSerializer()],
                    resource_type_field_name=None,
                    many=False,
                ),
                description="A bare array; with page or limit, {data, pagination}.",
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        query = TeamMembersQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        date_range = date_range_parse(request.query_params, tz=request.user.agency.tzinfo)
        team_member_ids = query.validated_data.get("team_member_ids")
        # Rows are built in the contract's shape by the selector; a serializer pass per row
        # would cost more than the queries on a long history.
        if not wants_pagination(request):
            records = history_selectors.call_history_for(
                actor=request.user, team_member_ids=team_member_ids, date_range=date_range
            )
            return Response(records)
        # Paged by hand, not by a pagination class: the page is cut from a UNION of two tables.
        number, limit = page_params(request)
        records, total = history_selectors.call_history_page_for(
            actor=request.user,
            team_member_ids=team_member_ids,
            date_range=date_range,
            number=number,
            limit=limit,
        )
        page = Page(items=records, number=number, limit=limit, total_count=total)
        return Response({"data": records, "pagination": page.meta()})


def meeting_detail_body(meeting, *, agency) -> dict:
    job = getattr(meeting, "job", None)
    return {
        "id": meeting.pk,
        "buyer_id": meeting.buyer_id,
        "seller_id": meeting.seller_id,
        "source": meeting.source,
        "start_time": meeting.start_time,
        "end_time": meeting.end_time,
        "transcription": selectors.meeting_transcription_text(meeting=meeting),
        "direction": meeting.direction or None,
        "title": meeting.title,
        "key_discussion_points": meeting.key_discussion_points,
        "summary": meeting.summary,
        "type": meeting.type,
        "detected_call_type": meeting.detected_call_type,
        "detected_products": meeting.detected_products,
        "job": job,
        "performance": performance_selectors.meeting_performance_payload(meeting=meeting),
        "recording_disclosure": selectors.meeting_recording_disclosure(
            meeting=meeting, agency=agency
        ),
        **selectors.meeting_insights(meeting=meeting),
    }


class MeetingDetailApi(AgencyAPIView):
    @extend_schema(tags=["meetings"], responses={200: MeetingDetailSerializer, **ERRORS})
    def get(self, request: Request, meeting_id) -> Response:
        meeting = selectors.meeting_get_visible(actor=request.user, meeting_id=meeting_id)
        return Response(
            MeetingDetailSerializer(meeting_detail_body(meeting, agency=request.user.agency)).data
        )

    @extend_schema(
        tags=["meetings"],
        request=MeetingCorrectionInputSerializer,
        responses={200: MeetingDetailSerializer, **ERRORS},
        description="Correct the summary, deal stage or products (seller, manager or admin who "
        "may see the meeting; never a guest). Corrections are kept with who and when, and a "
        "later re-analysis leaves them as corrected.",
    )
    def patch(self, request: Request, meeting_id) -> Response:
        meeting = selectors.meeting_get_visible(actor=request.user, meeting_id=meeting_id)
        data = MeetingCorrectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.meeting_correct(
            meeting=meeting,
            actor=request.user,
            data=data.validated_data,
            catalogue=selectors.agency_catalogue(agency_id=meeting.agency_id),
        )
        meeting = selectors.meeting_get_visible(actor=request.user, meeting_id=meeting_id)
        return Response(
            MeetingDetailSerializer(meeting_detail_body(meeting, agency=request.user.agency)).data
        )


class MeetingTranscriptionApi(AgencyAPIView):
    @extend_schema(tags=["meetings"], responses={200: TranscriptionSerializer, **ERRORS})
    def get(self, request: Request, meeting_id) -> Response:
        meeting = selectors.meeting_get_visible(actor=request.user, meeting_id=meeting_id)
        body = {
            "id": meeting.pk,
            "transcription": selectors.meeting_transcription_text(meeting=meeting),
        }
        return Response(TranscriptionSerializer(body).data)


class MeetingFeedbackApi(AgencyAPIView):
    """The call's performance reasons (the old endpoint always failed)."""

    @extend_schema(tags=["meetings"], responses={200: FeedbackSerializer, **ERRORS})
    def get(self, request: Request, meeting_id) -> Response:
        body = performance_selectors.meeting_feedback(actor=request.user, meeting_id=meeting_id)
        return Response(FeedbackSerializer(body).data)
