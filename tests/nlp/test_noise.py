"""Planted label errors for the finder's benchmark, and the consistency signal. No Django."""

from __future__ import annotations

import random

import numpy as np

from annotator.nlp import likely_errors, noise
from annotator.nlp.scheme import is_valid, spans


def _corpus(count: int = 400) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(5)
    sentences = []
    for _ in range(count):
        tokens, tags = [], []
        for _ in range(rng.randint(4, 12)):
            if rng.random() < 0.3:
                label, width = rng.choice("ABC"), rng.randint(1, 3)
                tokens += [f"e{rng.randint(0, 50)}" for _ in range(width)]
                tags += [f"B-{label}"] + [f"I-{label}"] * (width - 1)
            tokens.append("w")
            tags.append("O")
        sentences.append((tokens, tags))
    return sentences


def test_five_percent_of_spans_change_half_of_them_in_type():
    clean = _corpus()
    total = sum(len(spans(tags, "iob2")) for _, tags in clean)
    noisy, changes = noise.corrupt(clean, 0.05, seed=1)
    assert len(changes) == round(0.05 * total)
    kinds = [c.kind for c in changes]
    assert kinds.count("drop") == kinds.count("boundary") == len(changes) // 4
    assert kinds.count("type") == len(changes) - 2 * (len(changes) // 4)
    differing = {(i, t) for i, ((_, a), (_, b)) in enumerate(zip(clean, noisy, strict=True))
                 for t in range(len(a)) if a[t] != b[t]}  # fmt: skip
    assert differing == {(c.sentence, t) for c in changes for t in c.tokens}
    assert all(is_valid(tags, "iob2") for _, tags in noisy)


def test_changes_never_touch_each_other():
    _, changes = noise.corrupt(_corpus(), 0.2, seed=2)
    by_sentence: dict[int, list] = {}
    for change in changes:
        by_sentence.setdefault(change.sentence, []).append(change.tokens)
    for places in by_sentence.values():
        places.sort()
        for before, after in zip(places, places[1:], strict=False):
            assert after[0] - before[-1] > 1


def test_the_same_seed_plants_the_same_errors():
    clean = _corpus()
    assert noise.corrupt(clean, 0.05, seed=3) == noise.corrupt(clean, 0.05, seed=3)
    assert noise.corrupt(clean, 0.05, seed=3)[1] != noise.corrupt(clean, 0.05, seed=4)[1]


def test_a_word_tagged_otherwise_everywhere_else_ranks_first():
    sentences = [(["Paris", "is", "nice"], ["B-LOC", "O", "O"]) for _ in range(9)]
    sentences.append((["Paris", "is", "nice"], ["B-PER", "O", "O"]))
    classes = likely_errors.tag_classes(sentences)
    unsure = np.full((3, len(classes)), 1 / len(classes))  # a model that knows nothing
    ranking = likely_errors.rank(sentences, [unsure] * 10)
    assert [(x.sentence, x.token, x.suggested) for x in ranking.issues] == [(9, 0, "B-LOC")]
    assert likely_errors.rank(sentences, [unsure] * 10, weight=0).issues == []  # without it: ties


def test_an_entity_left_untagged_where_it_is_tagged_elsewhere_ranks_first():
    sentences = [(["Paris", "is", "nice"], ["B-LOC", "O", "O"]) for _ in range(9)]
    sentences.append((["Paris", "is", "nice"], ["O", "O", "O"]))
    classes = likely_errors.tag_classes(sentences)
    unsure = np.full((3, len(classes)), 1 / len(classes))
    issue = likely_errors.rank(sentences, [unsure] * 10).issues[0]
    assert (issue.sentence, issue.token, issue.given, issue.kind) == (9, 0, "O", "missing")
