from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from search import services
from search.serializers import (
    AnswerOutputSerializer,
    SearchInputSerializer,
    SearchOutputSerializer,
)
from sellers.permissions import GuestsOnlyIfAgencyAllows

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error, code}"),
    401: OpenApiResponse(description="Not authenticated: {error, code, msg}"),
    403: OpenApiResponse(description="No agency account (or a guest, for answers): {error, code}"),
    404: OpenApiResponse(description="seller_id not found (or not visible): {error, code}"),
    429: OpenApiResponse(description="Too many searches: {error, code, retry_after}"),
}


class SearchApi(APIView):
    """Hybrid search over the documents of the calls the caller may see."""

    # Searching reads: guests may search their own calls too.
    permission_classes = [IsAuthenticated]
    throttle_scope = "search"

    @extend_schema(
        tags=["search"],
        request=SearchInputSerializer,
        responses={200: SearchOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = SearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = services.search_run(actor=request.user, **data.validated_data)
        return Response(SearchOutputSerializer({"results": results}).data)


class SearchAnswerApi(APIView):
    """An analytics answer, or an answer grounded in the best passages, with its sources.

    Guests only where their agency allows it (``settings["guests_can_search_answer"]``).
    """

    permission_classes = [IsAuthenticated, GuestsOnlyIfAgencyAllows]
    throttle_scope = "search"

    @extend_schema(
        tags=["search"],
        request=SearchInputSerializer,
        responses={200: AnswerOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = SearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = services.answer_run(actor=request.user, **data.validated_data)
        return Response(AnswerOutputSerializer(body).data)
