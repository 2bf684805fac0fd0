"""Retrain as you go, the pure part: when a retrain is due, and what the next model suggests."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.nlp import crf, retraining
from annotator.nlp.scheme import spans

SENTENCES = [
    (["Ada", "Lovelace", "visited", "Paris", "."], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
    (["Alan", "Turing", "left", "London", "."], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
    (["Grace", "Hopper", "saw", "Rome", "."], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
] * 8


@pytest.mark.parametrize(
    ("learned", "every", "due"),
    [
        (0, 200, 10),  # the first model after ten reviewed sentences
        (10, 200, 20),
        (20, 200, 40),
        (80, 200, 160),
        (160, 200, 320),
        (320, 200, 520),  # the gap has reached N: every N from now on
        (520, 200, 720),
        (0, 3, 3),  # a project that asks for less than the first gap gets what it asks
        (60, 3, 63),
        (0, 0, 1),  # never due on every review twice at the same count
    ],
)
def test_the_gap_between_retrains_doubles_up_to_the_projects_setting(learned, every, due) -> None:
    assert retraining.next_retrain(learned, every) == due


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> crf.Tagger:
    path = Path(tmp_path_factory.mktemp("model")) / "live.crfsuite"
    retraining.train(SENTENCES, path, iterations=30)
    return crf.Tagger(path)


def test_the_next_model_suggests_what_it_learnt(tagger) -> None:
    tags, probability, confidence = retraining.suggest(tagger, ["Ada", "Lovelace", "saw", "Rome"])

    assert tags == ["B-PER", "I-PER", "O", "B-LOC"]
    assert 0 < probability <= 1
    assert [c[:2] for c in confidence] == [[0, 2], [3, 4]]


def test_a_span_rejected_on_the_sentence_is_not_suggested_again(tagger) -> None:
    tokens = ["Ada", "Lovelace", "saw", "Rome"]

    tags, _, confidence = retraining.suggest(tagger, tokens, rejected=[(3, 4, "LOC")])

    assert [(s.start, s.end, s.label) for s in spans(tags, "iob2")] == [(0, 2, "PER")]
    assert [c[:2] for c in confidence] == [[0, 2]]


def test_a_rejection_of_another_label_or_extent_leaves_the_suggestion(tagger) -> None:
    tokens = ["Ada", "Lovelace", "saw", "Rome"]

    tags, _, _ = retraining.suggest(tagger, tokens, rejected=[(3, 4, "PER"), (0, 1, "PER")])

    assert tags == ["B-PER", "I-PER", "O", "B-LOC"]


def test_the_held_out_score_comes_from_sentences_the_scored_model_did_not_see() -> None:
    scores, held_out = retraining.held_out_f1(SENTENCES, iterations=30)

    assert held_out == 2  # a tenth of 24
    assert scores["micro"]["support"] == 2 * 2  # two spans in each held-out sentence
