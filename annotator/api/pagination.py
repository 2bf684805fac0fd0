"""Page-number pagination for every list: {"count", "next", "previous", "results"}."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api import strict


class Pagination(PageNumberPagination):
    """Pages as DRF makes them, with the parameters held to the schema: `?page_size=null` or
    `?page=0` is a 400 naming the parameter, not silently the default."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        size = strict.positive_int(request.query_params, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator) -> int:
        return strict.positive_int(request.query_params, self.page_query_param) or 1


FROM_ONE = {"type": "integer", "minimum": 1}
PAGE_PARAMETERS = [
    OpenApiParameter("page", FROM_ONE, description="Page number, from 1."),
    OpenApiParameter(
        "page_size",
        FROM_ONE,
        description="Items per page (default 50; more than 500 gives 500).",
    ),
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
