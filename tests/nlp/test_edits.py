"""Span edits on one sentence's tags: pure-Python tests, no Django and no database.

Each table gives the same edit in every scheme: the reviewer works on spans, and the B-/I-
prefixes follow from the scheme. Expected tags are written out literally, not computed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.nlp import edits
from annotator.nlp.edits import EditError
from annotator.nlp.scheme import (
    SCHEMES,
    Span,
    invalid_positions,
    is_valid,
    spans,
    tags_from_spans,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def T(text: str) -> list[str]:
    """Tags from a space-separated string, so the tables read like the CoNLL tag column."""
    return text.split()


def by_scheme(**cases: tuple[str, str]) -> list:
    """pytest params (scheme, before, after) from scheme=(before, after) keyword arguments."""
    return [
        pytest.param(name, T(before), T(after), id=name) for name, (before, after) in cases.items()
    ]


def test_the_edits_module_imports_without_django() -> None:
    code = "import sys; import annotator.nlp.edits; assert 'django' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- label -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O O O O O", "O I-PER O O O"),
        iob2=("O O O O O", "O B-PER O O O"),
        bioes=("O O O O O", "O S-PER O O O"),
        bilou=("O O O O O", "O U-PER O O O"),
    ),
)
def test_labelling_one_token_makes_a_one_token_span(scheme, before, after) -> None:
    assert edits.label(before, scheme, 1, 2, "PER") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O O O O O", "O I-PER I-PER I-PER O"),
        iob2=("O O O O O", "O B-PER I-PER I-PER O"),
        bioes=("O O O O O", "O B-PER I-PER E-PER O"),
        bilou=("O O O O O", "O B-PER I-PER L-PER O"),
    ),
)
def test_labelling_a_range_makes_one_span_over_it(scheme, before, after) -> None:
    assert edits.label(before, scheme, 1, 4, "PER") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O I-PER I-PER O", "O I-LOC I-LOC O"),
        iob2=("O B-PER I-PER O", "O B-LOC I-LOC O"),
        bioes=("O B-PER E-PER O", "O B-LOC E-LOC O"),
        bilou=("O B-PER L-PER O", "O B-LOC L-LOC O"),
    ),
)
def test_labelling_a_span_with_another_label_relabels_it(scheme, before, after) -> None:
    assert edits.label(before, scheme, 1, 3, "LOC") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O I-PER I-PER O O", "O I-PER I-PER I-PER O"),
        iob2=("O B-PER I-PER O O", "O B-PER I-PER I-PER O"),
        bioes=("O B-PER E-PER O O", "O B-PER I-PER E-PER O"),
        bilou=("O B-PER L-PER O O", "O B-PER I-PER L-PER O"),
    ),
)
def test_labelling_a_larger_range_extends_the_span(scheme, before, after) -> None:
    assert edits.label(before, scheme, 1, 4, "PER") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O I-PER I-PER O O", "I-PER I-PER I-PER O O"),
        iob2=("O B-PER I-PER O O", "B-PER I-PER I-PER O O"),
        bioes=("O B-PER E-PER O O", "B-PER I-PER E-PER O O"),
        bilou=("O B-PER L-PER O O", "B-PER I-PER L-PER O O"),
    ),
)
def test_labelling_a_range_reaching_left_extends_the_span_to_the_left(
    scheme, before, after
) -> None:
    assert edits.label(before, scheme, 0, 3, "PER") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O I-PER I-PER I-PER O", "O I-PER O O O"),
        iob2=("O B-PER I-PER I-PER O", "O B-PER O O O"),
        bioes=("O B-PER I-PER E-PER O", "O S-PER O O O"),
        bilou=("O B-PER I-PER L-PER O", "O U-PER O O O"),
    ),
)
def test_labelling_a_smaller_range_shrinks_the_span_to_it(scheme, before, after) -> None:
    assert edits.label(before, scheme, 1, 2, "PER") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER O I-LOC O", "I-ORG I-ORG I-ORG O"),
        iob2=("B-PER O B-LOC O", "B-ORG I-ORG I-ORG O"),
        bioes=("S-PER O S-LOC O", "B-ORG I-ORG E-ORG O"),
        bilou=("U-PER O U-LOC O", "B-ORG I-ORG L-ORG O"),
    ),
)
def test_labelling_across_two_spans_replaces_both_with_one(scheme, before, after) -> None:
    assert edits.label(before, scheme, 0, 3, "ORG") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER I-PER I-PER O", "O O I-LOC I-LOC"),
        iob2=("B-PER I-PER I-PER O", "O O B-LOC I-LOC"),
        bioes=("B-PER I-PER E-PER O", "O O B-LOC E-LOC"),
        bilou=("B-PER I-PER L-PER O", "O O B-LOC L-LOC"),
    ),
)
def test_labelling_part_of_a_span_replaces_the_whole_span(scheme, before, after) -> None:
    assert edits.label(before, scheme, 2, 4, "LOC") == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER I-PER O", "I-PER I-PER B-PER"),
        iob2=("B-PER I-PER O", "B-PER I-PER B-PER"),
        bioes=("B-PER E-PER O", "B-PER E-PER S-PER"),
        bilou=("B-PER L-PER O", "B-PER L-PER U-PER"),
    ),
)
def test_labelling_next_to_a_span_of_the_same_label_keeps_two_spans(scheme, before, after) -> None:
    result = edits.label(before, scheme, 2, 3, "PER")
    assert result == after
    assert spans(result, scheme) == [Span(0, 2, "PER"), Span(2, 3, "PER")]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_labelling_does_not_change_the_list_it_was_given(scheme) -> None:
    before = tags_from_spans([Span(0, 2, "PER")], 4, scheme)
    copy = list(before)
    edits.label(before, scheme, 1, 3, "LOC")
    assert before == copy


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", ["", "O", None])
def test_a_span_without_a_label_is_refused(scheme, name) -> None:
    with pytest.raises(EditError):
        edits.label(T("O O O"), scheme, 0, 1, name)


# --- remove ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER I-PER I-PER O I-LOC", "O O O O I-LOC"),
        iob2=("B-PER I-PER I-PER O B-LOC", "O O O O B-LOC"),
        bioes=("B-PER I-PER E-PER O S-LOC", "O O O O S-LOC"),
        bilou=("B-PER I-PER L-PER O U-LOC", "O O O O U-LOC"),
    ),
)
def test_removing_one_token_of_a_span_removes_the_whole_span(scheme, before, after) -> None:
    assert edits.remove(before, scheme, 1, 2) == after


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER O I-LOC I-LOC O I-ORG", "O O O O O I-ORG"),
        iob2=("B-PER O B-LOC I-LOC O B-ORG", "O O O O O B-ORG"),
        bioes=("S-PER O B-LOC E-LOC O S-ORG", "O O O O O S-ORG"),
        bilou=("U-PER O B-LOC L-LOC O U-ORG", "O O O O O U-ORG"),
    ),
)
def test_removing_a_range_removes_every_span_it_touches(scheme, before, after) -> None:
    assert edits.remove(before, scheme, 0, 3) == after


@pytest.mark.parametrize("scheme", SCHEMES)
def test_removing_where_there_is_no_span_changes_nothing(scheme) -> None:
    before = tags_from_spans([Span(0, 1, "PER")], 4, scheme)
    assert edits.remove(before, scheme, 1, 4) == before


def test_removing_the_first_of_two_touching_iob1_spans_turns_the_second_b_into_i() -> None:
    # In IOB1, B- only separates two spans of the same label; alone, the span starts with I-.
    assert edits.remove(T("I-PER B-PER O"), "iob1", 0, 1) == T("O I-PER O")


def test_labelling_next_to_an_iob1_span_of_the_same_label_gives_it_a_b() -> None:
    assert edits.label(T("O I-PER O"), "iob1", 0, 1, "PER") == T("I-PER B-PER O")


# --- split -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER I-PER I-PER I-PER O", "I-PER I-PER B-PER I-PER O"),
        iob2=("B-PER I-PER I-PER I-PER O", "B-PER I-PER B-PER I-PER O"),
        bioes=("B-PER I-PER I-PER E-PER O", "B-PER E-PER B-PER E-PER O"),
        bilou=("B-PER I-PER I-PER L-PER O", "B-PER L-PER B-PER L-PER O"),
    ),
)
def test_splitting_a_span_starts_a_new_span_of_the_same_label_there(scheme, before, after) -> None:
    result = edits.split(before, scheme, 2)
    assert result == after
    assert spans(result, scheme) == [Span(0, 2, "PER"), Span(2, 4, "PER")]


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("O I-LOC I-LOC", "O I-LOC B-LOC"),
        iob2=("O B-LOC I-LOC", "O B-LOC B-LOC"),
        bioes=("O B-LOC E-LOC", "O S-LOC S-LOC"),
        bilou=("O B-LOC L-LOC", "O U-LOC U-LOC"),
    ),
)
def test_splitting_before_the_last_token_leaves_two_one_token_spans(scheme, before, after) -> None:
    assert edits.split(before, scheme, 2) == after


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("where", "at"),
    [
        ("at the first token of a span", 1),
        ("at a token outside any span", 0),
        ("at a one-token span", 4),
        ("past the end of the sentence", 5),
        ("before the start of the sentence", -1),
    ],
)
def test_splitting_needs_a_token_inside_a_span(scheme, where, at) -> None:
    before = tags_from_spans([Span(1, 3, "PER"), Span(4, 5, "LOC")], 5, scheme)
    with pytest.raises(EditError):
        edits.split(before, scheme, at)


# --- merge -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER O I-LOC I-LOC O", "I-PER I-PER I-PER I-PER O"),
        iob2=("B-PER O B-LOC I-LOC O", "B-PER I-PER I-PER I-PER O"),
        bioes=("S-PER O B-LOC E-LOC O", "B-PER I-PER I-PER E-PER O"),
        bilou=("U-PER O B-LOC L-LOC O", "B-PER I-PER I-PER L-PER O"),
    ),
)
def test_merging_joins_the_spans_and_the_gap_with_the_first_spans_label(
    scheme, before, after
) -> None:
    assert edits.merge(before, scheme, 0, 4) == after


@pytest.mark.parametrize("scheme", SCHEMES)
def test_merging_needs_only_a_range_that_touches_both_spans(scheme) -> None:
    before = tags_from_spans([Span(0, 2, "PER"), Span(2, 4, "PER")], 5, scheme)
    assert spans(edits.merge(before, scheme, 1, 3), scheme) == [Span(0, 4, "PER")]


@pytest.mark.parametrize(
    ("scheme", "before", "after"),
    by_scheme(
        iob1=("I-PER B-PER O", "I-PER I-PER O"),
        iob2=("B-PER B-PER O", "B-PER I-PER O"),
        bioes=("S-PER S-PER O", "B-PER E-PER O"),
        bilou=("U-PER U-PER O", "B-PER L-PER O"),
    ),
)
def test_merging_two_touching_spans_of_one_label_makes_one_span(scheme, before, after) -> None:
    assert edits.merge(before, scheme, 0, 2) == after


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("what", "start", "end"),
    [
        ("one span only", 0, 2),
        ("no span at all", 2, 3),
        ("a range past the end", 0, 6),
        ("an empty range", 1, 1),
    ],
)
def test_merging_needs_at_least_two_spans(scheme, what, start, end) -> None:
    before = tags_from_spans([Span(0, 2, "PER"), Span(3, 5, "LOC")], 5, scheme)
    with pytest.raises(EditError):
        edits.merge(before, scheme, start, end)


# --- repairs -----------------------------------------------------------------------------------
# IOB1 has no flagged `O I-X` (a span may open with I-); its flagged tag is a B- that does not
# follow a span of the same label.

REPAIR_START = [
    # scheme, before, flagged position, after
    ("iob1", "O B-X O", 1, "O I-X O"),
    ("iob2", "O I-X O", 1, "O B-X O"),
    ("bioes", "O I-X O", 1, "O S-X O"),
    ("bilou", "O I-X O", 1, "O U-X O"),
    ("iob2", "B-Y I-X O", 1, "B-Y B-X O"),
    ("iob2", "O I-X I-X O", 1, "O B-X I-X O"),
    ("bioes", "B-Y I-X E-X", 1, "B-Y B-X E-X"),
    ("bilou", "B-Y I-X L-X", 1, "B-Y B-X L-X"),
    ("bioes", "O B-X O", 1, "O S-X O"),  # a span that is never closed
]


@pytest.mark.parametrize(("scheme", "before", "at", "after"), REPAIR_START)
def test_repair_start_makes_the_flagged_token_start_its_own_span(scheme, before, at, after) -> None:
    before, after = T(before), T(after)
    assert at in invalid_positions(before, scheme)
    result = edits.repair_start(before, scheme, at)
    assert result == after
    assert at not in invalid_positions(result, scheme)


def test_repair_start_leaves_a_flagged_neighbour_outside_the_span_as_it_was() -> None:
    # B-Y and I-X are both flagged in BIOES; repairing I-X must not touch B-Y.
    result = edits.repair_start(T("B-Y I-X O"), "bioes", 1)
    assert result == T("B-Y S-X O")
    assert invalid_positions(result, "bioes") == [0]


REPAIR_JOIN = [
    # scheme, before, flagged position, after: the joined span takes the flagged token's label
    ("iob2", "B-Y I-X O", 1, "B-X I-X O"),
    ("iob1", "I-Y B-X O", 1, "I-X I-X O"),
    ("bioes", "S-Y I-X O", 1, "B-X E-X O"),
    ("bilou", "U-Y I-X O", 1, "B-X L-X O"),
    ("iob2", "B-X O I-X", 2, "B-X I-X I-X"),  # the gap is joined too
    ("bioes", "S-X O I-X", 2, "B-X I-X E-X"),
]


@pytest.mark.parametrize(("scheme", "before", "at", "after"), REPAIR_JOIN)
def test_repair_join_joins_the_flagged_token_to_the_span_before_it(
    scheme, before, at, after
) -> None:
    before, after = T(before), T(after)
    assert at in invalid_positions(before, scheme)
    result = edits.repair_join(before, scheme, at)
    assert result == after
    assert is_valid(result, scheme)


@pytest.mark.parametrize("scheme", ["iob2", "bioes", "bilou"])
def test_repair_join_needs_a_span_before_the_token(scheme) -> None:
    with pytest.raises(EditError):
        edits.repair_join(T("O I-X O"), scheme, 1)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("operation", [edits.repair_start, edits.repair_join])
def test_repairing_a_token_outside_any_span_is_refused(scheme, operation) -> None:
    with pytest.raises(EditError):
        operation(T("B-X O O"), scheme, 2)


REPAIR_ALL = [
    ("iob1", "O B-X O I-Y B-Z", "O I-X O I-Y I-Z"),
    ("iob2", "O I-X O B-Y I-Z", "O B-X O B-Y B-Z"),
    ("bioes", "O I-X O B-Y E-Z", "O S-X O S-Y S-Z"),
    ("bilou", "O I-X O B-Y L-Z", "O U-X O U-Y U-Z"),
]


@pytest.mark.parametrize(("scheme", "before", "after"), REPAIR_ALL)
def test_repair_all_starts_a_span_at_every_flagged_token(scheme, before, after) -> None:
    result = edits.repair_all(T(before), scheme)
    assert result == T(after)
    assert is_valid(result, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_repair_all_gives_back_a_valid_sentence_unchanged(scheme) -> None:
    before = tags_from_spans([Span(0, 2, "X"), Span(3, 4, "Y")], 5, scheme)
    assert edits.repair_all(before, scheme) == before


# --- flagged tokens elsewhere ------------------------------------------------------------------

FLAGGED_ELSEWHERE = [
    # scheme, before with a flagged token at 1, after labelling token 3 as PER
    ("iob1", "O B-X O O O", "O B-X O I-PER O"),
    ("iob2", "O I-X O O O", "O I-X O B-PER O"),
    ("bioes", "O I-X O O O", "O I-X O S-PER O"),
    ("bilou", "O I-X O O O", "O I-X O U-PER O"),
]


@pytest.mark.parametrize(("scheme", "before", "after"), FLAGGED_ELSEWHERE)
def test_an_edit_elsewhere_leaves_a_flagged_token_as_it_was(scheme, before, after) -> None:
    before = T(before)
    result = edits.label(before, scheme, 3, 4, "PER")
    assert result == T(after)
    assert invalid_positions(result, scheme) == [1]
    removed = edits.remove(result, scheme, 3, 4)
    assert removed == before


@pytest.mark.parametrize(("scheme", "before", "after"), FLAGGED_ELSEWHERE)
def test_a_split_or_merge_elsewhere_leaves_a_flagged_token_as_it_was(scheme, before, after) -> None:
    tags = T(before) + tags_from_spans([Span(0, 1, "A"), Span(2, 4, "B")], 4, scheme)
    merged = edits.merge(tags, scheme, 5, 9)
    assert merged[:5] == T(before)
    split = edits.split(merged, scheme, 7)
    assert split[:5] == T(before)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_labelling_a_token_next_to_a_flagged_token_keeps_the_new_span_as_chosen(scheme) -> None:
    # The reviewer labels token 0 alone; the flagged token 1 must not silently join that span.
    flagged = {"iob1": "O B-X O", "iob2": "O I-X O", "bioes": "O I-X O", "bilou": "O I-X O"}
    result = edits.label(T(flagged[scheme]), scheme, 0, 1, "X")
    assert Span(0, 1, "X") in spans(result, scheme), result


# --- ranges ------------------------------------------------------------------------------------

BAD_RANGES = [(-1, 1), (0, 0), (2, 1), (0, 5), (4, 5), (5, 6)]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("start", "end"), BAD_RANGES)
def test_a_range_outside_the_sentence_is_refused(scheme, start, end) -> None:
    tags = T("O O O O")
    for operation in (
        lambda: edits.label(tags, scheme, start, end, "PER"),
        lambda: edits.remove(tags, scheme, start, end),
        lambda: edits.merge(tags, scheme, start, end),
    ):
        with pytest.raises(EditError):
            operation()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("at", [-1, 4, 10])
def test_a_token_outside_the_sentence_is_refused(scheme, at) -> None:
    tags = tags_from_spans([Span(0, 4, "PER")], 4, scheme)
    for operation in (edits.split, edits.repair_start, edits.repair_join):
        with pytest.raises(EditError):
            operation(tags, scheme, at)


def test_an_edit_error_is_a_value_error() -> None:
    assert issubclass(EditError, ValueError)


# --- properties --------------------------------------------------------------------------------

LABELS = st.sampled_from(["PER", "LOC", "ORG", "X-Y"])


@st.composite
def valid_sentences(draw, min_size: int = 1, max_size: int = 12):
    """(scheme, tags): a valid tag sequence, built from random non-overlapping spans."""
    scheme = draw(st.sampled_from(SCHEMES))
    length = draw(st.integers(min_size, max_size))
    found, position = [], 0
    while position < length:
        gap = draw(st.integers(0, 2))
        width = draw(st.integers(1, 4))
        start = position + gap
        if start >= length:
            break
        end = min(length, start + width)
        found.append(Span(start, end, draw(LABELS)))
        position = end
    tags = tags_from_spans(found, length, scheme)
    assert is_valid(tags, scheme)
    return scheme, tags


@st.composite
def any_sentences(draw, min_size: int = 1, max_size: int = 10):
    """(scheme, tags): any well-formed tags, valid in the scheme or not."""
    scheme = draw(st.sampled_from(SCHEMES))
    tag = st.one_of(
        st.just("O"),
        st.builds(
            "{}-{}".format, st.sampled_from(["B", "I", "E", "S", "L", "U"]), st.sampled_from("XY")
        ),
    )
    return scheme, draw(st.lists(tag, min_size=min_size, max_size=max_size))


@st.composite
def ranges(draw, length: int):
    start = draw(st.integers(0, length - 1))
    end = draw(st.integers(start + 1, length))
    return start, end


@st.composite
def operations(draw, length: int):
    kind = draw(st.sampled_from(["label", "remove", "split", "merge"]))
    start, end = draw(ranges(length))
    return kind, start, end, draw(LABELS)


def apply(kind: str, tags: list[str], scheme: str, start: int, end: int, name: str) -> list[str]:
    if kind == "label":
        return edits.label(tags, scheme, start, end, name)
    if kind == "remove":
        return edits.remove(tags, scheme, start, end)
    if kind == "split":
        return edits.split(tags, scheme, start)
    return edits.merge(tags, scheme, start, end)


@settings(max_examples=300)
@given(st.data())
def test_any_series_of_edits_keeps_a_valid_sentence_valid(data) -> None:
    scheme, tags = data.draw(valid_sentences())
    for kind, start, end, name in data.draw(st.lists(operations(len(tags)), max_size=8)):
        try:
            result = apply(kind, tags, scheme, start, end, name)
        except EditError:
            assert kind in ("split", "merge")  # nothing to split, or fewer than two spans
            continue
        assert len(result) == len(tags)
        assert is_valid(result, scheme), (kind, start, end, name, tags, result)
        tags = result


@settings(max_examples=300)
@given(st.data())
def test_a_labelled_range_becomes_exactly_one_span_that_nothing_overlaps(data) -> None:
    scheme, tags = data.draw(valid_sentences())
    start, end = data.draw(ranges(len(tags)))
    name = data.draw(LABELS)
    found = spans(edits.label(tags, scheme, start, end, name), scheme)
    assert Span(start, end, name) in found
    others = [s for s in found if s != Span(start, end, name)]
    assert all(s.end <= start or s.start >= end for s in others)


@settings(max_examples=300)
@given(st.data())
def test_a_labelled_range_becomes_its_own_span_even_next_to_flagged_tokens(data) -> None:
    scheme, tags = data.draw(any_sentences())
    start, end = data.draw(ranges(len(tags)))
    name = data.draw(st.sampled_from("XY"))
    result = edits.label(tags, scheme, start, end, name)
    assert Span(start, end, name) in spans(result, scheme), (tags, start, end, name, result)


@settings(max_examples=300)
@given(st.data())
def test_an_edit_never_touches_flagged_tokens_it_does_not_reach(data) -> None:
    scheme, tags = data.draw(any_sentences())
    kind, start, end, name = data.draw(operations(len(tags)))
    try:
        result = apply(kind, tags, scheme, start, end, name)
    except EditError:
        return
    # Anything more than one token away from every span the edit can reach keeps its tag. In
    # IOB1 a span's B- depends on the span before it, so the span right after the edit's
    # neighbour may be re-encoded too (found by hypothesis: O B-X I-X S-X E-X, label 0-2).
    after = end + 1 if scheme == "iob1" else end
    reach = [s for s in spans(tags, scheme) if s.start <= after and start - 1 < s.end]
    low = min([start, *(s.start for s in reach)]) - 1
    high = max([end, *(s.end for s in reach)]) + 1
    for i in invalid_positions(tags, scheme):
        if kind in ("label", "remove") and not low <= i < high:
            assert result[i] == tags[i], (kind, start, end, tags, result)


@settings(max_examples=300)
@given(st.data())
def test_restoring_the_old_tags_undoes_an_edit_exactly(data) -> None:
    scheme, tags = data.draw(valid_sentences())
    kind, start, end, name = data.draw(operations(len(tags)))
    old = list(tags)
    try:
        result = apply(kind, tags, scheme, start, end, name)
    except EditError:
        assert tags == old
        return
    assert tags == old  # the edit returned a new list and left its input alone
    assert result is not tags
    undone = list(old)  # what undo writes back: the old tags, stored before the edit
    assert undone == tags
    assert spans(undone, scheme) == spans(tags, scheme)
    assert is_valid(undone, scheme)
    if kind == "label" and Span(start, end, name) in spans(tags, scheme):
        assert result == tags  # labelling a span as what it already is changes nothing


@settings(max_examples=200)
@given(valid_sentences())
def test_repair_all_gives_any_valid_sentence_back_unchanged(sentence) -> None:
    scheme, tags = sentence
    assert edits.repair_all(tags, scheme) == tags


@settings(max_examples=300)
@given(any_sentences())
def test_repair_all_makes_any_sentence_valid_and_keeps_its_spans(sentence) -> None:
    scheme, tags = sentence
    result = edits.repair_all(tags, scheme)
    assert is_valid(result, scheme)
    assert spans(result, scheme) == spans(tags, scheme)
