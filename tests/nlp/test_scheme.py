"""Tag schemes: pure-Python tests, no Django and no database."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.nlp.scheme import (
    PREFIXES,
    SCHEMES,
    SchemeDetector,
    Span,
    TagError,
    convert,
    detect_scheme,
    invalid_positions,
    is_valid,
    labels,
    parse_tag,
    repair,
    spans,
    tags_from_spans,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def S(start: int, end: int, label: str) -> Span:
    return Span(start, end, label)


def test_the_scheme_module_imports_without_django() -> None:
    code = "import sys; import annotator.nlp.scheme; assert 'django' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_scheme_lists_its_allowed_prefixes() -> None:
    assert SCHEMES == ("iob1", "iob2", "bioes", "bilou")
    expected = {
        "iob1": {"B", "I"},
        "iob2": {"B", "I"},
        "bioes": {"B", "I", "E", "S"},
        "bilou": {"B", "I", "L", "U"},
    }
    assert expected == PREFIXES


# --- parse_tag ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("O", ("O", None)),
        ("B-PER", ("B", "PER")),
        ("I-LOC", ("I", "LOC")),
        ("E-ORG", ("E", "ORG")),
        ("S-MISC", ("S", "MISC")),
        ("L-PER", ("L", "PER")),
        ("U-PER", ("U", "PER")),
        ("B-Data-Structure", ("B", "Data-Structure")),
        ("B-Data_Structure", ("B", "Data_Structure")),
    ],
)
def test_well_formed_tags_split_into_prefix_and_label(tag: str, expected: tuple) -> None:
    assert parse_tag(tag) == expected


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("", "malformed tag '': tag is empty"),
        ("B-", "malformed tag 'B-': label missing after 'B-'"),
        ("X-Foo", "malformed tag 'X-Foo': unknown prefix 'X' (expected B, I, E, S, L or U)"),
        ("PER", "malformed tag 'PER': expected 'O' or PREFIX-LABEL such as 'B-PER'"),
        ("o", "malformed tag 'o': expected 'O' or PREFIX-LABEL such as 'B-PER'"),
        (
            "b-per",
            "malformed tag 'b-per': unknown prefix 'b' "
            "(expected B, I, E, S, L or U; prefixes are upper-case)",
        ),
        ("-PER", "malformed tag '-PER': prefix missing before '-PER'"),
        ("BI-PER", "malformed tag 'BI-PER': unknown prefix 'BI' (expected B, I, E, S, L or U)"),
    ],
)
def test_a_malformed_tag_is_rejected_with_a_message_saying_what_is_wrong(
    tag: str, message: str
) -> None:
    with pytest.raises(TagError, match=f"^{re.escape(message)}$"):
        parse_tag(tag)


def test_a_malformed_tag_error_can_be_caught_as_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_tag("PER")


def test_repeated_tags_are_parsed_from_the_cache_so_big_imports_stay_fast() -> None:
    parse_tag("B-CacheCheck")
    hits = parse_tag.cache_info().hits
    parse_tag("B-CacheCheck")
    assert parse_tag.cache_info().hits == hits + 1


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentences", "expected"),
    [
        pytest.param([["I-PER", "I-PER", "O", "I-LOC"], ["O", "I-ORG"]], "iob1", id="conll2003"),
        pytest.param([["I-PER", "B-PER", "O"]], "iob1", id="iob1-same-type-separator"),
        pytest.param([["I-PER", "I-LOC"]], "iob1", id="iob1-type-change"),
        pytest.param([["B-PER", "I-PER", "O", "B-LOC"]], "iob2", id="iob2"),
        pytest.param([["B-PER", "I-PER", "O"], ["O", "I-LOC", "O"]], "iob2", id="noisy-iob2"),
        pytest.param([["I-PER", "B-LOC"]], "iob2", id="b-after-other-type-is-not-iob1"),
        pytest.param([["I-PER"], ["B-PER"]], "iob2", id="b-at-sentence-start"),
        pytest.param([["B-PER", "I-PER", "E-PER", "S-LOC"]], "bioes", id="bioes"),
        pytest.param([["S-PER", "O"]], "bioes", id="bioes-single-tokens-only"),
        pytest.param([["B-PER", "L-PER", "U-LOC"]], "bilou", id="bilou"),
        pytest.param([["S-PER"], ["U-LOC"]], "bilou", id="mixed-families-pick-bilou"),
        pytest.param([["O", "O"], []], "iob2", id="all-O"),
        pytest.param([], "iob2", id="empty-corpus"),
    ],
)
def test_the_scheme_of_a_corpus_is_detected(sentences: list[list[str]], expected: str) -> None:
    assert detect_scheme(sentences) == expected


def test_detection_streams_sentences_one_at_a_time() -> None:
    detector = SchemeDetector()
    detector.feed(["I-PER", "I-PER", "O"])
    assert detector.result() == "iob1"
    detector.feed(["B-LOC", "O"])  # a B- opening an entity rules IOB1 out
    assert detector.result() == "iob2"
    assert detect_scheme(s for s in [["I-PER"], ["O", "B-LOC"]]) == "iob2"


def test_detection_rejects_a_malformed_tag() -> None:
    with pytest.raises(TagError):
        detect_scheme([["B-PER", "PER"]])


# --- spans -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "scheme", "expected"),
    [
        ([], "iob2", []),
        (["B-PER", "I-PER", "O", "B-LOC"], "iob2", [S(0, 2, "PER"), S(3, 4, "LOC")]),
        (["B-PER", "B-PER"], "iob2", [S(0, 1, "PER"), S(1, 2, "PER")]),
        (["O", "I-PER", "I-PER"], "iob2", [S(1, 3, "PER")]),
        (["B-PER", "I-LOC"], "iob2", [S(0, 1, "PER"), S(1, 2, "LOC")]),
        (["O", "B-PER", "I-PER"], "iob2", [S(1, 3, "PER")]),
        (["I-PER", "I-PER", "O", "I-LOC"], "iob1", [S(0, 2, "PER"), S(3, 4, "LOC")]),
        (["I-PER", "B-PER"], "iob1", [S(0, 1, "PER"), S(1, 2, "PER")]),
        (["I-PER", "I-LOC"], "iob1", [S(0, 1, "PER"), S(1, 2, "LOC")]),
        (["B-PER", "I-PER", "E-PER", "S-LOC"], "bioes", [S(0, 3, "PER"), S(3, 4, "LOC")]),
        (["B-PER", "I-PER", "O"], "bioes", [S(0, 2, "PER")]),
        (["E-PER"], "bioes", [S(0, 1, "PER")]),
        (["B-PER", "E-PER", "I-PER"], "bioes", [S(0, 2, "PER"), S(2, 3, "PER")]),
        (["S-PER", "E-PER"], "bioes", [S(0, 1, "PER"), S(1, 2, "PER")]),
        (["B-PER", "E-LOC"], "bioes", [S(0, 1, "PER"), S(1, 2, "LOC")]),
        (["B-ORG", "L-ORG", "U-ORG"], "bilou", [S(0, 2, "ORG"), S(2, 3, "ORG")]),
        (["B-ORG", "I-ORG"], "bilou", [S(0, 2, "ORG")]),
        (["B-Data-Structure", "I-Data-Structure"], "iob2", [S(0, 2, "Data-Structure")]),
    ],
)
def test_tags_decode_into_entity_spans_leniently(
    tags: list[str], scheme: str, expected: list[Span]
) -> None:
    assert spans(tags, scheme) == expected


def test_decoding_a_malformed_tag_raises_tag_error() -> None:
    with pytest.raises(TagError, match="'B-'"):
        spans(["O", "B-"], "iob2")


# --- encoding ----------------------------------------------------------------------------

ADJACENT = [S(0, 1, "PER"), S(1, 2, "PER"), S(3, 4, "LOC")]
LONG_THEN_SHORT = [S(0, 3, "PER"), S(3, 4, "PER")]


@pytest.mark.parametrize(
    ("given_spans", "length", "scheme", "expected"),
    [
        (ADJACENT, 5, "iob1", ["I-PER", "B-PER", "O", "I-LOC", "O"]),
        ([S(0, 1, "PER"), S(1, 2, "LOC")], 2, "iob1", ["I-PER", "I-LOC"]),
        (ADJACENT, 5, "iob2", ["B-PER", "B-PER", "O", "B-LOC", "O"]),
        (LONG_THEN_SHORT, 4, "bioes", ["B-PER", "I-PER", "E-PER", "S-PER"]),
        (LONG_THEN_SHORT, 4, "bilou", ["B-PER", "I-PER", "L-PER", "U-PER"]),
        ([], 3, "bioes", ["O", "O", "O"]),
        ([S(2, 3, "LOC"), S(0, 1, "PER")], 3, "iob2", ["B-PER", "O", "B-LOC"]),
    ],
)
def test_spans_encode_into_a_tag_sequence_in_each_scheme(
    given_spans: list[Span], length: int, scheme: str, expected: list[str]
) -> None:
    assert tags_from_spans(given_spans, length, scheme) == expected


@pytest.mark.parametrize(
    ("bad_spans", "length", "message"),
    [
        ([S(0, 2, "PER"), S(1, 3, "LOC")], 3, "overlap"),
        ([S(0, 1, "PER"), S(0, 1, "PER")], 3, "overlap"),
        ([S(2, 4, "PER")], 3, "out of range"),
        ([S(-1, 1, "PER")], 3, "out of range"),
        ([S(1, 1, "PER")], 3, "empty or out of range"),
        ([S(0, 1, "")], 3, "empty label"),
        ([], -1, "negative"),
    ],
)
def test_spans_that_cannot_be_encoded_are_refused(
    bad_spans: list[Span], length: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        tags_from_spans(bad_spans, length, "iob2")


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "scheme", "expected"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], "iob2", []),
        (["O", "I-PER"], "iob2", [1]),
        (["I-PER", "I-PER"], "iob2", [0]),
        (["B-PER", "I-LOC"], "iob2", [1]),
        (["S-PER"], "iob2", [0]),
        (["B-PER", "E-PER"], "iob2", [1]),
        (["I-PER", "I-PER", "O", "I-LOC"], "iob1", []),
        (["I-PER", "B-PER", "B-PER"], "iob1", []),
        (["I-PER", "I-LOC"], "iob1", []),
        (["B-PER"], "iob1", [0]),
        (["O", "B-PER"], "iob1", [1]),
        (["I-PER", "B-LOC"], "iob1", [1]),
        (["B-PER", "I-PER", "E-PER", "S-PER", "S-PER"], "bioes", []),
        (["B-PER", "O"], "bioes", [0]),
        (["B-PER", "I-PER", "O"], "bioes", [1]),
        (["O", "I-PER", "E-PER"], "bioes", [1]),
        (["E-PER"], "bioes", [0]),
        (["B-PER", "E-LOC"], "bioes", [0, 1]),
        (["B-PER", "S-PER"], "bioes", [0]),
        (["B-PER", "E-PER", "I-PER", "E-PER"], "bioes", [2]),
        (["U-PER"], "bioes", [0]),
        (["B-PER", "L-PER", "U-LOC"], "bilou", []),
        (["B-PER", "O"], "bilou", [0]),
        (["L-PER"], "bilou", [0]),
        (["U-PER", "L-PER"], "bilou", [1]),
        (["S-PER"], "bilou", [0]),
        (["B-PER", "E-PER"], "bilou", [0, 1]),
    ],
)
def test_invalid_transitions_are_flagged_at_the_offending_token(
    tags: list[str], scheme: str, expected: list[int]
) -> None:
    assert invalid_positions(tags, scheme) == expected
    assert is_valid(tags, scheme) is (not expected)


def test_a_stray_inside_tag_after_O_is_flagged_in_iob2() -> None:
    assert invalid_positions(["B-PER", "O", "I-PER"], "iob2") == [2]


def test_an_entity_left_open_is_flagged_in_bioes() -> None:
    assert not is_valid(["B-LOC", "I-LOC"], "bioes")


# --- repair and convert ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "scheme", "expected"),
    [
        (["O", "I-PER", "I-PER"], "iob2", ["O", "B-PER", "I-PER"]),
        (["B-PER", "I-LOC"], "iob2", ["B-PER", "B-LOC"]),
        (["B-PER", "I-PER"], "iob1", ["I-PER", "I-PER"]),
        (["B-PER", "I-PER", "O"], "bioes", ["B-PER", "E-PER", "O"]),
        (["B-PER"], "bioes", ["S-PER"]),
        (["I-PER"], "bilou", ["U-PER"]),
        (["B-PER", "E-PER"], "bilou", ["B-PER", "L-PER"]),
        (["B-PER", "I-PER", "O", "B-LOC"], "iob2", ["B-PER", "I-PER", "O", "B-LOC"]),
    ],
)
def test_repair_rewrites_invalid_tags_and_keeps_valid_ones(
    tags: list[str], scheme: str, expected: list[str]
) -> None:
    assert repair(tags, scheme) == expected


@pytest.mark.parametrize(
    ("tags", "source", "target", "expected"),
    [
        (["I-PER", "I-PER", "O", "I-LOC"], "iob1", "iob2", ["B-PER", "I-PER", "O", "B-LOC"]),
        (["I-PER", "B-PER"], "iob1", "bioes", ["S-PER", "S-PER"]),
        (["B-PER", "I-PER", "I-PER"], "iob2", "bioes", ["B-PER", "I-PER", "E-PER"]),
        (["B-PER", "E-PER", "S-LOC"], "bioes", "bilou", ["B-PER", "L-PER", "U-LOC"]),
        (["B-PER", "B-PER"], "iob2", "iob1", ["I-PER", "B-PER"]),
    ],
)
def test_a_sentence_converts_between_schemes(
    tags: list[str], source: str, target: str, expected: list[str]
) -> None:
    assert convert(tags, source, target) == expected


def test_converting_to_the_same_scheme_returns_a_copy_not_the_original_list() -> None:
    tags = ["B-PER", "I-PER"]
    result = convert(tags, "iob2", "iob2")
    assert result == tags
    assert result is not tags


@pytest.mark.parametrize(
    "call",
    [
        lambda: spans(["O"], "bio"),
        lambda: tags_from_spans([], 1, "IOB2"),
        lambda: convert(["O"], "iob2", "iobes"),
        lambda: invalid_positions(["O"], "conll"),
        lambda: repair(["O"], ""),
    ],
)
def test_an_unknown_scheme_name_is_refused_with_the_known_names(call) -> None:
    with pytest.raises(ValueError, match="iob1, iob2, bioes, bilou"):
        call()


def test_labels_lists_entity_types_without_prefixes() -> None:
    assert labels(["O", "B-PER", "I-PER", "B-Data-Structure", "S-LOC"]) == {
        "PER",
        "Data-Structure",
        "LOC",
    }
    assert labels(iter(["O"])) == set()
    with pytest.raises(TagError):
        labels(["B-PER", "X-PER"])


# --- properties --------------------------------------------------------------------------

LABELS = st.sampled_from(["PER", "LOC", "Data-Structure"])
ANY_SCHEME = st.sampled_from(SCHEMES)
WELL_FORMED_TAGS = st.one_of(
    st.just("O"), st.builds("{}-{}".format, st.sampled_from("BIESLU"), LABELS)
)
TAG_SEQUENCES = st.lists(WELL_FORMED_TAGS, max_size=30)


@st.composite
def span_sets(draw: st.DrawFn) -> tuple[list[Span], int]:
    """Sorted non-overlapping spans, often adjacent and sharing a label, plus a sentence length."""
    pieces = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4), LABELS), max_size=8))
    result, position = [], 0
    for gap, width, label in pieces:
        position += gap
        result.append(Span(position, position + width, label))
        position += width
    return result, position + draw(st.integers(0, 2))


@given(span_sets(), ANY_SCHEME)
def test_encoded_spans_decode_back_to_the_same_spans_and_are_valid(
    case: tuple[list[Span], int], scheme: str
) -> None:
    original, length = case
    tags = tags_from_spans(original, length, scheme)
    assert len(tags) == length
    assert spans(tags, scheme) == original
    assert is_valid(tags, scheme)


@given(span_sets(), ANY_SCHEME, ANY_SCHEME)
def test_converting_to_another_scheme_and_back_gives_the_original_tags(
    case: tuple[list[Span], int], source: str, target: str
) -> None:
    tags = tags_from_spans(*case, source)
    converted = convert(tags, source, target)
    assert is_valid(converted, target)
    assert convert(converted, target, source) == tags
    assert convert(tags, source, source) == tags


@given(span_sets(), ANY_SCHEME)
def test_a_valid_corpus_is_detected_as_its_own_scheme(
    case: tuple[list[Span], int], scheme: str
) -> None:
    tags = tags_from_spans(*case, scheme)
    expected = scheme if case[0] else "iob2"
    assert detect_scheme([tags]) == expected


@given(TAG_SEQUENCES, ANY_SCHEME)
def test_repair_always_produces_a_valid_sequence_with_the_same_entities(
    tags: list[str], scheme: str
) -> None:
    repaired = repair(tags, scheme)
    assert len(repaired) == len(tags)
    assert is_valid(repaired, scheme)
    assert spans(repaired, scheme) == spans(tags, scheme)


@given(span_sets(), ANY_SCHEME)
def test_repair_leaves_a_valid_sequence_unchanged(
    case: tuple[list[Span], int], scheme: str
) -> None:
    tags = tags_from_spans(*case, scheme)
    assert repair(tags, scheme) == tags


@given(TAG_SEQUENCES, ANY_SCHEME)
def test_only_sequences_that_repair_would_change_are_reported_invalid(
    tags: list[str], scheme: str
) -> None:
    # Validation and repair are written independently; they must agree on what is broken.
    assert is_valid(tags, scheme) == (repair(tags, scheme) == tags)


@given(TAG_SEQUENCES, ANY_SCHEME)
def test_decoding_never_fails_on_well_formed_tags_in_any_order(
    tags: list[str], scheme: str
) -> None:
    found = spans(tags, scheme)
    assert found == sorted(found)
    for before, after in zip(found, found[1:], strict=False):
        assert before.end <= after.start
    assert all(0 <= s.start < s.end <= len(tags) for s in found)
    assert all(0 <= i < len(tags) for i in invalid_positions(tags, scheme))
