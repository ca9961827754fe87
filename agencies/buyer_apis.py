from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from actions import selectors as action_selectors
from agencies import buyer_selectors as selectors
from agencies import services
from agencies.buyer_serializers import (
    BuyerActionsCountSerializer,
    BuyerActionsSerializer,
    BuyerCreateInputSerializer,
    BuyerCreateOutputSerializer,
    BuyerListOutputSerializer,
    BuyerListQuerySerializer,
    BuyerProductCatalogueSerializer,
    BuyerProfileSerializer,
    BuyerProfileUpdateInputSerializer,
    BuyerProfileUpdateOutputSerializer,
    BuyerSearchOutputSerializer,
    BuyerSearchQuerySerializer,
)
from chirpworks.pagination import paginate
from chirpworks.phones import phone_denorm
from meetings.selectors import call_history_records
from meetings.serializers import CallRecordSerializer
from meetings.worker_auth import WorkerPrincipal, WorkerServiceTokenAuthentication
from sellers.access_selectors import scope_visible
from sellers.app_views import AgencyAPIView

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error, code}"),
    401: OpenApiResponse(description="Not authenticated: {error, code, msg}"),
    403: OpenApiResponse(description="Not allowed: {error, code}"),
    404: OpenApiResponse(description="Not found, or not a buyer the caller may see: {error, code}"),
}


class BuyerListApi(AgencyAPIView):
    """The buyers the caller may see, most recently contacted first, a page at a time."""

    @extend_schema(
        tags=["buyers"],
        parameters=[BuyerListQuerySerializer],
        responses={200: BuyerListOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        BuyerListQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        page = paginate(selectors.buyer_list(actor=request.user), request)
        body = {
            "buyers": [selectors.buyer_row(buyer) for buyer in page.items],
            "pagination": page.meta(),
            "agency_id": request.user.agency_id,
        }
        return Response(BuyerListOutputSerializer(body).data)


class BuyerProfileApi(AgencyAPIView):
    """GET for the app; PUT for the app (seller token) or a processing worker (service token).

    A seller reads and updates only the buyers they may see; a worker updates any buyer.
    """

    def get_authenticators(self):
        if getattr(self.request, "method", None) == "PUT":
            return [WorkerServiceTokenAuthentication(), *super().get_authenticators()]
        return super().get_authenticators()

    def _is_worker(self) -> bool:
        return isinstance(getattr(self.request, "_user", None), WorkerPrincipal)

    def get_permissions(self):
        return [] if self._is_worker() else super().get_permissions()

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        if self._is_worker():
            return APIView.initial(self, request, *args, **kwargs)
        return super().initial(request, *args, **kwargs)

    @extend_schema(tags=["buyers"], responses={200: BuyerProfileSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        body = {
            **selectors.buyer_row(buyer),
            "risks": buyer.risks,
            "products_discussed": selectors.buyer_products_discussed(buyer=buyer),
            "key_highlights": buyer.key_highlights,
        }
        return Response(BuyerProfileSerializer(body).data)

    @extend_schema(
        tags=["buyers"],
        request=BuyerProfileUpdateInputSerializer,
        responses={200: BuyerProfileUpdateOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, buyer_id) -> Response:
        if self._is_worker():
            buyer = selectors.buyer_get_for_worker(buyer_id=buyer_id)
        else:
            buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        data = BuyerProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        buyer = services.buyer_update_profile(buyer=buyer, data=data.validated_data)
        body = {
            "id": buyer.pk,
            "phone": phone_denorm(buyer.phone),
            "name": buyer.name or None,
            "email": buyer.email or None,
            "risks": buyer.risks,
            "products_discussed": buyer.products_discussed,
            "key_highlights": buyer.key_highlights,
        }
        return Response(BuyerProfileUpdateOutputSerializer(body).data)


class BuyerCallHistoryApi(AgencyAPIView):
    """The buyer's calls with the sellers the caller may see, newest first (a bare array)."""

    @extend_schema(tags=["buyers"], responses={200: CallRecordSerializer(many=True), **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        records = call_history_records(scope=scope_visible(actor=request.user), buyer=buyer)
        return Response(records)


class BuyerProductCatalogueApi(AgencyAPIView):
    @extend_schema(tags=["buyers"], responses={200: BuyerProductCatalogueSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        body = {
            "id": buyer.pk,
            "products_discussed": selectors.buyer_product_catalogue(buyer=buyer),
        }
        return Response(BuyerProductCatalogueSerializer(body).data)


class BuyerActionsCountApi(AgencyAPIView):
    @extend_schema(tags=["buyers"], responses={200: BuyerActionsCountSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        count = action_selectors.buyer_pending_actions_count(actor=request.user, buyer_id=buyer.pk)
        return Response({"buyer_id": buyer.pk, "pending_actions_count": count})


class BuyerActionsApi(AgencyAPIView):
    """The buyer's actions the caller may see: pending first, then by due date."""

    @extend_schema(tags=["buyers"], responses={200: BuyerActionsSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        actions = action_selectors.action_rows(
            action_selectors.buyer_actions(actor=request.user, buyer_id=buyer.pk)
        )
        return Response({"buyer_id": buyer.pk, "actions": actions, "total_count": len(actions)})


class BuyerCreateApi(AgencyAPIView):
    """A new buyer in the caller's agency, visible to the caller from then on.

    409 when the agency already has a buyer with that phone, whether or not the caller may see it.
    """

    @extend_schema(
        tags=["buyers"],
        request=BuyerCreateInputSerializer,
        responses={201: BuyerCreateOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = BuyerCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {key: value for key, value in data.validated_data.items() if value is not None}
        buyer = services.buyer_create(agency=request.user.agency, created_by=request.user, **fields)
        body = {
            "message": "Buyer created successfully",
            "buyer": {
                "id": buyer.pk,
                "name": buyer.name,
                "phone": phone_denorm(buyer.phone),
                "email": buyer.email or None,
                "company_name": buyer.company_name or None,
                "agency_id": buyer.agency_id,
                "risks": buyer.risks,
                "products_discussed": buyer.products_discussed,
                "key_highlights": buyer.key_highlights,
            },
        }
        return Response(BuyerCreateOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class BuyerSearchApi(AgencyAPIView):
    """Find the buyers the caller may see by name, company, phone or email, best match first."""

    @extend_schema(
        tags=["buyers"],
        parameters=[BuyerSearchQuerySerializer],
        responses={
            200: BuyerSearchOutputSerializer,
            429: OpenApiResponse(description="{error, code: RATE_LIMIT_EXCEEDED, rate_limit}"),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        query = BuyerSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rate_limit = selectors.buyer_search_rate_limit(actor=request.user)
        body = selectors.buyer_search(actor=request.user, **query.validated_data)
        return Response(BuyerSearchOutputSerializer({**body, "rate_limit": rate_limit}).data)
