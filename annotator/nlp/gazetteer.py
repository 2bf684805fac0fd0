"""A gazetteer: known entity phrases, matched longest-first over tokens. Pure Python."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from annotator.nlp.scheme import Span


class Gazetteer:
    def __init__(self, case_sensitive: bool = False):
        self.case_sensitive = case_sensitive
        self._votes: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        self._by_first: dict[str, list[tuple[str, ...]]] | None = None

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

    def _index(self) -> dict[str, list[tuple[str, ...]]]:
        if self._by_first is None:
            index: dict[str, list[tuple[str, ...]]] = defaultdict(list)
            for phrase in self._votes:
                index[phrase[0]].append(phrase)
            for phrases in index.values():
                phrases.sort(key=len, reverse=True)
            self._by_first = dict(index)
        return self._by_first

    def match(self, tokens: Sequence[str]) -> list[Span]:
        """Non-overlapping matches, scanning left to right and taking the longest phrase."""
        index = self._index()
        words = [self._norm(t) for t in tokens]
        found, i = [], 0
        while i < len(words):
            for phrase in index.get(words[i], ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    found.append(Span(i, i + len(phrase), self.label_of(phrase)))
                    i += len(phrase)
                    break
            else:
                i += 1
        return found
