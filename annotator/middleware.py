"""Input that no database text column can hold is refused here, before any view sees it.

PostgreSQL text cannot contain NUL (U+0000): a `%00` in a query string or a form reached the
database through dozens of views (search, relabel, ?layer=...) and ended as a 500. One check
for every request instead of one per view that no new view can forget. JSON bodies are the
API's serializers' business: DRF's CharField refuses NUL already.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict

from annotator.refusals import refused

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REASON = "The request holds a NUL character (%00), which no field may contain."


def _holds_nul(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(NUL in value for value in request.COOKIES.values()):
            # No page for this one: rendering it would load the session from that cookie.
            return HttpResponseBadRequest(
                "A cookie holds a NUL character.", content_type="text/plain"
            )
        if _holds_nul(request.GET) or (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and _holds_nul(request.POST)
        ):
            return refused(request, REASON)
        return self.get_response(request)
