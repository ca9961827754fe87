from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chirpworks.exceptions import AuthenticationError
from chirpworks.phones import phone_raw
from chirpworks.schema import error_responses
from sellers import services
from sellers.permissions import IsAgencyAdmin
from sellers.serializers import (
    LoginInputSerializer,
    LoginOutputSerializer,
    LogoutInputSerializer,
    MessageSerializer,
    RefreshInputSerializer,
    ResetPasswordInputSerializer,
    ResetPasswordOutputSerializer,
    SetManagerInputSerializer,
    SignupInputSerializer,
    SignupOutputSerializer,
    TestTokenInputSerializer,
    TestTokenOutputSerializer,
    TokenPairSerializer,
)

ERRORS = error_responses(statuses=(400, 401))


class SignupApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "signup"

    @extend_schema(
        tags=["auth"],
        request=SignupInputSerializer,
        responses={201: SignupOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seller = services.seller_signup(**data.validated_data)
        body = {"message": "Seller created successfully", "name": seller.name, "user_id": seller.pk}
        return Response(SignupOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        request=LoginInputSerializer,
        responses={200: LoginOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seller, tokens = services.auth_login(**data.validated_data)
        body = {
            "access_token": tokens.access,
            "refresh_token": tokens.refresh,
            "user_id": seller.pk,
        }
        return Response(LoginOutputSerializer(body).data)


class RefreshApi(APIView):
    """Rotate a refresh token, sent in the body or as ``Authorization: Bearer <refresh>``."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw = data.validated_data.get("refresh_token") or data.validated_data.get("refresh")
        if not raw:
            scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
            raw = credentials.strip() if scheme.lower() == "bearer" else ""
        if not raw:
            raise AuthenticationError("Missing refresh token", code="token_missing")
        tokens = services.auth_refresh(raw_refresh=raw)
        body = {"access_token": tokens.access, "refresh_token": tokens.refresh}
        return Response(TokenPairSerializer(body).data)


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"], request=LogoutInputSerializer, responses={200: MessageSerializer, **ERRORS}
    )
    def post(self, request: Request) -> Response:
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw_refresh = data.validated_data.get("refresh") or data.validated_data.get("refresh_token")
        services.auth_logout(
            seller=request.user, access_token=request.auth, raw_refresh=raw_refresh
        )
        return Response({"message": "Successfully logged out"})


class ResetPasswordApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "password"

    @extend_schema(
        tags=["auth"],
        request=ResetPasswordInputSerializer,
        responses={200: ResetPasswordOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = ResetPasswordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seller = services.seller_change_password(**data.validated_data)
        body = {
            "message": "Password reset successful. A confirmation email has been sent.",
            "user_id": seller.pk,
        }
        return Response(ResetPasswordOutputSerializer(body).data)


class GenerateTestTokenApi(APIView):
    """Tokens for QA tooling without a password; answers 404 unless TEST_TOKEN_SECRET is set."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        request=TestTokenInputSerializer,
        responses={200: TestTokenOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = TestTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seller, tokens = services.auth_test_token(**data.validated_data)
        body = {
            "access_token": tokens.access,
            "refresh_token": tokens.refresh,
            "user_id": seller.pk,
            "user": {
                "id": seller.pk,
                "name": seller.name,
                "email": seller.email,
                "phone": phone_raw(seller.phone),
                "role": seller.role,
                "agency_id": seller.agency_id,
            },
        }
        return Response(TestTokenOutputSerializer(body).data)


class SetManagerApi(APIView):
    permission_classes = [IsAuthenticated, IsAgencyAdmin]

    @extend_schema(
        tags=["user"],
        request=SetManagerInputSerializer,
        responses={200: MessageSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = SetManagerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.seller_set_manager(actor=request.user, **data.validated_data)
        return Response({"message": "Manager assigned successfully"})
