"""JSON bodies with a bounded depth and real characters only.

No request body of the API nests beyond a few levels, and Python's parser turns a deep one
(`[[[[...`) into a RecursionError, i.e. a 500. JSON may escape half a UTF-16 pair
(`"\\ud800"`), which is no character: no database (nor UTF-8) can store it."""

from __future__ import annotations

import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
SURROGATE = re.compile(r"[\ud800-\udfff]")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels.") from error
        deepest, strings = walk(data)
        if deepest > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels.")
        if any(SURROGATE.search(text) for text in strings):
            raise ParseError("JSON parse error - a string holds half of a UTF-16 pair.")
        return data


def walk(value) -> tuple[int, list[str]]:
    """How deeply lists and objects nest in a parsed JSON value (a scalar: 0), and its strings
    (keys too), without recursion; stops looking deeper than MAX_DEPTH + 1."""
    deepest, strings = 0, []
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            strings.append(item)
            continue
        if isinstance(item, dict):
            strings.extend(item)
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((inner, level + 1) for inner in item)
    return deepest, strings
