"""What the OpenAPI schema says about errors: every operation lists each status it can answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class InvalidInputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field; `non_field_errors` for the input as a whole.",
    )


DESCRIPTIONS = {
    400: "Invalid input: `errors` has the messages per field.",
    401: "No credentials, or a token that is not valid (revoked).",
    403: "Your role in this project does not allow this (or, for a session, no CSRF token).",
    404: "No such object, or one of a project you are not a member of "
    "(a blind project's annotators see only their own tasks' documents and layers).",
    409: "Not possible in the object's current state.",
    422: "The change does not fit (the message says why); nothing was written.",
    429: "Too many requests from this token (API_RATE); `Retry-After` says when to try again.",
}
# Answered by the HTTP server itself (gunicorn's limit_request_line), before the app: no body
# of ours. Documented so that clients (and the schema checks) know it can happen.
URI_TOO_LONG = OpenApiResponse(description="The request line is longer than the server accepts.")
SERIALIZERS = {400: InvalidInputSerializer}


def responses(ok: dict, *codes: int) -> dict:
    """`ok` (status -> serializer or OpenApiResponse) plus the errors `codes`, 401 and 429."""
    answer = dict(ok)
    for code in (*codes, 401, 429):
        answer.setdefault(
            code,
            OpenApiResponse(SERIALIZERS.get(code, ErrorSerializer), description=DESCRIPTIONS[code]),
        )
    answer.setdefault(414, URI_TOO_LONG)
    return answer
