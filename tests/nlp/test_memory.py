"""Label memory: gazetteer and usual labels, computed out of fold. Pure code, no Django."""

from __future__ import annotations

import random

from annotator.nlp import memory
from tests.nlp.test_crf import _name


def test_a_training_sentence_never_gets_memory_of_its_own_labels():
    rng = random.Random(3)
    sentences = [(_name(rng), []) for _ in range(20)]
    sentences = [(tokens, ["B-X"] + ["I-X"] * (len(tokens) - 1)) for tokens, _ in sentences]
    memories = memory.out_of_fold(sentences, folds=5)
    for (tokens, _), own in zip(sentences, memories, strict=True):
        assert own.gazetteer.match(tokens) == []  # each name occurs once: only its own label
    assert len(memory.LabelMemory().learn(sentences).gazetteer) == 20


def test_a_word_gets_its_usual_label_steady_or_mixed():
    sentences = [
        (["Paris", "is", "big"], ["B-LOC", "O", "O"]),
        (["Paris", "Hilton"], ["B-PER", "I-PER"]),
        (["Paris", "again"], ["B-LOC", "O"]),
        (["London", "calling"], ["B-LOC", "O"]),
    ]
    learnt = memory.LabelMemory().learn(sentences)
    assert learnt.usual["paris"] == "LOC:mixed"  # 2 of 3
    assert learnt.usual["london"] == "LOC:steady"  # seen once
    assert "calling" in learnt.usual
    features = [{} for _ in range(3)]
    learnt.add_features(["PARIS", "Hilton", "x"], features)
    assert features[0] == {"gazetteer": "B-PER", "usual": "LOC:mixed"}
    assert features[1] == {"gazetteer": "I-PER", "usual": "PER:steady"}
    assert features[2] == {}


def test_memory_survives_a_round_trip_through_json():
    learnt = memory.LabelMemory().learn([(["New", "York", "x"], ["B-LOC", "I-LOC", "O"])] * 2)
    again = memory.LabelMemory.from_json(learnt.to_json())
    assert again.usual == learnt.usual
    assert again.gazetteer.match(["in", "new", "york"]) == learnt.gazetteer.match(
        ["in", "new", "york"]
    )


def test_folds_are_consecutive_blocks_of_nearly_equal_size():
    assert memory.fold_of(7, 3) == [0, 0, 0, 1, 1, 2, 2]
    assert memory.fold_of(0, 5) == []
