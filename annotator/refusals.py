"""Refused requests say why, in the shape the asker reads: JSON under /api/, a fragment for htmx,
a page otherwise. Also the error handlers (annotator/urls.py), so that no error under /api/ is
an HTML page, whatever raised it (a body over the size limit, a crash)."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

TEMPLATE = "annotator/refused.html"
REASON_HEADER = "X-Reason"  # read by static/annotator/feedback.js


def with_reason(response: HttpResponse, reason: str) -> HttpResponse:
    """Attach a reason the page shows in its status region; headers are Latin-1, so it
    travels percent-encoded."""
    response[REASON_HEADER] = quote(reason)
    return response


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refused(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": reason}, status=status)
    if request.headers.get("HX-Request"):
        response = render(request, TEMPLATE + "#reason", {"reason": reason}, status=status)
        return with_reason(response, reason)
    return render(request, TEMPLATE, {"reason": reason, "status": status}, status=status)


def too_big_reason() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return f"The request body is larger than the {limit:g} MB this server accepts."


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a SuspiciousOperation: a body too large, too many fields...), with the
    reason where we know it, and JSON under /api/."""
    if isinstance(exception, RequestDataTooBig):
        return refused(request, too_big_reason(), status=413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return refused(request, "The request has more fields or files than this server accepts.")
    if is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Server error; it has been logged."}, status=500)
    return defaults.server_error(request)
