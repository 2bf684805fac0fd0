"""The edit's body read without the serializer (annotator/api/edit_body.py) gives exactly the
serializer's answer, or leaves the body to it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from annotator.api.edit_body import plainly_valid
from annotator.api.exceptions import validated
from annotator.api.serializers import EditSerializer

AROUND = ["", " ", "\n", "\t", "\x00", "\u00a0", "\u2028"]
# Names and choices with something around them to trim or refuse, or nothing.
WRAPPED = st.builds(
    lambda before, word, after: before + word + after,
    st.sampled_from(AROUND),
    st.sampled_from(["", "gold", "ann", "PER", "label", "remove", "x" * 200, "x" * 201]),
    st.sampled_from(AROUND),
)
VALUES = st.one_of(
    WRAPPED,
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)


VALID = st.fixed_dictionaries(
    {
        "version": st.integers(min_value=0),
        "op": st.sampled_from(["label", "remove", "split", "merge"]),
        "start": st.integers(min_value=0, max_value=9),
    },
    optional={
        "layer": st.sampled_from(["", "gold", "ann"]),
        "end": st.integers(min_value=1, max_value=9),
        "label": st.sampled_from(["PER", "LOC"]),
    },
)


@st.composite
def bodies(draw) -> dict:
    """A valid body with one field spoiled, dropped or added, or any object at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.dictionaries(st.text(max_size=8), VALUES))
    body = draw(VALID)
    field = draw(st.sampled_from(["layer", "version", "op", "start", "end", "label", "sentence"]))
    if draw(st.booleans()):
        body.pop(field, None)
    else:
        body[field] = draw(st.one_of(WRAPPED, VALUES))
    return body


def serializer_answer(body):
    try:
        return dict(validated(EditSerializer, body))
    except ValidationError:
        return "refused"


@settings(max_examples=1000)
@given(bodies())
def test_a_body_read_directly_is_what_the_serializer_makes_of_it(body):
    direct = plainly_valid(body)
    if direct is not None:
        assert direct == serializer_answer(body)


@pytest.mark.parametrize(
    "body",
    [
        {"layer": "gold", "version": 3, "op": "label", "start": 0, "end": 2, "label": "PER"},
        {"version": 0, "op": "remove", "start": 4},
        {"layer": "", "version": 1, "op": "split", "start": 1, "sentence": 9},
    ],
)
def test_a_usual_edit_is_read_directly(body):
    assert plainly_valid(body) == serializer_answer(body)


@pytest.mark.parametrize(
    "body",
    [
        {"layer": " gold ", "version": 3, "op": "label", "start": 0, "label": "PER"},
        {"version": True, "op": "label", "start": 0, "label": "PER"},
        {"version": 1, "op": "label", "start": 0, "end": 0, "label": "PER"},
        {"version": 1, "op": "label", "start": 0, "label": ""},
        {"version": 1, "op": "relabel", "start": 0},
        {"version": 1, "start": 0},
        {"version": 1, "op": "label", "start": 0, "label": "P\x00ER"},
        {"version": 1, "op": "remove", "start": 0, "layer": "x" * 201},
        {"version": 1, "op": "remove", "start": -1},
        {"version": 1, "op": "remove", "start": 0, "end": None},
    ],
)
def test_a_body_to_trim_or_refuse_is_left_to_the_serializer(body):
    assert plainly_valid(body) is None
