"""Page-number pagination for every list: {"count", "next", "previous", "results"}."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("page_size", int, description="Items per page (default 50, at most 500)."),
]


def paginated(request: Request, items, serializer_class, **context) -> Response:
    """One page of `items` (a queryset or list) as the paginated answer."""
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request)
    data = serializer_class(page, many=True, context={"request": request, **context}).data
    return paginator.get_paginated_response(data)


_pages: dict[type, type] = {}


def page_of(serializer_class: type) -> type:
    """The schema of a page of `serializer_class` items (a component per item type)."""
    if serializer_class not in _pages:
        name = serializer_class.__name__.removesuffix("Serializer")
        _pages[serializer_class] = type(
            f"Paginated{name}ListSerializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": serializer_class(many=True),
            },
        )
    return _pages[serializer_class]
