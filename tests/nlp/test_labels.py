"""Project-wide label changes on one sentence's tags (pure, no Django)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.nlp import labels
from annotator.nlp.scheme import SCHEMES, Span, invalid_positions, spans, tags_from_spans


@pytest.mark.parametrize(
    ("scheme", "tags", "old", "new", "expected"),
    [
        ("iob2", ["B-A", "I-A", "O", "B-B"], "A", "C", ["B-C", "I-C", "O", "B-B"]),
        ("iob2", ["B-A", "I-A", "O", "B-B"], "A", None, ["O", "O", "O", "B-B"]),
        ("bioes", ["B-A", "E-A", "S-B", "S-A"], "A", "B", ["B-B", "E-B", "S-B", "S-B"]),
        ("bilou", ["U-A", "B-A", "L-A"], "A", None, ["O", "O", "O"]),
        # IOB1: A then B side by side; once both are B the second must open with B-.
        ("iob1", ["I-A", "I-A", "I-B"], "A", "B", ["I-B", "I-B", "B-B"]),
        ("iob1", ["I-B", "I-A", "O"], "A", "B", ["I-B", "B-B", "O"]),
        # Nothing to change: the very same tags.
        ("iob2", ["B-B", "O"], "A", "C", ["B-B", "O"]),
    ],
)
def test_relabel_changes_only_the_chosen_label(scheme, tags, old, new, expected) -> None:
    assert labels.relabel(tags, scheme, old, new) == expected


def test_a_flagged_stray_tag_keeps_its_shape_and_its_flag() -> None:
    tags = ["O", "I-A", "I-A", "O", "B-B"]  # IOB2: a span opened with I- is flagged
    renamed = labels.relabel(tags, "iob2", "A", "C")
    assert renamed == ["O", "I-C", "I-C", "O", "B-B"]
    assert invalid_positions(renamed, "iob2") == invalid_positions(tags, "iob2") == [1]


names = st.sampled_from(["A", "B", "C"])


@st.composite
def sentences(draw):
    scheme = draw(st.sampled_from(SCHEMES))
    length = draw(st.integers(1, 12))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)) | {0, length})
    found = [
        Span(a, b, draw(names)) for a, b in zip(cuts, cuts[1:], strict=False) if draw(st.booleans())
    ]
    return scheme, tags_from_spans(found, length, scheme), found


@given(sentences(), names, st.one_of(st.none(), names))
def test_every_span_stays_where_it_was_with_the_new_label(sentence, old, new) -> None:
    scheme, tags, found = sentence
    result = labels.relabel(tags, scheme, old, new)
    wanted = {Span(s.start, s.end, new) if s.label == old else s for s in found}
    wanted = {s for s in wanted if s.label}
    assert set(spans(result, scheme)) == wanted
    assert invalid_positions(result, scheme) == []
