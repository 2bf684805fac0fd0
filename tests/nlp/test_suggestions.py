"""Suggested spans: their confidence, which are still open, and accepting them."""

from __future__ import annotations

import subprocess
import sys

from annotator.nlp.suggestions import (
    Suggestion,
    accept,
    open_suggestions,
    span_confidences,
    suggestions,
)


def test_a_span_is_as_sure_as_its_least_sure_token() -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC"]
    assert span_confidences(tags, [0.99, 0.4, 0.9, 0.8]) == [[0, 2, 0.4], [3, 4, 0.8]]


def test_suggestions_carry_their_stored_confidence_and_none_without() -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC"]
    found = suggestions(tags, "iob2", [[0, 2, 0.4]])
    assert found == [Suggestion(0, 2, "PER", 0.4), Suggestion(3, 4, "LOC", None)]


def test_spans_the_reviewer_has_or_rejected_are_not_open() -> None:
    suggested = [
        Suggestion(0, 2, "PER", 0.9),
        Suggestion(3, 4, "LOC", 0.8),
        Suggestion(5, 6, "ORG", 0.7),
    ]
    reviewer = ["B-PER", "I-PER", "O", "B-ORG", "O", "O"]  # same PER; LOC there as ORG
    still = open_suggestions(suggested, reviewer, "iob2", rejected=[(5, 6, "ORG")])
    assert still == [Suggestion(3, 4, "LOC", 0.8)]


def test_accepting_replaces_the_spans_it_overlaps() -> None:
    reviewer = ["B-ORG", "I-ORG", "I-ORG", "O"]
    result = accept(reviewer, "iob2", [Suggestion(1, 3, "LOC", 0.9)])
    assert result == ["O", "B-LOC", "I-LOC", "O"]


def test_accepting_follows_the_document_scheme() -> None:
    result = accept(["O", "O", "O"], "bioes", [Suggestion(0, 2, "PER", 0.9)])
    assert result == ["B-PER", "E-PER", "O"]


def test_the_module_imports_without_django() -> None:
    code = "import sys; import annotator.nlp.suggestions; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
