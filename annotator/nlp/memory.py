"""What the training labels say about a text: known entity phrases and each word's usual label.

Pure Python. These are the CRF's features derived from labels, so they leak unless they are
computed, for each training sentence, from the other sentences' labels only: a feature built
from a sentence's own labels matches every one of its entities, the model learns to trust it,
and on unseen text (no match) it predicts O. `out_of_fold` does that (k folds of consecutive
sentences, so a sentence's memory comes mostly from other documents, as it will at tagging
time); a model then tags new text with the memory of its whole training set.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from annotator.nlp.gazetteer import Gazetteer
from annotator.nlp.scheme import spans

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags
# A word seen once already says something: with its one label as "steady" the CRF learns how far
# to trust that (held-out F1 0.207 -> 0.225 on wnut17, 0.6175 -> 0.6189 on crossner-ai; README).
MIN_SEEN = 1
STEADY = 0.8  # share of its occurrences above which a word's label is "steady"


class LabelMemory:
    """The phrases tagged as entities, and the usual label of each lower-cased word."""

    def __init__(self) -> None:
        self.gazetteer = Gazetteer()
        self.usual: dict[str, str] = {}  # word -> "Label:steady" or "Label:mixed"

    def learn(self, sentences: Sequence[Sentence]) -> LabelMemory:
        votes: dict[str, Counter] = defaultdict(Counter)
        for tokens, tags in sentences:
            self.gazetteer.add_spans(tokens, spans(tags, "iob2"))
            for word, tag in zip(tokens, tags, strict=True):
                votes[word.lower()][tag[2:] or "O"] += 1
        for word, counts in votes.items():
            seen = sum(counts.values())
            if seen >= MIN_SEEN:
                label, count = min(counts.items(), key=lambda item: (-item[1], item[0]))
                self.usual[word] = f"{label}:{'steady' if count / seen >= STEADY else 'mixed'}"
        return self

    def add_features(self, tokens: Sequence[str], features: list[dict]) -> None:
        """Add the gazetteer hit (B-/I-label) and the word's usual label to each token."""
        for span in self.gazetteer.match(tokens):
            features[span.start]["gazetteer"] = f"B-{span.label}"
            for i in range(span.start + 1, span.end):
                features[i]["gazetteer"] = f"I-{span.label}"
        usual = self.usual
        if usual:
            for f, label in zip(features, map(usual.get, map(str.lower, tokens)), strict=True):
                if label:
                    f["usual"] = label

    def to_json(self) -> dict:
        phrases = [[list(p), self.gazetteer.label_of(p)] for p in self.gazetteer.phrases()]
        return {"phrases": phrases, "usual": self.usual}

    @classmethod
    def from_json(cls, data: dict) -> LabelMemory:
        memory = cls()
        for phrase, label in data.get("phrases", []):
            memory.gazetteer.add(phrase, label)
        memory.usual = dict(data.get("usual", {}))
        return memory


def fold_of(count: int, folds: int) -> list[int]:
    """Fold of each sentence: consecutive blocks, so neighbours (one document) share a fold."""
    return [i * folds // count for i in range(count)] if count else []


def out_of_fold(sentences: Sequence[Sentence], folds: int = 5) -> list[LabelMemory]:
    """Per sentence, a memory of the other folds' labels only (shared by its fold)."""
    if len(sentences) < 2:
        return [LabelMemory() for _ in sentences]
    folds = min(folds, len(sentences))
    assigned = fold_of(len(sentences), folds)
    memories = [
        LabelMemory().learn([s for s, f in zip(sentences, assigned, strict=True) if f != k])
        for k in range(folds)
    ]
    return [memories[f] for f in assigned]
