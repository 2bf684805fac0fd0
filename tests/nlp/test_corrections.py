"""Small corrections of a sentence's tags: what is proposed, how it is scored, the corpus's
voice (how the same words are tagged elsewhere). Pure code, no Django."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from annotator.nlp import corrections, crf
from annotator.nlp.scheme import is_valid


def corrected(tags, proposal):
    start, new, _ = proposal
    out = list(tags)
    out[start : start + len(new)] = new
    return out


def test_a_span_gets_every_other_type_and_its_boundaries_move_by_one():
    tags = ["O", "B-A", "I-A", "O", "O"]
    found = {tuple(corrected(tags, p)): p[2] for p in corrections.propose(tags, ["A", "B"])}
    assert found[("O", "B-B", "I-B", "O", "O")] == "type"
    assert found[("B-A", "I-A", "I-A", "O", "O")] == "boundary"  # grows left
    assert found[("O", "B-A", "I-A", "I-A", "O")] == "boundary"  # grows right
    assert found[("O", "O", "B-A", "O", "O")] == "boundary"  # loses its first token
    assert found[("O", "B-A", "O", "O", "O")] == "boundary"  # loses its last token
    assert found[("O", "B-A", "I-A", "B-B", "I-B")] == "missing"
    assert ("O", "O", "O", "O", "O") not in found  # dropping a tagged span is not proposed


def test_missing_entities_are_proposed_only_where_asked():
    tags = ["O", "O", "B-B"]
    assert corrections.propose(tags, ["A"], [(0, 2, "A")])[-1] == (0, ("B-A", "I-A"), "missing")
    assert (1, ("B-A",), "missing") not in corrections.propose(tags, ["A"], [(0, 2, "A")])
    assert corrections.propose(["O", "B-A", "I-A"], ["A"], [(0, 2, "A")]) == (
        corrections.propose(["O", "B-A", "I-A"], ["A"], [])
    )  # an entity over a tagged token is not proposed


def test_the_marginals_pick_the_missing_entities_worth_scoring():
    index = {"O": 0, "B-A": 1, "I-A": 2}
    marginals = np.array([[0.998, 0.001, 0.001], [0.2, 0.7, 0.1], [0.3, 0.1, 0.6]])
    found = corrections.likely_missing(["O", "O", "O"], np.log(marginals), index, ["A"])
    assert (1, 3, "A") in found and (1, 2, "A") in found
    assert all(start != 0 for start, _, _ in found)  # 0.001 against 0.998: below the floor
    no_inside = {"O": 0, "B-A": 1}
    found = corrections.likely_missing(["O", "O"], np.log(marginals[1:, :2]), no_inside, ["A"])
    assert found == [(0, 1, "A"), (1, 2, "A")]  # no I-A: one-token entities only


@given(
    st.lists(st.sampled_from(["O", "B-A", "I-A", "B-B", "I-B"]), min_size=1, max_size=8).map(
        lambda tags: [
            "B" + tag[1:] if tag.startswith("I-") and (i == 0 or tags[i - 1][2:] != tag[2:])
            else tag
            for i, tag in enumerate(tags)
        ]
    )
)  # fmt: skip
def test_every_proposal_leaves_valid_iob2_tags_that_differ_from_the_given(tags):
    assert is_valid(tags, "iob2")
    for proposal in corrections.propose(tags, ["A", "B"]):
        new = corrected(tags, proposal)
        assert is_valid(new, "iob2"), (tags, proposal)
        assert new != tags


def test_a_correction_gains_what_the_model_says_of_the_corrected_sentence():
    tags = ["B-A", "O"]
    rate = lambda sequences: [0.0 if s == ["B-B", "O"] else -3.0 for s in sequences]  # noqa: E731
    found = corrections.score(7, tags, corrections.propose(tags, ["A", "B"]), rate)
    best = max(found, key=lambda c: c.gain)
    assert (best.sentence, best.start, best.tags, best.kind) == (7, 0, ("B-B",), "type")
    assert best.gain == 3.0
    assert best.applied(tags) == ["B-B", "O"] and list(best.tokens) == [0]


SENTENCES = [
    (["New", "York", "is", "big"], ["B-LOC", "I-LOC", "O", "O"]),
    (["new", "york", "again"], ["B-LOC", "I-LOC", "O"]),
    (["New", "York", "Times"], ["O", "O", "O"]),
]


def test_a_sentences_own_tags_never_vouch_for_themselves():
    counts = corrections.FormCounts(SENTENCES)
    assert counts.elsewhere(0, ("new", "york")) == {"LOC": 1, "O": 1}
    assert counts.elsewhere(2, ("new", "york")) == {"LOC": 2}
    assert counts.hints(2, *SENTENCES[2]) == [(0, 2, "LOC")]
    assert counts.hints(0, *SENTENCES[0]) == []  # already tagged


def test_the_corpus_speaks_for_a_reading_its_words_have_elsewhere():
    counts = corrections.FormCounts(SENTENCES)
    add = corrections.Correction(2, 0, ("B-LOC", "I-LOC"), "missing", 0.0)
    # Elsewhere: LOC twice, never O. Smoothing: one pseudo-occurrence over 2 labels (LOC, O).
    expected = math.log((2 + 0.5) / 3) - math.log((0 + 0.5) / 3)
    assert math.isclose(counts.evidence(2, *SENTENCES[2], add, prior=1.0), expected)
    unknown = corrections.Correction(2, 2, ("B-LOC",), "missing", 0.0)
    assert counts.evidence(2, *SENTENCES[2], unknown, prior=1.0) == 0.0  # words never tagged


def test_a_crf_rates_several_tag_sequences_of_one_sentence(tmp_path: Path):
    train = [(["Ada", "runs"], ["B-PER", "O"]), (["Bo", "sits"], ["B-PER", "O"])] * 10
    crf.train(train, tmp_path / "m.crfsuite", iterations=20, features="token")
    tagger = crf.Tagger(tmp_path / "m.crfsuite")
    good, bad, unknown = tagger.log_probabilities(
        ["Ada", "runs"], [["B-PER", "O"], ["O", "B-PER"], ["B-XYZ", "O"]]
    )
    assert good > bad and good <= 0.0
    assert math.isclose(math.exp(good), tagger.probability(["Ada", "runs"], ["B-PER", "O"]))
    assert unknown == crf.LOG_FLOOR
