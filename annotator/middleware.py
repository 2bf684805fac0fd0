"""Two refusals made once for every request.

Input that no database text column can hold is refused here, before any view sees it.

PostgreSQL text cannot contain NUL (U+0000): a `%00` in a query string or a form reached the
database through dozens of views (search, relabel, ?layer=...) and ended as a 500. One check
for every request instead of one per view that no new view can forget. JSON bodies are the
API's serializers' business, and so are its form bodies: DRF's CharField refuses NUL, and
fields it does not know are left out, whatever their names.

Refused htmx requests carry their reason in a form the page can show.

A full page shows Django's error page; an htmx request swaps nothing on an error, so without
this the user sees nothing at all. Here a refused htmx request (403, 404, 400) answers with its
reason as plain text and `HX-Reswap: none`, and an htmx request whose session ended answers 401
instead of swapping the login page into the sentence. `static/annotator/feedback.js` shows the
text in the page's status region.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import resolve_url

from annotator.refusals import refused, with_reason

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
            and not request.path.startswith("/api/")  # DRF's own fields refuse it there
            and _holds_nul(request.POST)
        ):
            return refused(request, REASON)
        return self.get_response(request)


_DEFAULTS = {
    400: "The request was not understood.",
    403: "You may not do this.",
    404: "This no longer exists, or you may not see it.",
}


def _status(exception: Exception) -> int | None:
    if isinstance(exception, PermissionDenied):
        return 403
    if isinstance(exception, Http404):
        return 404
    if isinstance(exception, (BadRequest, SuspiciousOperation)):
        return 400
    return None


def _refusal(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")
    response["HX-Reswap"] = "none"
    return with_reason(response, reason)


class HtmxRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_htmx(request) and _is_login_redirect(response):
            return _refusal(401, "Your session has ended: log in again, then repeat this.")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        status = _status(exception)
        if status is None or not _is_htmx(request):
            return None
        text = str(exception.args[0]) if exception.args else ""
        return _refusal(status, text or _DEFAULTS[status])


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _is_login_redirect(response: HttpResponse) -> bool:
    location = response.get("Location", "") if response.status_code == 302 else ""
    return bool(location) and location.split("?")[0].endswith(resolve_url(settings.LOGIN_URL))
