from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class HelloApi(APIView):
    """Liveness for old monitors."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["health"],
        responses={200: inline_serializer("Hello", {"message": serializers.CharField()})},
    )
    def get(self, request: Request) -> Response:
        return Response({"message": "Hello, World!"})
