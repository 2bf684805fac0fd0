"""Span voting for adjudication: pure tests, no Django and no database.

The tables give one sentence per annotator (tags as in the CoNLL column) and the vote written
out literally: accepted spans, spans rejected with their proposers, and the disputes.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.nlp.adjudication import Dispute, Reading, disagreement, vote, votes_needed
from annotator.nlp.scheme import SCHEMES, Span, TagError, spans, tags_from_spans

NAMES = ("ann", "bob", "cat", "dan", "eve")


def T(text: str) -> list[str]:
    return text.split()


def S(start: int, end: int, label: str) -> Span:
    return Span(start, end, label)


def R(spans: tuple[Span, ...], *voters: str) -> Reading:
    return Reading(spans, voters)


def readings(*rows: str) -> dict[str, list[str]]:
    """ann, bob, cat... in order, one row of tags each."""
    return {name: T(row) for name, row in zip(NAMES, rows, strict=False)}


PER, ORG, LOC = S(0, 2, "PER"), S(0, 2, "ORG"), S(0, 2, "LOC")

MAJORITY = [
    pytest.param(
        readings("B-PER I-PER O", "B-PER I-PER O", "B-ORG I-ORG O"),
        "B-PER I-PER O", [PER], [(ORG, ("cat",))], [],
        id="2-1-on-the-label",
    ),
    pytest.param(
        readings("B-PER I-PER O", "B-ORG I-ORG O", "B-LOC I-LOC O"),
        "O O O", [], [],
        [Dispute(0, 2, (R((PER,), "ann"), R((ORG,), "bob"), R((LOC,), "cat")))],
        id="1-1-1-is-a-dispute",
    ),
    pytest.param(
        readings("B-PER O", "B-PER O", "O O"),
        "B-PER O", [S(0, 1, "PER")], [], [],
        id="one-says-nothing-two-agree",
    ),
    pytest.param(
        readings("B-PER O", "O O", "O O"),
        "O O", [], [(S(0, 1, "PER"), ("ann",))], [],
        id="two-say-nothing",
    ),
    pytest.param(
        readings("B-ORG I-ORG I-ORG", "B-ORG I-ORG O", "O B-LOC O"),
        "O O O", [], [],
        [Dispute(0, 3, (R((S(0, 3, "ORG"),), "ann"), R((S(0, 2, "ORG"),), "bob"),
                        R((S(1, 2, "LOC"),), "cat")))],
        id="nested-spans-of-different-lengths",
    ),
    pytest.param(
        readings("B-ORG I-ORG I-ORG", "B-ORG I-ORG I-ORG", "B-ORG I-ORG B-LOC"),
        "B-ORG I-ORG I-ORG", [S(0, 3, "ORG")], [(ORG, ("cat",)), (S(2, 3, "LOC"), ("cat",))], [],
        id="a-shorter-span-inside-the-accepted-one",
    ),
    pytest.param(
        readings("B-PER I-PER B-LOC I-LOC", "B-PER I-PER O B-LOC", "O B-ORG I-ORG I-ORG"),
        "B-PER I-PER O O", [PER], [],
        [Dispute(0, 4, (R((PER, S(2, 4, "LOC")), "ann"), R((PER, S(3, 4, "LOC")), "bob"),
                        R((S(1, 4, "ORG"),), "cat")))],
        id="the-region-grows-to-whole-spans-accepted-ones-too",
    ),
    pytest.param(
        readings("B-X I-X I-X I-X", "B-Y I-Y O O", "O O B-Y I-Y", "O B-Z O O", "O O O O"),
        "O O O O", [], [],
        [Dispute(0, 4, (R((S(0, 4, "X"),), "ann"), R((S(0, 2, "Y"),), "bob"),
                        R((S(2, 4, "Y"),), "cat"), R((S(1, 2, "Z"),), "dan"), R((), "eve")))],
        id="a-settled-span-overlapping-a-dispute-is-offered-in-it",
    ),
    pytest.param(
        readings("B-PER I-PER", "B-PER I-PER", "B-ORG I-ORG", "B-ORG I-ORG"),
        "O O", [], [], [Dispute(0, 2, (R((PER,), "ann", "bob"), R((ORG,), "cat", "dan")))],
        id="2-2-tie-of-four",
    ),
    pytest.param(
        readings("O B-PER", "B-PER O", "O O", "O O"),
        "O O", [], [(S(0, 1, "PER"), ("bob",)), (S(1, 2, "PER"), ("ann",))], [],
        id="three-of-four-say-o-on-each-token",
    ),
    pytest.param(
        readings("O B-X", "B-X I-X", "O B-Y", "B-X I-X", "O O"),
        "O O", [], [],
        [Dispute(0, 2, (R((S(0, 2, "X"),), "bob", "dan"), R((S(1, 2, "X"),), "ann"),
                        R((S(1, 2, "Y"),), "cat"), R((), "eve")))],
        id="readings-by-votes-then-first-voter",
    ),
    pytest.param(
        readings("B-X B-X", "B-X O", "B-X B-Y", "O B-X", "O O"),
        "B-X O", [S(0, 1, "X")], [],
        [Dispute(1, 2, (R((S(1, 2, "X"),), "ann", "dan"), R((), "bob", "eve"),
                        R((S(1, 2, "Y"),), "cat")))],
        id="a-vote-of-five-settles-one-token-and-not-the-next",
    ),
    pytest.param(
        readings("B-PER I-PER O B-LOC"),
        "B-PER I-PER O B-LOC", [PER, S(3, 4, "LOC")], [], [],
        id="one-annotator-is-accepted",
    ),
    pytest.param(
        readings("B-PER I-PER O", "B-PER I-PER O"),
        "B-PER I-PER O", [PER], [], [],
        id="two-who-agree",
    ),
    pytest.param(
        readings("B-PER I-PER O", "B-PER O O"),
        "O O O", [], [], [Dispute(0, 2, (R((PER,), "ann"), R((S(0, 1, "PER"),), "bob")))],
        id="two-who-differ-dispute",
    ),
    pytest.param(
        readings("B-PER O", "O O"),
        "O O", [], [], [Dispute(0, 1, (R((S(0, 1, "PER"),), "ann"), R((), "bob")))],
        id="two-one-says-nothing",
    ),
]  # fmt: skip

ALL = [
    pytest.param(
        readings("B-PER I-PER O", "B-PER I-PER O", "B-PER I-PER O"),
        "B-PER I-PER O", [PER], [], [],
        id="all-three-agree",
    ),
    pytest.param(
        readings("B-PER I-PER O", "B-PER I-PER O", "B-ORG I-ORG O"),
        "O O O", [], [], [Dispute(0, 2, (R((PER,), "ann", "bob"), R((ORG,), "cat")))],
        id="2-1-is-a-dispute",
    ),
    pytest.param(
        readings("B-PER I-PER O", "B-PER I-PER O", "O O O"),
        "O O O", [], [], [Dispute(0, 2, (R((PER,), "ann", "bob"), R((), "cat")))],
        id="one-says-nothing",
    ),
    pytest.param(
        readings("B-PER O", "O O", "O O"),
        "O O", [], [], [Dispute(0, 1, (R((), "bob", "cat"), R((S(0, 1, "PER"),), "ann")))],
        id="only-one-says-something",
    ),
    pytest.param(
        readings("B-PER I-PER", "B-ORG I-ORG", "B-LOC I-LOC"),
        "O O", [], [], [Dispute(0, 2, (R((PER,), "ann"), R((ORG,), "bob"), R((LOC,), "cat")))],
        id="1-1-1",
    ),
    pytest.param(
        readings("B-ORG I-ORG I-ORG", "B-ORG I-ORG I-ORG", "B-ORG I-ORG B-LOC"),
        "O O O", [], [],
        [Dispute(0, 3, (R((S(0, 3, "ORG"),), "ann", "bob"), R((ORG, S(2, 3, "LOC")), "cat")))],
        id="nested-spans",
    ),
    pytest.param(
        readings("B-PER I-PER", "B-PER I-PER", "B-ORG I-ORG", "B-ORG I-ORG"),
        "O O", [], [], [Dispute(0, 2, (R((PER,), "ann", "bob"), R((ORG,), "cat", "dan")))],
        id="2-2-tie-of-four",
    ),
    pytest.param(
        readings("O B-PER"), "O B-PER", [S(1, 2, "PER")], [], [], id="one-annotator-is-accepted",
    ),
    pytest.param(
        readings("B-PER O", "O O"),
        "O O", [], [], [Dispute(0, 1, (R((S(0, 1, "PER"),), "ann"), R((), "bob")))],
        id="two-who-differ",
    ),
]  # fmt: skip


def check_vote(given_readings, rule, tags, accepted, rejected, disputes) -> None:
    result = vote(given_readings, scheme="iob2", rule=rule)
    assert result.tags == T(tags)
    assert result.accepted == tuple(accepted)
    assert result.rejected == tuple(rejected)
    assert result.disputes == tuple(disputes)


@pytest.mark.parametrize(("given_readings", "tags", "accepted", "rejected", "disputes"), MAJORITY)
def test_the_majority_rule_accepts_what_more_than_half_read(
    given_readings, tags, accepted, rejected, disputes
) -> None:
    check_vote(given_readings, "majority", tags, accepted, rejected, disputes)


@pytest.mark.parametrize(("given_readings", "tags", "accepted", "rejected", "disputes"), ALL)
def test_the_all_rule_accepts_only_what_everyone_read(
    given_readings, tags, accepted, rejected, disputes
) -> None:
    check_vote(given_readings, "all", tags, accepted, rejected, disputes)


@pytest.mark.parametrize(
    ("n", "majority", "everyone"), [(1, 1, 1), (2, 2, 2), (3, 2, 3), (4, 3, 4), (5, 3, 5)]
)
def test_the_votes_needed_follow_the_rule(n: int, majority: int, everyone: int) -> None:
    assert (votes_needed(n, "majority"), votes_needed(n, "all")) == (majority, everyone)


def test_accepted_spans_are_written_in_the_documents_scheme() -> None:
    given_readings = readings("B-PER I-PER E-PER S-LOC", "B-PER I-PER E-PER O", "S-ORG O O S-LOC")
    result = vote(given_readings, scheme="bioes")
    assert result.tags == T("B-PER I-PER E-PER S-LOC")
    assert result.rejected == ((S(0, 1, "ORG"), ("cat",)),)


def test_an_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown rule 'most'"):
        vote(readings("O"), scheme="iob2", rule="most")


def test_a_vote_needs_at_least_one_reading() -> None:
    with pytest.raises(ValueError, match="at least one reading"):
        vote({}, scheme="iob2")


def test_readings_of_different_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        vote(readings("O O", "O"), scheme="iob2")


def test_a_malformed_tag_is_rejected() -> None:
    with pytest.raises(TagError):
        vote(readings("O PER"), scheme="iob2")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(["B-PER I-PER O", "B-PER I-PER O"], 0, id="same"),
        pytest.param(["B-PER I-PER O", "I-PER I-PER O"], 0, id="prefixes-do-not-count"),
        pytest.param(["B-PER B-PER O", "B-PER I-PER O"], 0, id="boundaries-do-not-count"),
        pytest.param(["B-PER I-PER O", "B-ORG I-ORG O", "B-PER I-PER B-X"], 3, id="three"),
        pytest.param(["B-PER O O", "O O O", "B-PER O O"], 1, id="one-said-nothing"),
        pytest.param(["S-PER O", "U-PER O", "B-PER O"], 0, id="any-scheme"),
        pytest.param(["B-PER O"], 0, id="one-reading"),
        pytest.param([], 0, id="no-readings"),
    ],
)
def test_disagreement_counts_tokens_whose_entity_type_differs(rows, expected: int) -> None:
    assert disagreement([T(row) for row in rows]) == expected


def test_disagreement_rejects_readings_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        disagreement([T("O O"), T("O")])


# --- properties ----------------------------------------------------------------------------

TAGS = ("O", "O", "O", "B-X", "I-X", "E-X", "S-X", "L-X", "U-X", "B-Y", "I-Y", "S-Y")


@st.composite
def votes(draw):
    """Readings of 1-5 annotators over one sentence; tags of any scheme, valid or not,
    several annotators often copying one another so that spans get votes."""
    length = draw(st.integers(0, 8))
    sentence = st.lists(st.sampled_from(TAGS), min_size=length, max_size=length)
    pool = draw(st.lists(sentence, min_size=1, max_size=3))
    count = draw(st.integers(1, 5))
    chosen = {name: list(draw(st.sampled_from(pool))) for name in NAMES[:count]}
    return chosen, draw(st.sampled_from(SCHEMES)), draw(st.sampled_from(("majority", "all")))


def covers(dispute: Dispute, span: Span) -> bool:
    return dispute.start <= span.start and span.end <= dispute.end


@settings(max_examples=400, deadline=None)
@given(votes())
def test_every_span_is_accepted_rejected_or_in_exactly_one_dispute(case) -> None:
    given_readings, scheme, rule = case
    result = vote(given_readings, scheme=scheme, rule=rule)
    found = {name: spans(tags, scheme) for name, tags in given_readings.items()}
    rejected = {span: who for span, who in result.rejected}
    for name, spans_of_one in found.items():
        for span in spans_of_one:
            holding = [d for d in result.disputes if covers(d, span)]
            if span in result.accepted:
                assert span not in rejected
                continue
            assert (span in rejected) + len(holding) == 1, span
            if holding:  # offered in the reading its annotator is a voter of
                (reading,) = [r for r in holding[0].readings if name in r.voters]
                assert span in reading.spans
            else:
                assert name in rejected[span]


@settings(max_examples=400, deadline=None)
@given(votes())
def test_the_vote_tags_hold_exactly_the_accepted_spans_which_never_overlap(case) -> None:
    given_readings, scheme, rule = case
    result = vote(given_readings, scheme=scheme, rule=rule)
    assert all(a.end <= b.start for a, b in pairwise(result.accepted))
    assert spans(result.tags, scheme) == list(result.accepted)
    k = votes_needed(len(given_readings), rule)
    counts = {}
    for tags in given_readings.values():
        for span in spans(tags, scheme):
            counts[span] = counts.get(span, 0) + 1
    assert set(result.accepted) == {span for span, count in counts.items() if count >= k}


@settings(max_examples=400, deadline=None)
@given(votes())
def test_disputes_are_separate_regions_each_with_a_real_choice(case) -> None:
    given_readings, scheme, rule = case
    result = vote(given_readings, scheme=scheme, rule=rule)
    regions = [(d.start, d.end) for d in result.disputes]
    assert all(a[1] <= b[0] for a, b in pairwise(regions))
    for dispute in result.disputes:
        assert len(dispute.readings) >= 2
        voters = [name for reading in dispute.readings for name in reading.voters]
        assert sorted(voters) == sorted(given_readings)
        assert [len(r.voters) for r in dispute.readings] == sorted(
            (len(r.voters) for r in dispute.readings), reverse=True
        )
        assert all(covers(dispute, span) for r in dispute.readings for span in r.spans)
        region = range(dispute.start, dispute.end)
        assert any(undecided(given_readings, scheme, rule, i) for i in region)


def undecided(given_readings, scheme: str, rule: str, i: int) -> bool:
    """No accepted span covers token i and fewer than the votes needed say O there."""
    k = votes_needed(len(given_readings), rule)
    found = [spans(tags, scheme) for tags in given_readings.values()]
    inside = [[s for s in spans_of_one if s.start <= i < s.end] for spans_of_one in found]
    outside = sum(not spans_here for spans_here in inside)
    accepted = any(
        sum(span in spans_here for spans_here in inside) >= k for span in sum(inside, [])
    )
    return not accepted and outside < k


@st.composite
def valid_tags(draw, scheme: str) -> list[str]:
    length = draw(st.integers(0, 10))
    cuts = sorted(draw(st.lists(st.integers(0, length), max_size=6, unique=True)))
    found = [
        S(a, b, draw(st.sampled_from("XYZ")))
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        if a < b
    ]
    return tags_from_spans(found, length, scheme)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from(SCHEMES), st.integers(1, 5), st.sampled_from(["majority", "all"]))
def test_identical_readings_are_accepted_unchanged(data, scheme: str, count: int, rule) -> None:
    tags = data.draw(valid_tags(scheme))
    result = vote({name: list(tags) for name in NAMES[:count]}, scheme=scheme, rule=rule)
    assert result.tags == tags
    assert result.disputes == () and result.rejected == ()
