"""One error shape for the whole API: {"detail": "..."}, plus "errors" for invalid input.

Two kinds of invalid input, told apart by their status: 400 for a request the OpenAPI schema
does not allow (a wrong type, a missing field, an unknown field, a blank filter), 422 for one
it allows but that cannot be done with these values (an id that is not in the project, a
layer that does not exist, a file that is not CoNLL, a field that the chosen kind needs)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import QueryDict
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from annotator import params
from annotator.api import strict
from annotator.refusals import too_big_reason
from annotator.services import assignment, editing

INVALID = "Invalid input."
NOT_POSSIBLE = "Not possible with these values."


def handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with field errors flattened under "errors" and the services' expected
    refusals turned into answers (an edit that does not fit: 422; a task step that is not
    possible now: 409)."""
    if isinstance(exc, RequestDataTooBig):
        exc = TooLarge(too_big_reason())
    elif isinstance(exc, BadRequest):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, Impossible):
        response = exception_handler(exc, context)
        response.data = {"detail": NOT_POSSIBLE, "errors": field_errors(exc.errors)}
        return response
    elif isinstance(exc, editing.EditRejected):
        exc = Unprocessable(str(exc))
    elif isinstance(exc, assignment.TaskError):
        exc = Conflict(str(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": INVALID, "errors": field_errors(exc.detail)}
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": str(response.data)}
    return response


def field_errors(detail: Any) -> dict[str, list[str]]:
    """{field: [message, ...]}; nested errors (a list item, a nested field) get a path prefix."""
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    flat: dict[str, list[str]] = {}
    for field, value in detail.items():
        flat[str(field)] = list(_messages(value))
    return flat


def _messages(value: Any, prefix: str = ""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _messages(inner, f"{prefix}{key}: ")
    elif isinstance(value, list):
        for inner in value:
            yield from _messages(inner, prefix)
    else:
        yield f"{prefix}{value}"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This is not possible in the object's current state."
    default_code = "conflict"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This is no longer kept."
    default_code = "gone"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This change does not fit."
    default_code = "unprocessable"


class Impossible(exceptions.APIException):
    """422 with messages per field: well-formed input that cannot be done with these values.
    Not a ValidationError, so that a serializer's `validate` raising it is not turned into one."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = NOT_POSSIBLE
    default_code = "impossible"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(NOT_POSSIBLE)
        self.errors = errors


def invalid(errors: dict[str, list[str]]) -> Impossible:
    """A 422 from a Django form's errors: the UI's forms apply the project's rules to the API
    too, after the serializer has checked the request's shape."""
    return Impossible(
        {("non_field_errors" if k == "__all__" else k): list(v) for k, v in errors.items()}
    )


def validated(serializer_class, data) -> dict:
    """A request body's validated data, or a 400 naming each field's problem. A JSON body is
    held to the schema's types (DRF would take "1" for true and 5 for "5") and fields."""
    serializer = serializer_class(data=data)
    if not isinstance(data, QueryDict):
        errors = strict.body_errors(serializer, data)
        if errors:
            raise exceptions.ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class, query: QueryDict) -> dict:
    """A query string's validated data, or a 400: a blank or repeated parameter is refused
    (DRF's form rules would read `?state=` as no filter, and take the last of two values)."""
    serializer = serializer_class(data=query)
    errors = strict.query_errors(serializer, query)
    if errors:
        raise exceptions.ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def parsed_query(form_class, query: QueryDict, project) -> dict:
    """A kind's parameters from a query string, held to it like `validated_query`."""
    errors = strict.query_errors(form_class(data=query), query)
    if errors:
        raise exceptions.ValidationError(errors)
    return parsed(form_class, query, project)


def parsed(form_class, data, project) -> dict:
    """A kind's parameters (annotator/params.py) from a request body: held to the schema's
    types like `validated`; the form's refusal is a 400, a misfit with the project a 422."""
    if not isinstance(data, QueryDict):
        errors = strict.body_errors(form_class(data=data), data)
        if errors:
            raise exceptions.ValidationError(errors)
    try:
        return params.parse(form_class, data, project=project)
    except params.BadParams as error:
        if error.shape:
            raise exceptions.ValidationError(error.errors) from error
        raise Impossible(error.errors) from error
