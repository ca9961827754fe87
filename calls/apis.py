from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import exotel_services, selectors, sync_services
from calls.serializers import (
    AppCallSyncErrorSerializer,
    AppCallSyncOutputSerializer,
    ExotelWebhookInputSerializer,
    ExotelWebhookOutputSerializer,
    LastSyncedInputSerializer,
    LastSyncedOutputSerializer,
    app_call_items_validate,
    exotel_params,
)
from chirpworks.exceptions import ApplicationError
from chirpworks.parsers import FormParser, JSONParser, MultiPartParser
from chirpworks.permissions import GuestsReadOnly
from chirpworks.schema import error_responses

ERRORS = error_responses(statuses=(401, 403), described={403: "Forbidden: {error, code}"})


class AppCallRecordsApi(APIView):
    """The mobile app's call-log sync: a JSON array of call-log items for the signed-in seller."""

    permission_classes = [IsAuthenticated, GuestsReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["call_records"],
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={
            200: AppCallSyncOutputSerializer,
            400: AppCallSyncErrorSerializer,
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, list):
            raise ApplicationError(
                "The body must be a JSON array of call records",
                code="invalid",
                extra={"created": 0, "duplicate": 0, "rejected": 0, "results": []},
            )
        calls = app_call_items_validate(seller=request.user, items=request.data)
        result = sync_services.app_calls_sync(seller=request.user, calls=calls)
        body = {
            "message": "Mobile app call records processed successfully.",
            "created": result.created,
            "duplicate": result.duplicate,
            "rejected": result.rejected,
            "results": result.results,
        }
        return Response(AppCallSyncOutputSerializer(body).data)


class LastSyncedCallTimestampApi(APIView):
    @extend_schema(
        tags=["meetings"],
        parameters=[LastSyncedInputSerializer],
        responses={200: LastSyncedOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        data = LastSyncedInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        latest = selectors.call_last_synced(
            seller=request.user, seller_number=data.validated_data.get("sellerNumber")
        )
        if latest is None:
            return Response(
                {"message": "No synced calls found", "last_synced_call_timestamp": None}
            )
        source, when = latest
        when = when.astimezone(request.user.agency.tzinfo)
        return Response({"source": source, "last_synced_call_timestamp": when.isoformat()})


WEBHOOK_KEY_PARAMETERS = [
    OpenApiParameter(
        "key",
        OpenApiTypes.STR,
        required=False,
        description="The agency's webhook secret (or send it in X-Exotel-Key).",
    ),
    OpenApiParameter(
        "X-Exotel-Key",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description="The agency's webhook secret; kept out of URLs and access logs.",
    ),
]


class ExotelRecordingWebhookApi(APIView):
    """Exotel's Passthru applet (GET) and Connect StatusCallback (POST, form or JSON).

    Authenticated by the agency's webhook secret, in the ``X-Exotel-Key`` header (preferred: a
    header stays out of access logs) or in ``?key=``. Answers at once; the recording is
    downloaded by a background task.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        tags=["call_records"],
        parameters=[*WEBHOOK_KEY_PARAMETERS, ExotelWebhookInputSerializer],
        responses={
            200: ExotelWebhookOutputSerializer,
            202: ExotelWebhookOutputSerializer,
            400: OpenApiResponse(description="Invalid input: {error, code}"),
            403: OpenApiResponse(description="Wrong or missing key: {error, code}"),
        },
    )
    def get(self, request: Request) -> Response:
        return self._ingest(request)

    @extend_schema(
        tags=["call_records"],
        parameters=WEBHOOK_KEY_PARAMETERS,
        request=ExotelWebhookInputSerializer,
        responses={
            200: ExotelWebhookOutputSerializer,
            202: ExotelWebhookOutputSerializer,
            400: OpenApiResponse(description="Invalid input: {error, code}"),
            403: OpenApiResponse(description="Wrong or missing key: {error, code}"),
        },
    )
    def post(self, request: Request) -> Response:
        return self._ingest(request)

    def _ingest(self, request: Request) -> Response:
        key = request.headers.get("X-Exotel-Key") or request.query_params.get("key", "")
        body = request.data if hasattr(request.data, "items") else {}
        params = exotel_params(query=request.query_params, body=body)
        agency = exotel_services.exotel_agency_for_key(key=key)  # 403 before params are read
        data = ExotelWebhookInputSerializer(data=params)
        data.is_valid(raise_exception=True)
        result = exotel_services.exotel_call_ingest_for_agency(
            agency=agency, params={**params, **data.validated_data}
        )
        body = {"call_sid": result.call.call_sid, "status": result.call.status}
        if not result.seller_known:
            body["message"] = "Exotel call record stored; no seller has this phone number yet."
            return Response(
                ExotelWebhookOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED
            )
        body["message"] = "Exotel call record processed successfully."
        return Response(ExotelWebhookOutputSerializer(body).data)
