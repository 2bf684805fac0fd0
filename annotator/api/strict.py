"""Hold requests to what the OpenAPI schema says, where DRF's form-friendly parsing is looser.

DRF reads a JSON `"1"` as true, `5.0` as 5 and `5` as "5", reads `?state=` as "no filter"
and takes the last of `?page=1&page=2`. The schema promises
none of that, so a client relying on it would break the day the leniency goes; here they
are 400s that name the field."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import QueryDict
from rest_framework import fields, serializers

# The JSON types each kind of field takes (None aside, allowed where the field allows null).
# Order matters: the first class an instance is of wins (ChoiceField before CharField...).
JSON_TYPES: list[tuple[type, tuple[type, ...], str]] = [
    (fields.BooleanField, (bool,), "a boolean"),
    (fields.IntegerField, (int,), "an integer"),
    (fields.FloatField, (int, float), "a number"),
    (fields.MultipleChoiceField, (list,), "a list"),
    (fields.ChoiceField, (str,), "a string"),
    (fields.CharField, (str,), "a string"),
    (fields.DateField, (str,), "a date string"),
    (fields.ListField, (list,), "a list"),
    (fields.DictField, (dict,), "an object"),
    (serializers.Serializer, (dict,), "an object"),
]


def body_errors(serializer: serializers.Serializer, data) -> dict[str, list[str]]:
    if not isinstance(data, Mapping):
        return {}  # the serializer says "expected a dictionary"
    # Fields it does not know are left out, as DRF does (the schema allows them).
    known = {name for name, field in serializer.fields.items() if not field.read_only}
    errors = {}
    for name in known & set(data):
        problem = _type_problem(serializer.fields[name], data[name])
        if problem:
            errors[name] = [problem]
    return errors


def _type_problem(field: fields.Field, value) -> str | None:
    if value is None:
        return None if field.allow_null else "This field may not be null."
    for kind, types, name in JSON_TYPES:
        if isinstance(field, kind):
            ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
            if not ok:
                return f"Must be {name}."
            break
    if isinstance(field, fields.ListField) and isinstance(value, list):
        for item in value:
            problem = _type_problem(field.child, item)
            if problem:
                return f"Every item: {problem[0].lower()}{problem[1:]}"
    if isinstance(field, fields.DictField) and isinstance(value, dict):
        for item in value.values():
            problem = _type_problem(field.child, item)
            if problem:
                return f"Every value: {problem[0].lower()}{problem[1:]}"
    return None


def query_errors(serializer: serializers.Serializer, query: QueryDict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, field in serializer.fields.items():
        values = query.getlist(name)
        if len(values) > 1 and not isinstance(field, fields.ListField | fields.MultipleChoiceField):
            errors[name] = ["Give this parameter once."]
        elif values == [""] and not getattr(field, "allow_blank", False):
            errors[name] = ["This parameter may not be blank; leave it out instead."]
    return errors


def positive_int(query: QueryDict, name: str) -> int | None:
    """A page or page-size parameter: absent, or given once as an integer from 1."""
    values = query.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise serializers.ValidationError({name: ["Give this parameter once."]})
    try:
        number = int(values[0])
    except ValueError:
        number = 0
    if number < 1 or not values[0].isdigit():
        raise serializers.ValidationError({name: ["A whole number from 1."]})
    return number
