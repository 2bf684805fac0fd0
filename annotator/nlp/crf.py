"""A CRF tagger on python-crfsuite: train, tag with marginals, evaluate by exact spans.

No Django here. Tags are IOB2 inside the model; callers convert from and to their scheme.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pycrfsuite

from annotator.nlp.features import sentence_features
from annotator.nlp.gazetteer import Gazetteer
from annotator.nlp.scheme import spans

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags


def _gazetteer_path(path: Path) -> Path:
    return path.with_suffix(".gazetteer.json")


def train(
    sentences: Sequence[Sentence],
    path: Path,
    *,
    iterations: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Train on (tokens, IOB2 tags) and save the model (and its gazetteer) at `path`."""
    gazetteer = Gazetteer()
    for tokens, tags in sentences:
        gazetteer.add_spans(tokens, spans(tags, "iob2"))

    class Trainer(pycrfsuite.Trainer):
        """pycrfsuite calls the on_* hooks only when verbose, and by default they print: ours
        stay quiet and report each L-BFGS iteration as progress."""

        def on_iteration(self, log, info):
            if progress:
                progress(info.get("num", 0), iterations)

        def _quiet(self, *args) -> None:
            pass

        on_start = on_featgen_progress = on_featgen_end = on_prepared = _quiet
        on_prepare_error = on_optimization_end = on_end = _quiet

    trainer = Trainer(verbose=True)
    for tokens, tags in sentences:
        trainer.append(sentence_features(tokens, gazetteer), list(tags))
    trainer.set_params(
        {"c1": 0.1, "c2": 0.05, "max_iterations": iterations, "feature.possible_transitions": True}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    entries = [[list(phrase), gazetteer.label_of(phrase)] for phrase in gazetteer._votes]
    _gazetteer_path(path).write_text(json.dumps(entries), encoding="utf-8")


class Tagger:
    def __init__(self, path: Path):
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(path))
        self.gazetteer = Gazetteer()
        gazetteer_file = _gazetteer_path(path)
        if gazetteer_file.exists():
            for phrase, label in json.loads(gazetteer_file.read_text(encoding="utf-8")):
                self.gazetteer.add(phrase, label)

    def tag(self, tokens: Sequence[str]) -> list[str]:
        if not tokens:
            return []
        return self._tagger.tag(sentence_features(tokens, self.gazetteer))

    def marginals(self, tokens: Sequence[str]) -> list[dict[str, float]]:
        """Per token, the probability of each tag (after `tag`, as crfsuite computes them)."""
        self.tag(tokens)
        labels = self._tagger.labels()
        return [
            {label: self._tagger.marginal(label, i) for label in labels} for i in range(len(tokens))
        ]


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
