"""Suggested spans and their confidence: what the review page outlines and `a` / `A` accept.

A span's confidence is the lowest marginal probability among its tokens' tags: a span is only
as sure as its least sure token (a confident B- followed by an unsure I- is an unsure span, and
the mean would hide that). Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.nlp import edits, scheme


@dataclass(frozen=True, slots=True)
class Suggestion:
    start: int
    end: int
    label: str
    confidence: float | None  # None: the model gave no scores (a gazetteer, a remote model)


def span_confidences(tags: Sequence[str], marginals: Sequence[float]) -> list[list]:
    """[start, end, confidence] of each span of IOB2 `tags`, from each token's tag marginal."""
    return [
        [span.start, span.end, round(min(marginals[span.start : span.end]), 4)]
        for span in scheme.spans(tags, "iob2")
    ]


def suggestions(
    tags: Sequence[str], doc_scheme: str, confidence: Iterable[Sequence] | None
) -> list[Suggestion]:
    """The suggested spans of a model layer's row, each with its stored confidence."""
    known = {(int(s), int(e)): float(c) for s, e, c in confidence or ()}
    return [
        Suggestion(span.start, span.end, span.label, known.get((span.start, span.end)))
        for span in scheme.spans(tags, doc_scheme)
    ]


def open_suggestions(
    suggested: Iterable[Suggestion],
    reviewer_tags: Sequence[str],
    doc_scheme: str,
    rejected: Iterable[tuple[int, int, str]] = (),
) -> list[Suggestion]:
    """The suggestions still to decide: not already in the reviewer's tags, not rejected."""
    done = {(s.start, s.end, s.label) for s in scheme.spans(reviewer_tags, doc_scheme)}
    done |= {tuple(r) for r in rejected}
    return [s for s in suggested if (s.start, s.end, s.label) not in done]


def accept(tags: Sequence[str], doc_scheme: str, chosen: Iterable[Suggestion]) -> list[str]:
    """The reviewer's tags with the chosen suggestions written in, each replacing the spans it
    overlaps (as labelling a selection does on the page)."""
    result = list(tags)
    for suggestion in chosen:
        result = edits.label(result, doc_scheme, suggestion.start, suggestion.end, suggestion.label)
    return result
