from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import selectors, services
from agencies.serializers import (
    AddSellerInputSerializer,
    AddSellerOutputSerializer,
    AgencyCreateInputSerializer,
    AgencyCreateOutputSerializer,
    AgencyDetailsSerializer,
    AgencyNamesSerializer,
    AgencySelectorSerializer,
    AgencySellersSerializer,
    ProductCatalogueSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
    UpdateDescriptionInputSerializer,
    UpdateDescriptionOutputSerializer,
)
from chirpworks.phones import phone_raw
from chirpworks.schema import ERRORS
from products import services as product_services
from sellers import services as seller_services
from sellers.permissions import IsAgencyAdmin, IsStaff


def _agency_from_query(request: Request):
    selector = AgencySelectorSerializer(data=request.query_params)
    selector.is_valid(raise_exception=True)
    return selectors.agency_resolve(actor=request.user, **selector.validated_data)


class AgencyNamesApi(APIView):
    """Public: the agency names the signup screen offers."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["agency"], responses={200: AgencyNamesSerializer})
    def get(self, request: Request) -> Response:
        return Response({"agencies": selectors.agency_names()})


class AgencyCreateApi(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        tags=["agency"],
        request=AgencyCreateInputSerializer,
        responses={201: AgencyCreateOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = AgencyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = services.agency_create(**data.validated_data)
        body = {
            "message": "Agency created successfully",
            "agency_id": agency.pk,
            "agency_name": agency.name,
        }
        return Response(AgencyCreateOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class ProductCreateApi(APIView):
    permission_classes = [IsAuthenticated, IsAgencyAdmin]

    @extend_schema(
        tags=["agency"],
        request=ProductCreateInputSerializer,
        responses={201: ProductOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = ProductCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agency = selectors.agency_resolve(
            actor=request.user,
            agency_id=fields.pop("agency_id", None) or request.query_params.get("agency_id"),
            agency_name=fields.pop("agency_name", None) or request.query_params.get("agency_name"),
        )
        product = product_services.product_create(agency=agency, **fields)
        body = {
            "message": "Product created successfully",
            "product_id": product.pk,
            "product_name": product.name,
            "agency_id": agency.pk,
            "agency_name": agency.name,
            "description": product.description,
            "features": product.features,
        }
        return Response(ProductOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class ProductUpdateApi(APIView):
    permission_classes = [IsAuthenticated, IsAgencyAdmin]

    @extend_schema(
        tags=["agency"],
        request=ProductUpdateInputSerializer,
        responses={200: ProductOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def put(self, request: Request, product_id) -> Response:
        product = selectors.product_get_for(actor=request.user, product_id=product_id)
        data = ProductUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = product_services.product_update(product=product, data=data.validated_data)
        body = {
            "message": "Product updated successfully",
            "product_id": product.pk,
            "product_name": product.name,
            "agency_id": product.agency_id,
            "description": product.description,
            "features": product.features,
        }
        return Response(ProductOutputSerializer(body).data)


class UpdateDescriptionApi(APIView):
    permission_classes = [IsAuthenticated, IsAgencyAdmin]

    @extend_schema(
        tags=["agency"],
        parameters=[AgencySelectorSerializer],
        request=UpdateDescriptionInputSerializer,
        responses={200: UpdateDescriptionOutputSerializer, **ERRORS},
    )
    def put(self, request: Request) -> Response:
        agency = _agency_from_query(request)
        data = UpdateDescriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = services.agency_update_description(agency=agency, **data.validated_data)
        body = {
            "message": "Agency description updated successfully",
            "agency_id": agency.pk,
            "agency_name": agency.name,
            "description": agency.description,
        }
        return Response(UpdateDescriptionOutputSerializer(body).data)


class AddSellerApi(APIView):
    permission_classes = [IsAuthenticated, IsAgencyAdmin]

    @extend_schema(
        tags=["agency"],
        parameters=[AgencySelectorSerializer],
        request=AddSellerInputSerializer,
        responses={201: AddSellerOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        agency = _agency_from_query(request)
        data = AddSellerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seller = seller_services.seller_create(agency=agency, **data.validated_data)
        body = {
            "message": "Seller added successfully",
            "seller_id": seller.pk,
            "seller_name": seller.name,
            "seller_email": seller.email,
            "seller_phone": phone_raw(seller.phone),
            "agency_id": agency.pk,
            "agency_name": agency.name,
            "role": seller.role,
        }
        return Response(AddSellerOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class ProductCatalogueApi(APIView):
    """The agency's products; any member of the agency may read them."""

    @extend_schema(
        tags=["agency"],
        parameters=[AgencySelectorSerializer],
        responses={200: ProductCatalogueSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        agency = _agency_from_query(request)
        products = list(selectors.agency_products(agency=agency))
        body = {
            "agency_id": agency.pk,
            "agency_name": agency.name,
            "products": products,
            "total_count": len(products),
        }
        return Response(ProductCatalogueSerializer(body).data)


class AgencySellersApi(APIView):
    permission_classes = [IsAuthenticated, IsAgencyAdmin]

    @extend_schema(
        tags=["agency"],
        parameters=[AgencySelectorSerializer],
        responses={200: AgencySellersSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        agency = _agency_from_query(request)
        sellers = list(selectors.agency_sellers(agency=agency))
        body = {
            "agency_id": agency.pk,
            "agency_name": agency.name,
            "sellers": sellers,
            "total_count": len(sellers),
        }
        return Response(AgencySellersSerializer(body).data)


class AgencyDetailsApi(APIView):
    """The agency's name and description; any member of the agency may read them."""

    @extend_schema(
        tags=["agency"],
        parameters=[AgencySelectorSerializer],
        responses={200: AgencyDetailsSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        agency = _agency_from_query(request)
        return Response(AgencyDetailsSerializer(agency).data)
