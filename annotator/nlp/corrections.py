"""Small corrections of a tagged sentence, and how much likelier a model finds each. Pure.

The likely-errors finder asks of every span and every stretch of O tokens whether one of the
errors annotators make explains the tags better: another type for a span, an entity left
untagged, a boundary off by one token. Each such correction is scored by the log ratio of the
sequence probabilities, corrected against given, under a model that never saw the sentence.
Scoring whole sequences (not token by token) matters: a model that reads the inside of a long,
otherwise agreed span as O doubts single tokens there, yet no small correction of the span
makes the sentence likelier, while a span it reads as another type is one correction.

`FormCounts` adds the corpus's own voice: how the same words are tagged elsewhere.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from annotator.nlp.scheme import Span, spans

KINDS = ("type", "missing", "boundary")
LONGEST_MISSING = 4  # tokens: the longest entity proposed over O tokens
# A missing entity is only scored where the model's marginals put it within this many nats of
# the given O (or where its words are tagged elsewhere): the rest cannot reach the top.
MISSING_FLOOR = -6.0
LONGEST_FORM = 6  # tokens: longer phrases are too rare to repeat
FLOOR = 1e-300  # probabilities below are taken as this (log of 0)


@dataclass(frozen=True, slots=True)
class Correction:
    sentence: int
    start: int  # first token it changes
    tags: tuple[str, ...]  # the new tags from `start` on
    kind: str  # one of KINDS
    gain: float  # log P(corrected) - log P(given) under the model

    @property
    def tokens(self) -> range:
        return range(self.start, self.start + len(self.tags))

    def applied(self, given: Sequence[str]) -> list[str]:
        tags = list(given)
        tags[self.start : self.start + len(self.tags)] = self.tags
        return tags


Proposal = tuple[int, tuple[str, ...], str]  # start, new tags, kind


def _retypes(given: Sequence[str], labels: Iterable[str]) -> list[Proposal]:
    out = []
    for span in spans(list(given), "iob2"):
        inside = span.end - span.start - 1
        for label in labels:
            if label != span.label:
                out.append((span.start, (f"B-{label}",) + (f"I-{label}",) * inside, "type"))
    return out


def _moves(given: Sequence[str]) -> list[Proposal]:
    """Each boundary moved out by one token (onto an O) or in by one (a span keeps a token)."""
    n, out = len(given), []
    for span in spans(list(given), "iob2"):
        b, i = f"B-{span.label}", f"I-{span.label}"
        after_free = span.end < n and given[span.end] == "O"
        if after_free and not (span.end + 1 < n and given[span.end + 1].startswith("I-")):
            out.append((span.end, (i,), "boundary"))
        if span.start > 0 and given[span.start - 1] == "O":
            out.append((span.start - 1, (b, i), "boundary"))
        if span.end - span.start > 1:
            out.append((span.end - 1, ("O",), "boundary"))
            out.append((span.start, ("O", b), "boundary"))
    return out


def _entity(label: str, length: int) -> tuple[str, ...]:
    return (f"B-{label}",) + (f"I-{label}",) * (length - 1)


def untagged_stretches(given: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) of every run of up to LONGEST_MISSING O tokens that could become an entity
    (the token after it is not inside a span, which would lose its start)."""
    n, out = len(given), []
    for start in range(n):
        for end in range(start + 1, min(n, start + LONGEST_MISSING) + 1):
            if given[end - 1] != "O":
                break
            if end == n or not given[end].startswith("I-"):
                out.append((start, end))
    return out


def propose(
    given: Sequence[str],
    labels: Sequence[str],
    missing: Iterable[tuple[int, int, str]] | None = None,
) -> list[Proposal]:
    """Small corrections of one sentence's IOB2 tags: (start, new tags, kind). `missing`:
    the (start, end, label) entities to propose over O tokens (default: every one)."""
    stretches = untagged_stretches(given)
    if missing is None:
        missing = [(a, b, label) for a, b in stretches for label in labels]
    allowed = set(stretches)
    added = [
        (a, _entity(label, b - a), "missing")
        for a, b, label in sorted(set(missing))
        if (a, b) in allowed
    ]
    return _retypes(given, labels) + _moves(given) + added


def marginal_gain(log_marginals: np.ndarray, index: dict[str, int], given, start, tags) -> float:
    """The log ratio as if tokens were independent (sum of log marginals): a cheap estimate."""
    total = 0.0
    for offset, tag in enumerate(tags):
        t = start + offset
        total += log_marginals[t, index[tag]] - log_marginals[t, index[given[t]]]
    return total


def likely_missing(
    given: Sequence[str], log_marginals: np.ndarray, index: dict[str, int], labels
) -> list[tuple[int, int, str]]:
    """Entities over O tokens that the marginals rate above MISSING_FLOOR against the O's."""
    stretches = untagged_stretches(given)
    if not stretches:
        return []
    starts = np.array([a for a, _ in stretches])
    lengths = np.array([b - a for a, b in stretches])
    o = log_marginals[:, index["O"]]
    out = []
    for label in labels:
        b, i = index.get(f"B-{label}"), index.get(f"I-{label}")
        if b is None:
            continue
        # (a label never seen inside a span: a large finite penalty, as -inf - -inf is nan)
        inside = log_marginals[:, i] - o if i is not None else np.full(len(o), -1e6)
        # gain(start, end) = first token's B- over O, plus each later token's I- over O
        running = np.concatenate([[0.0], np.cumsum(inside)])
        gains = (log_marginals[starts, b] - o[starts]) + (
            running[starts + lengths] - running[starts + 1]
        )
        for k in np.flatnonzero(gains > MISSING_FLOOR):
            out.append((int(starts[k]), int(starts[k] + lengths[k]), label))
    return out


def score(
    sentence: int,
    given: Sequence[str],
    proposals: Sequence[Proposal],
    log_probabilities: Callable[[list[list[str]]], list[float]],
) -> list[Correction]:
    """Each proposal's gain: the log probability of the corrected tags minus the given's.
    `log_probabilities` rates several tag sequences of the sentence at once (the given first)."""
    sequences = [list(given)]
    for start, tags, _ in proposals:
        corrected = list(given)
        corrected[start : start + len(tags)] = tags
        sequences.append(corrected)
    base, *rated = log_probabilities(sequences)
    return [
        Correction(sentence, start, tags, kind, value - base)
        for (start, tags, kind), value in zip(proposals, rated, strict=True)
    ]


def log(p: float) -> float:
    return math.log(max(p, FLOOR))


class FormCounts:
    """How each phrase tagged as an entity somewhere is tagged at each of its occurrences (a
    label, or "O" where all its tokens are O), per sentence, to leave a sentence's own out."""

    def __init__(self, sentences: Sequence[tuple[Sequence[str], Sequence[str]]]):
        forms: set[tuple[str, ...]] = set()
        labels = {"O"}
        for tokens, tags in sentences:
            for span in spans(list(tags), "iob2"):
                labels.add(span.label)
                if span.end - span.start <= LONGEST_FORM:
                    forms.add(tuple(w.lower() for w in tokens[span.start : span.end]))
        self._lengths: dict[str, set[int]] = defaultdict(set)
        for form in forms:
            self._lengths[form[0]].add(len(form))
        self.total: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        self.own: list[dict[tuple[str, ...], Counter]] = []
        for tokens, tags in sentences:
            mine: dict[tuple[str, ...], Counter] = defaultdict(Counter)
            for form, label in self._occurrences(tokens, tags):
                mine[form][label] += 1
                self.total[form][label] += 1
            self.own.append(mine)
        self.labels = len(labels)
        self.seen = {form: sum(counts.values()) for form, counts in self.total.items()}

    def _occurrences(self, tokens, tags):
        words = [w.lower() for w in tokens]
        tagged = {(s.start, s.end): s.label for s in spans(list(tags), "iob2")}
        for i, word in enumerate(words):
            for length in self._lengths.get(word, ()):
                form = tuple(words[i : i + length])
                if len(form) < length:
                    continue
                label = tagged.get((i, i + length))
                if label is None and all(tag == "O" for tag in tags[i : i + length]):
                    label = "O"
                if label is not None:
                    yield form, label

    def elsewhere(self, sentence: int, form: tuple[str, ...]) -> Counter:
        """The form's labels in every other sentence."""
        counts = Counter(self.total.get(form, ()))
        counts.subtract(self.own[sentence].get(form, ()))
        return +counts

    def hints(self, sentence: int, tokens: Sequence[str], tags: Sequence[str]):
        """(start, end, label) of stretches of O tokens whose words are an entity elsewhere."""
        words = [w.lower() for w in tokens]
        found = []
        for i, word in enumerate(words):
            for length in self._lengths.get(word, ()):
                end = i + length
                if end > len(words) or any(tag != "O" for tag in tags[i:end]):
                    continue
                for label in self.elsewhere(sentence, tuple(words[i:end])):
                    if label != "O":
                        found.append((i, end, label))
        return found

    def evidence(self, sentence: int, tokens, given, correction: Correction, prior: float) -> float:
        """log P(corrected reading | how the words are tagged elsewhere) minus the given's:
        each span touching the correction (or the bare stretch, when none) votes with the
        smoothed share of its label among its form's other occurrences."""
        lo, hi = correction.start, correction.start + len(correction.tags)
        return self._reading(sentence, tokens, correction.applied(given), lo, hi, prior) - (
            self._reading(sentence, tokens, given, lo, hi, prior)
        )

    def _reading(self, sentence, tokens, tags, lo, hi, prior) -> float:
        parts = [(s.start, s.end, s.label) for s in _touching(tags, lo, hi)] or [(lo, hi, "O")]
        total = 0.0
        for start, end, label in parts:
            form = tuple(w.lower() for w in tokens[start:end])
            counts = self.total.get(form)
            if counts is None:  # never tagged anywhere: every label alike
                total -= math.log(self.labels)
                continue
            own = self.own[sentence].get(form) or {}
            seen = self.seen[form] - sum(own.values())
            count = counts[label] - own.get(label, 0)
            total += math.log((count + prior / self.labels) / (seen + prior))
        return total


def _touching(tags: Sequence[str], lo: int, hi: int) -> list[Span]:
    """The spans that overlap tokens lo..hi-1, found without reading the whole sentence."""
    start, end = lo, hi
    while start > 0 and tags[start].startswith("I-"):
        start -= 1
    while end < len(tags) and tags[end].startswith("I-"):
        end += 1
    return [
        Span(s.start + start, s.end + start, s.label)
        for s in spans(list(tags[start:end]), "iob2")
        if s.end + start > lo and s.start + start < hi
    ]
