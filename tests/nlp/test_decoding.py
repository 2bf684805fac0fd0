"""Decoding for review: the valid IOB2 tags with the fewest expected token edits."""

from __future__ import annotations

import itertools
import random

import pytest

from annotator.nlp import scheme
from annotator.nlp.decoding import fewest_expected_edits

TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]


def expected_edits(marginals, tags) -> float:
    return sum(1 - row.get(tag, 0.0) for row, tag in zip(marginals, tags, strict=True))


def marginals_of(sequences: dict[tuple[str, ...], float]) -> list[dict[str, float]]:
    """Per token, the probability of each tag under a distribution over whole sequences."""
    length = len(next(iter(sequences)))
    rows: list[dict[str, float]] = [{} for _ in range(length)]
    for tags, probability in sequences.items():
        for row, tag in zip(rows, tags, strict=True):
            row[tag] = row.get(tag, 0.0) + probability
    return rows


def test_it_suggests_fewer_expected_edits_than_the_likeliest_sequence() -> None:
    sequences = {
        ("O", "O"): 0.30,  # the likeliest sequence: what Viterbi suggests
        ("B-PER", "I-PER"): 0.25,
        ("B-PER", "O"): 0.25,
        ("B-ORG", "I-ORG"): 0.20,
    }
    marginals = marginals_of(sequences)
    viterbi = list(max(sequences, key=sequences.get))

    tags = fewest_expected_edits(marginals)

    # The first token is B-PER with probability 0.5 (O only 0.3); the second is O with 0.55.
    assert tags == ["B-PER", "O"] != viterbi
    assert expected_edits(marginals, tags) == pytest.approx(0.95)
    assert expected_edits(marginals, viterbi) == pytest.approx(1.15)


def test_an_inside_tag_after_o_is_repaired_to_the_best_valid_sequence() -> None:
    # Token by token the likeliest tags are O, I-ORG: invalid IOB2. The valid choices are
    # O O (0.6 + 0.4 = 1.0), B-ORG I-ORG (0.4 + 0.6 = 1.0, a tie: O wins) and O B-ORG (0.6).
    marginals = [{"O": 0.6, "B-ORG": 0.4}, {"O": 0.4, "I-ORG": 0.6}]
    assert fewest_expected_edits(marginals) == ["O", "O"]
    # With a likelier B-ORG the span opens properly instead of starting with I-.
    marginals = [{"O": 0.45, "B-ORG": 0.55}, {"O": 0.4, "I-ORG": 0.6}]
    assert fewest_expected_edits(marginals) == ["B-ORG", "I-ORG"]


def test_an_inside_tag_never_continues_another_type() -> None:
    marginals = [{"B-PER": 0.9, "O": 0.1}, {"I-ORG": 0.7, "I-PER": 0.2, "O": 0.1}]
    # I-ORG is the second token's likeliest tag, but it cannot follow B-PER: B-PER I-PER
    # (0.9 + 0.2) beats B-PER O (1.0), B-PER B-ORG (0.9 + 0) and O I-ORG (not valid).
    assert fewest_expected_edits(marginals) == ["B-PER", "I-PER"]


def test_an_empty_sentence_has_no_tags() -> None:
    assert fewest_expected_edits([]) == []


@pytest.mark.parametrize("seed", range(40))
def test_it_is_the_valid_sequence_with_the_fewest_expected_edits(seed: int) -> None:
    rng = random.Random(seed)
    length = rng.randint(1, 5)
    marginals = []
    for _ in range(length):
        weights = [rng.random() ** 3 for _ in TAGS]
        marginals.append({t: w / sum(weights) for t, w in zip(TAGS, weights, strict=True)})

    tags = fewest_expected_edits(marginals)

    assert scheme.invalid_positions(tags, "iob2") == []
    valid = [
        list(c)
        for c in itertools.product(TAGS, repeat=length)
        if not scheme.invalid_positions(list(c), "iob2")
    ]
    fewest = min(expected_edits(marginals, c) for c in valid)
    assert expected_edits(marginals, tags) == pytest.approx(fewest)
