"""A CRF tagger on python-crfsuite: train, tag with confidence, evaluate by exact spans.

No Django here. Tags are IOB2 inside the model; callers convert from and to their scheme.

Two feature sets (`FEATURE_SETS`): "token" (the text alone, `features.token_features`) and
"memory" (the default: token features, how common each word is in English at large,
`features.sentence_features`, and what the training labels say about a token, a gazetteer hit
and the word's usual label, `memory.LabelMemory`). Memory features are computed
for each training sentence from the other folds' labels only (`memory.out_of_fold`), so the
model learns how far to trust them on text whose entities it has not seen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from annotator.nlp import memory as label_memory
from annotator.nlp.decoding import fewest_expected_edits
from annotator.nlp.features import sentence_features, token_features
from annotator.nlp.scheme import spans

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags
FEATURE_SETS = ("memory", "token")
DEFAULT_FEATURES = "memory"
MEMORY_FOLDS = 5
# L1 keeps the model small and fast to tag; L2 spreads weight over correlated features.
# Chosen on wnut17 and crossner-ai held-out F1 (BENCHMARKS.md); both are flat around here.
C1, C2 = 0.1, 0.05
LOG_FLOOR = math.log(1e-300)  # the log probability of a sequence the model rules out


def sidecar(path: Path) -> Path:
    """The file beside the model that holds its feature set and label memory."""
    return path.with_suffix(".memory.json")


def files(path: Path) -> list[Path]:
    """Every file a trained model consists of (to move or delete it as one)."""
    return [p for p in (path, sidecar(path), path.with_suffix(".gazetteer.json")) if p.exists()]


def train(
    sentences: Sequence[Sentence],
    path: Path,
    *,
    iterations: int = 100,
    features: str = DEFAULT_FEATURES,
    progress: Callable[[int, int], None] | None = None,
    c2: float = C2,
) -> None:
    """Train on (tokens, IOB2 tags) and save the model (and its sidecar) at `path`.

    `progress(iteration, iterations)` is called after every L-BFGS iteration. `c2`: the L2
    penalty (the likely-errors finder wants smoother probabilities than the tagger).
    """
    if features not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {features!r}; one of {', '.join(FEATURE_SETS)}")

    class Trainer(pycrfsuite.Trainer):
        # pycrfsuite calls its on_iteration hook only when verbose (printing every log line),
        # so the log is parsed here. An exception raised by `progress` (a cancel) stops training.
        def message(self, message):
            if self.logparser.feed(message) == "iteration" and progress:
                done = self.logparser.last_iteration.get("num", 0)
                progress(min(done, iterations), iterations)

    trainer = Trainer(verbose=False)
    if features == "memory":
        memories = label_memory.out_of_fold(sentences, MEMORY_FOLDS)
        for (tokens, tags), memory in zip(sentences, memories, strict=True):
            trainer.append(sentence_features(tokens, memory), list(tags))
    else:
        for tokens, tags in sentences:
            trainer.append(token_features(tokens), list(tags))
    trainer.set_params(
        {"c1": C1, "c2": c2, "max_iterations": iterations, "feature.possible_transitions": True}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    data: dict = {"features": features}
    if features == "memory":
        data["frequency"] = True  # models saved before the frequency features lack this
        data.update(label_memory.LabelMemory().learn(sentences).to_json())
    sidecar(path).write_text(json.dumps(data), encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Tagged:
    tags: list[str]
    probability: float  # of the whole tag sequence, 0..1
    confidence: list[float]  # per token, the marginal probability of its tag


class Tagger:
    """A trained model. `tag` is the fast path; `tag_with_confidence` adds probabilities."""

    def __init__(self, path: Path):
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(path))
        self.features, self.memory, self.frequency = _load_sidecar(path)

    def _features(self, tokens: Sequence[str]) -> list[dict]:
        return sentence_features(tokens, self.memory, frequency=self.frequency)

    def _set(self, tokens: Sequence[str]) -> None:
        self._tagger.set(self._features(tokens))

    def tag(self, tokens: Sequence[str]) -> list[str]:
        if not tokens:
            return []
        return self._tagger.tag(self._features(tokens))

    def tag_with_confidence(self, tokens: Sequence[str]) -> Tagged:
        """The best tags, their sequence probability and each token's marginal, in one pass."""
        if not tokens:
            return Tagged([], 1.0, [])
        self._set(tokens)
        tags = self._tagger.tag()
        return Tagged(
            tags,
            self._tagger.probability(tags),
            [self._tagger.marginal(tag, i) for i, tag in enumerate(tags)],
        )

    def tag_for_review(self, tokens: Sequence[str]) -> Tagged:
        """Like `tag_with_confidence`, but the tags are the valid IOB2 sequence a reviewer is
        expected to edit least (`decoding.fewest_expected_edits`: per token, the likeliest tag),
        not the likeliest whole sequence."""
        if not tokens:
            return Tagged([], 1.0, [])
        rows = self.marginals(tokens)  # sets the tokens' features: probability() reads them
        tags = fewest_expected_edits(rows)
        # The decoder may add O or a B-X (to open an I-X) that a model never saw in training.
        known = set(rows[0]).issuperset(tags)
        return Tagged(
            tags,
            self._tagger.probability(tags) if known else 0.0,
            [row.get(tag, 0.0) for row, tag in zip(rows, tags, strict=True)],
        )

    def probability(self, tokens: Sequence[str], tags: Sequence[str]) -> float:
        """The model's probability of the given IOB2 tags for these tokens (0 if unknown)."""
        if not tokens:
            return 1.0
        known = set(self._tagger.labels())
        if any(tag not in known for tag in tags):
            return 0.0
        self._set(tokens)
        return self._tagger.probability(list(tags))

    def log_probabilities(
        self, tokens: Sequence[str], sequences: Sequence[Sequence[str]]
    ) -> list[float]:
        """The log probability of each IOB2 tag sequence for these tokens, the features
        computed once; a sequence with a tag the model does not know gets log(1e-300)."""
        if not tokens:
            return [0.0 for _ in sequences]
        known = set(self._tagger.labels())
        self._set(tokens)
        probability = self._tagger.probability
        return [
            math.log(max(probability(list(tags)), 1e-300)) if known.issuperset(tags) else LOG_FLOOR
            for tags in sequences
        ]

    def marginals(self, tokens: Sequence[str]) -> list[dict[str, float]]:
        """Per token, the probability of each tag the model knows."""
        if not tokens:
            return []
        self._set(tokens)
        labels = self._tagger.labels()
        marginal = self._tagger.marginal
        return [{label: marginal(label, i) for label in labels} for i in range(len(tokens))]

    def entropy(self, tokens: Sequence[str]) -> list[float]:
        """Per token, the entropy (nats) of its tag distribution: high means unsure."""
        return [
            -sum(p * math.log(p) for p in row.values() if p > 0) for row in self.marginals(tokens)
        ]


def _load_sidecar(path: Path) -> tuple[str, label_memory.LabelMemory | None, bool]:
    """The model's feature set, its label memory and whether it knows the words' frequencies."""
    if sidecar(path).exists():
        data = json.loads(sidecar(path).read_text(encoding="utf-8"))
        if data.get("features") == "token":
            return "token", None, False
        memory = label_memory.LabelMemory.from_json(data)
        return data.get("features", DEFAULT_FEATURES), memory, bool(data.get("frequency"))
    # Models trained before the sidecar: a gazetteer file (their only label feature), if any.
    legacy = path.with_suffix(".gazetteer.json")
    if legacy.exists():
        phrases = json.loads(legacy.read_text(encoding="utf-8"))
        return "gazetteer", label_memory.LabelMemory.from_json({"phrases": phrases}), False
    return "token", None, False


def evaluate(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Exact-span precision, recall and F1 per label and micro-averaged (IOB2 tags)."""
    counts: dict[str, list[int]] = {}  # label -> [true positives, predicted, gold]
    for gold_tags, predicted_tags in zip(gold, predicted, strict=True):
        g = set(spans(gold_tags, "iob2"))
        p = set(spans(predicted_tags, "iob2"))
        for span in g | p:
            row = counts.setdefault(span.label, [0, 0, 0])
            row[0] += span in g and span in p
            row[1] += span in p
            row[2] += span in g
    result = {label: _prf(*row) for label, row in sorted(counts.items())}
    total = [sum(row[i] for row in counts.values()) for i in range(3)]
    result["micro"] = _prf(*total)
    return result


def _prf(true_positives: int, predicted: int, gold: int) -> dict:
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": gold,
    }
