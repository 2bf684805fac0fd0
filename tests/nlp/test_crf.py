"""The CRF tagger: no leak from training labels, confidence from the model, progress per step.

Pure code, no Django. The leak tests train on sentences whose entity names never occur in the
test sentences: a model that learnt to trust a feature computed from its own training labels
(a gazetteer of its training spans) finds almost nothing there.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from annotator.nlp import crf, likely_errors
from annotator.nlp.scheme import invalid_positions, spans

FILLER = tuple(
    [
        "the",
        "a",
        "of",
        "and",
        "to",
        "on",
        "for",
        "with",
        "by",
        "at",
        "from",
        "said",
        "will",
        "was",
        "is",
        "has",
        "had",
        "new",
    ]
)
CAPITALISED = tuple(
    ["Monday", "Tuesday", "January", "March", "The", "In", "On", "After", "President"]
)
CUES = {"PER": ["Mr", "Mrs", "minister"], "ORG": ["company", "firm"], "LOC": ["in", "near"]}


def _name(rng: random.Random) -> list[str]:
    """One or two capitalised made-up words: never a real word, rarely repeated by chance."""

    def word() -> str:
        return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))

    return [word().capitalize() for _ in range(rng.randint(1, 2))]


def corpus(count: int, seed: int, names_per_label: int) -> list[tuple[list[str], list[str]]]:
    """Sentences of filler words, capitalised non-entities and entity names from a seeded pool
    per label; a cue word ("Mr", "company", "in") comes before most names, as in real text."""
    rng = random.Random(seed)
    pools = {label: [_name(rng) for _ in range(names_per_label)] for label in CUES}
    sentences = []
    for _ in range(count):
        tokens, tags = [], []
        for _ in range(rng.randint(6, 14)):
            draw = rng.random()
            if draw < 0.15:
                label = rng.choice(list(CUES))
                if rng.random() < 0.7:
                    tokens.append(rng.choice(CUES[label]))
                    tags.append("O")
                name = rng.choice(pools[label])
                tokens += name
                tags += [f"B-{label}"] + [f"I-{label}"] * (len(name) - 1)
            elif draw < 0.3:
                tokens.append(rng.choice(CAPITALISED) if draw < 0.23 else _name(rng)[0])
                tags.append("O")
            else:
                tokens.append(rng.choice(FILLER))
                tags.append("O")
        sentences.append((tokens, tags))
    return sentences


@pytest.fixture(scope="module")
def split():
    """400 training sentences, and test sentences none of whose names occur in training."""
    train = corpus(400, seed=1, names_per_label=300)
    test = corpus(150, seed=2, names_per_label=60)
    seen = {tuple(t[s.start : s.end]) for t, tags in train for s in spans(tags, "iob2")}
    test = [(t, tags) for t, tags in test if not any(
        tuple(t[s.start : s.end]) in seen for s in spans(tags, "iob2"))]  # fmt: skip
    assert len(test) > 100
    return train, test


def _recall(model: Path, test) -> float:
    tagger = crf.Tagger(model)
    scores = crf.evaluate([tags for _, tags in test], [tagger.tag(tokens) for tokens, _ in test])
    return scores["micro"]["recall"]


def test_the_default_model_finds_entities_it_never_saw_in_training(tmp_path, split):
    train, test = split
    crf.train(train, tmp_path / "default.crfsuite", iterations=60)
    # A model trained with a gazetteer of its own training spans finds none of them (0.0).
    assert _recall(tmp_path / "default.crfsuite", test) >= 0.5


def test_label_features_do_not_lower_recall_on_unseen_entities(tmp_path, split):
    train, test = split
    crf.train(train, tmp_path / "memory.crfsuite", iterations=60, features="memory")
    crf.train(train, tmp_path / "token.crfsuite", iterations=60, features="token")
    with_memory = _recall(tmp_path / "memory.crfsuite", test)
    without = _recall(tmp_path / "token.crfsuite", test)
    assert with_memory >= 0.9 * without > 0.5, (with_memory, without)


def test_seen_entities_are_recognised_through_the_memory(tmp_path, split):
    train, _ = split
    crf.train(train, tmp_path / "m.crfsuite", iterations=60)
    tagger = crf.Tagger(tmp_path / "m.crfsuite")
    assert tagger.features == "memory"
    name = next(t[s.start : s.end] for t, tags in train for s in spans(tags, "iob2"))
    assert tagger.memory.gazetteer.match(name)


def test_tag_with_confidence_agrees_with_the_marginals(tmp_path, split):
    train, test = split
    crf.train(train, tmp_path / "m.crfsuite", iterations=30)
    tagger = crf.Tagger(tmp_path / "m.crfsuite")
    tokens = test[0][0]
    tagged = tagger.tag_with_confidence(tokens)
    assert tagged.tags == tagger.tag(tokens)
    marginals = tagger.marginals(tokens)
    for i, tag in enumerate(tagged.tags):
        assert math.isclose(sum(marginals[i].values()), 1.0, rel_tol=1e-6)
        assert math.isclose(tagged.confidence[i], marginals[i][tag], rel_tol=1e-9)
    assert 0 < tagged.probability <= min(tagged.confidence) + 1e-9
    assert math.isclose(tagger.probability(tokens, tagged.tags), tagged.probability)
    assert tagger.probability(tokens, ["B-NOPE"] * len(tokens)) == 0.0
    assert all(value >= 0 for value in tagger.entropy(tokens))
    assert tagger.tag_with_confidence([]).tags == []


def test_tag_for_review_takes_each_tokens_likeliest_tag_as_valid_iob2(tmp_path, split):
    train, test = split
    crf.train(train[:40], tmp_path / "m.crfsuite", iterations=10)  # a small, unsure model
    tagger = crf.Tagger(tmp_path / "m.crfsuite")
    for tokens, _ in test[:20]:
        marginals = tagger.marginals(tokens)
        tagged = tagger.tag_for_review(tokens)
        assert invalid_positions(tagged.tags, "iob2") == []
        assert tagged.confidence == [
            row[tag] for row, tag in zip(marginals, tagged.tags, strict=True)
        ]
        assert math.isclose(tagged.probability, tagger.probability(tokens, tagged.tags))
        likeliest = [max(row, key=row.get) for row in marginals]
        if not invalid_positions(likeliest, "iob2"):
            assert tagged.tags == likeliest
    assert tagger.tag_for_review([]).tags == []


def test_training_reports_progress_after_every_iteration(tmp_path, split):
    train, _ = split
    seen = []
    crf.train(
        train[:60],
        tmp_path / "m.crfsuite",
        iterations=12,
        progress=lambda i, n: seen.append((i, n)),
    )
    assert [i for i, _ in seen] == list(range(1, len(seen) + 1))
    assert len(seen) >= 5 and {n for _, n in seen} == {12}


def test_an_unknown_feature_set_is_refused(tmp_path, split):
    with pytest.raises(ValueError, match="unknown feature set"):
        crf.train(split[0], tmp_path / "m.crfsuite", features="magic")


def test_files_lists_the_model_and_its_sidecar(tmp_path, split):
    crf.train(split[0][:40], tmp_path / "m.crfsuite", iterations=5)
    assert [p.name for p in crf.files(tmp_path / "m.crfsuite")] == ["m.crfsuite", "m.memory.json"]


def _noisy(sentences, seed: int):
    """A copy in which one entity token in ten takes another label (its B-/I- kept)."""
    rng, labels, out = random.Random(seed), sorted(CUES), []
    for tokens, tags in sentences:
        tags = [
            f"{tag[:2]}{rng.choice([x for x in labels if x != tag[2:]])}"
            if tag != "O" and rng.random() < 0.1
            else tag
            for tag in tags
        ]
        out.append((tokens, tags))
    return out


def _held_out_log_likelihood(model: Path, sentences) -> float:
    tagger = crf.Tagger(model)
    return sum(tagger.log_probabilities(tokens, [tags])[0] for tokens, tags in sentences)


def test_the_finders_l2_penalty_rates_held_out_noisy_tags_likelier(tmp_path, split):
    # Why the likely-errors folds train with a stronger penalty than the tagger: on tags with
    # errors in them, the smoother model finds the held-out given tags likelier.
    train, test = (_noisy(part, seed) for part, seed in zip(split, (3, 4), strict=True))
    crf.train(train, tmp_path / "tagger.crfsuite", iterations=50)
    crf.train(train, tmp_path / "finder.crfsuite", iterations=50, c2=likely_errors.FOLD_C2)
    tagger = _held_out_log_likelihood(tmp_path / "tagger.crfsuite", test)
    finder = _held_out_log_likelihood(tmp_path / "finder.crfsuite", test)
    assert finder > tagger, (finder, tagger)
