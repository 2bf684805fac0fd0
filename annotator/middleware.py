"""Refusals of htmx requests carry their reason in a form the page can show.

A full page shows Django's error page; an htmx request swaps nothing on an error, so without
this the user sees nothing at all. Here a refused htmx request (403, 404, 400) answers with its
reason as plain text and `HX-Reswap: none`, and an htmx request whose session ended answers 401
instead of swapping the login page into the sentence. `static/annotator/feedback.js` shows the
text in the page's status region.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url

REASON_HEADER = "X-Reason"

_DEFAULTS = {
    400: "The request was not understood.",
    403: "You may not do this.",
    404: "This no longer exists, or you may not see it.",
}


def with_reason(response: HttpResponse, reason: str) -> HttpResponse:
    """Attach a reason the page shows; headers are Latin-1, so it travels percent-encoded."""
    response[REASON_HEADER] = quote(reason)
    return response


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
