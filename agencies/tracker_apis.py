from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from agencies import tracker_selectors as selectors
from agencies import tracker_services as services
from agencies.tracker_serializers import (
    TrackerInputSerializer,
    TrackerListSerializer,
    TrackerSerializer,
    TrackerUpdateSerializer,
)
from chirpworks.schema import error_responses
from chirpworks.views import AgencyAPIView

ERRORS = error_responses(described={403: "Not allowed (admins and managers write): {error, code}"})


class TrackerListApi(AgencyAPIView):
    """The agency's keyword trackers: everyone reads; admins and managers add."""

    @extend_schema(tags=["agency"], responses={200: TrackerListSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        trackers = selectors.tracker_list(actor=request.user)
        return Response(TrackerListSerializer({"trackers": trackers}).data)

    @extend_schema(
        tags=["agency"],
        request=TrackerInputSerializer,
        responses={201: TrackerSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = TrackerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tracker = services.tracker_create(actor=request.user, **data.validated_data)
        return Response(TrackerSerializer(tracker).data, status=status.HTTP_201_CREATED)


class TrackerDetailApi(AgencyAPIView):
    @extend_schema(
        tags=["agency"],
        operation_id="agency_tracker_retrieve",
        responses={200: TrackerSerializer, **ERRORS},
    )
    def get(self, request: Request, tracker_id) -> Response:
        tracker = selectors.tracker_get(actor=request.user, tracker_id=tracker_id)
        return Response(TrackerSerializer(tracker).data)

    @extend_schema(
        tags=["agency"],
        request=TrackerUpdateSerializer,
        responses={200: TrackerSerializer, **ERRORS},
    )
    def patch(self, request: Request, tracker_id) -> Response:
        tracker = selectors.tracker_get(actor=request.user, tracker_id=tracker_id)
        data = TrackerUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tracker = services.tracker_update(
            actor=request.user, tracker=tracker, data=data.validated_data
        )
        return Response(TrackerSerializer(tracker).data)

    @extend_schema(tags=["agency"], responses={204: None, **ERRORS})
    def delete(self, request: Request, tracker_id) -> Response:
        tracker = selectors.tracker_get(actor=request.user, tracker_id=tracker_id)
        services.tracker_delete(actor=request.user, tracker=tracker)
        return Response(status=status.HTTP_204_NO_CONTENT)
