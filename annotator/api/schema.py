"""What the OpenAPI schema says about errors: every operation lists each status it can answer."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
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
    400: "Input the schema does not allow: `errors` has the messages per field.",
    401: "No credentials, or a token that is not valid (revoked).",
    403: "Your role in this project does not allow this (or, for a session, no CSRF token).",
    404: "No such object, or one of a project you are not a member of "
    "(a blind project's annotators see only their own tasks' documents and layers).",
    409: "Not possible in the object's current state.",
    422: "Input the schema allows that cannot be done (an id not in the project, a layer "
    "that does not exist, a file that is not CoNLL, an edit that does not fit): the message "
    "and `errors` say why; nothing was written.",
    429: "Too many requests from this token (API_RATE); `Retry-After` says when to try again.",
}
# Answered by the HTTP server itself (gunicorn's limit_request_line), before the app: its HTML page,
# not ours. Documented so that clients (and the schema checks) know it can happen.
URI_TOO_LONG = OpenApiResponse(
    OpenApiTypes.STR, description="The request line is longer than the server accepts."
)
SERIALIZERS = {400: InvalidInputSerializer, 422: InvalidInputSerializer}


def responses(ok: dict, *codes: int) -> dict:
    """`ok` (status -> serializer or OpenApiResponse) plus the errors `codes`, 401 and 429."""
    answer = dict(ok)
    # Input the schema allows may still not fit the project (api/exceptions.py): 422.
    also = (422,) if 400 in codes else ()
    for code in (*codes, *also, 401, 429):
        answer.setdefault(
            code,
            OpenApiResponse(SERIALIZERS.get(code, ErrorSerializer), description=DESCRIPTIONS[code]),
        )
    answer.setdefault((414, "text/html"), URI_TOO_LONG)
    return answer


# Strings the API takes never hold NUL (no database text column can: the middleware, the JSON
# parser and DRF's CharField refuse it); "[^\x00]" reads the same in Python and ECMA-262.
NO_NUL = "^[^\\x00]*$"
# "Not blank" as DRF means it: str.strip() removes exactly the characters str.isspace() names,
# which ECMA-262's \s does not (it lacks \x1c-\x1f and \x85, and adds \ufeff): spelled out.
SPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0"
    "\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NOT_BLANK = f"^[^\\x00]*[^{SPACE}\\x00][^\\x00]*$"
JSON = "application/json"


def hold_to_what_is_checked(result: dict, generator, request, public) -> dict:
    """Say in the schema what api/strict.py and the parsers hold requests to: request bodies
    are JSON (uploads multipart), strings hold no NUL, and a string that may not be blank
    needs more than white space (DRF trims it first); a body of one kind or another (a job's,
    a model's: one schema per kind) is required, as each kind's is."""
    components = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {})
            content = body.get("content", {})
            if JSON in content:
                for media in [m for m in content if m != JSON]:
                    del content[media]
                if "oneOf" in components.get(_component(content[JSON].get("schema", {})), {}):
                    body["required"] = True
            for parameter in operation.get("parameters", []):
                _no_nul(parameter.get("schema", {}))
    for name, schema in components.items():
        if name.endswith("Request"):  # what clients send (COMPONENT_SPLIT_REQUEST), not answers
            _no_nul(schema)
    return result


def _component(schema: dict) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1]


def _no_nul(schema: dict) -> None:
    """Add the NUL-free pattern to every plain string in `schema`, nested ones too."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "string" and not {"enum", "format", "pattern"} & set(node):
            node["pattern"] = NOT_BLANK if node.get("minLength", 0) > 0 else NO_NUL
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                stack.append(node[key])
        stack.extend(node.get("properties", {}).values())
        for key in ("allOf", "anyOf", "oneOf"):
            stack.extend(node.get(key, []))
