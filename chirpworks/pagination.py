"""The contract's optional page-number pagination.

Endpoints return their bare payload unless the client sends ``page`` or ``limit``; then the body
is ``{data, pagination: {current_page, total_pages, total_count, limit, has_next, has_previous}}``.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from chirpworks.query_params import StrictQuerySerializer

# Far past any real list, and small enough that the page's offset stays a 64-bit integer.
MAX_PAGE = 100_000
MAX_LIMIT = 100


class PageParamsSerializer(StrictQuerySerializer):
    """``page`` / ``limit`` of the endpoints whose pagination is optional."""

    page = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE,
        required=False,
        help_text="With page or limit: {data, pagination} (actions: pagination beside them).",
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False)


@dataclass(frozen=True)
class Page:
    items: Sequence[Any] | QuerySet
    number: int
    limit: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.total_count / self.limit))

    def meta(self) -> dict[str, Any]:
        return {
            "current_page": self.number,
            "total_pages": self.total_pages,
            "total_count": self.total_count,
            "limit": self.limit,
            "has_next": self.number < self.total_pages,
            "has_previous": self.number > 1,
        }


def wants_pagination(request: Request) -> bool:
    return "page" in request.query_params or "limit" in request.query_params


def page_params(request: Request, *, default_limit: int = 50) -> tuple[int, int]:
    """The request's validated ``(page, limit)``; bad values answer 400."""
    params = PageParamsSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data.get("page", 1), params.validated_data.get("limit", default_limit)


def paginate(items: Sequence[Any] | QuerySet, request: Request, *, default_limit: int = 50) -> Page:
    """Slice ``items`` by the request's ``page``/``limit`` (validated; bad values answer 400)."""
    number, limit = page_params(request, default_limit=default_limit)
    total = items.count() if isinstance(items, QuerySet) else len(items)
    start = (number - 1) * limit
    return Page(items=items[start : start + limit], number=number, limit=limit, total_count=total)


class PaginationSerializer(serializers.Serializer):
    current_page = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    total_count = serializers.IntegerField()
    limit = serializers.IntegerField()
    has_next = serializers.BooleanField()
    has_previous = serializers.BooleanField()
