"""A gazetteer: known entity phrases, matched longest-first over tokens. Pure Python."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from annotator.nlp.scheme import Span


class Gazetteer:
    def __init__(self, case_sensitive: bool = False):
        self.case_sensitive = case_sensitive
        self._votes: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        self._by_first: dict[str, list[tuple[int, dict[tuple[str, ...], str]]]] | None = None

    def _norm(self, token: str) -> str:
        return token if self.case_sensitive else token.casefold()

    def add(self, tokens: Sequence[str], label: str) -> None:
        self._votes[tuple(self._norm(t) for t in tokens)][label] += 1
        self._by_first = None

    def add_spans(self, tokens: Sequence[str], spans: Iterable[Span]) -> None:
        for span in spans:
            self.add(tokens[span.start : span.end], span.label)

    def __len__(self) -> int:
        return len(self._votes)

    def phrases(self) -> list[tuple[str, ...]]:
        return list(self._votes)

    def label_of(self, phrase: tuple[str, ...]) -> str:
        """The label the phrase has most often (ties: alphabetical, for a stable answer)."""
        votes = self._votes[phrase]
        return min(votes, key=lambda label: (-votes[label], label))

    def _index(self) -> dict[str, list[tuple[int, dict[tuple[str, ...], str]]]]:
        """First word -> (length, {phrase: label}) longest first: a start position tries a
        few lengths, not every phrase that begins with its word ("the ...", "new ...")."""
        if self._by_first is None:
            index: dict[str, dict[int, dict[tuple[str, ...], str]]] = defaultdict(dict)
            for phrase in self._votes:
                index[phrase[0]].setdefault(len(phrase), {})[phrase] = self.label_of(phrase)
            self._by_first = {
                first: sorted(by_length.items(), reverse=True) for first, by_length in index.items()
            }
        return self._by_first

    def match(self, tokens: Sequence[str]) -> list[Span]:
        """Non-overlapping matches, scanning left to right and taking the longest phrase."""
        index = self._index()
        words = list(tokens) if self.case_sensitive else [t.casefold() for t in tokens]
        found, end = [], 0
        # Only where a phrase can start (most tokens start none), skipping the matched ones.
        for i in [i for i, word in enumerate(words) if word in index]:
            if i < end:
                continue
            for length, labels in index[words[i]]:
                label = labels.get(tuple(words[i : i + length]))
                if label is not None:
                    found.append(Span(i, i + length, label))
                    end = i + length
                    break
        return found
