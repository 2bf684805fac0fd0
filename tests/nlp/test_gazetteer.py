"""The gazetteer behind pre-annotation: pure Python, no database."""

from __future__ import annotations

from annotator.nlp.gazetteer import Gazetteer
from annotator.nlp.scheme import Span


def words(text: str) -> list[str]:
    return text.split()


def test_an_empty_gazetteer_has_no_phrases_and_matches_nothing():
    gazetteer = Gazetteer()
    assert len(gazetteer) == 0
    assert gazetteer.match(words("Alan Turing worked in New York")) == []
    assert gazetteer.match([]) == []


def test_a_phrase_is_found_wherever_it_occurs():
    gazetteer = Gazetteer()
    gazetteer.add(["Turing"], "PER")
    assert gazetteer.match(words("Turing met Turing")) == [Span(0, 1, "PER"), Span(2, 3, "PER")]


def test_the_longest_phrase_wins_over_a_shorter_one_at_the_same_start():
    gazetteer = Gazetteer()
    gazetteer.add(["New"], "MISC")
    gazetteer.add(words("New York"), "LOC")
    gazetteer.add(words("New York City"), "GPE")
    # Added shortest first: the order of adding must not matter.
    assert gazetteer.match(words("in New York City today")) == [Span(1, 4, "GPE")]
    assert gazetteer.match(words("in New York today")) == [Span(1, 3, "LOC")]
    assert gazetteer.match(words("a New idea")) == [Span(1, 2, "MISC")]


def test_a_longer_phrase_that_does_not_fully_match_falls_back_to_a_shorter_one():
    gazetteer = Gazetteer()
    gazetteer.add(words("Long short-term memory"), "Algorithm")
    gazetteer.add(["Long"], "PER")
    assert gazetteer.match(words("Long short-term plans")) == [Span(0, 1, "PER")]
    # A phrase cut off by the end of the sentence does not match.
    assert gazetteer.match(words("the Long short-term")) == [Span(1, 2, "PER")]


def test_matches_never_overlap_and_are_taken_left_to_right():
    gazetteer = Gazetteer()
    gazetteer.add(words("New York"), "LOC")
    gazetteer.add(words("York City"), "GPE")
    found = gazetteer.match(words("New York City"))
    assert found == [Span(0, 2, "LOC")]
    # Adjacent phrases are both found, back to back.
    gazetteer.add(["Paris"], "LOC")
    found = gazetteer.match(words("New York Paris York City"))
    assert found == [Span(0, 2, "LOC"), Span(2, 3, "LOC"), Span(3, 5, "GPE")]
    for left, right in zip(found, found[1:], strict=False):
        assert left.end <= right.start


def test_matching_is_case_insensitive_by_default():
    gazetteer = Gazetteer()
    gazetteer.add(words("New York"), "LOC")
    assert gazetteer.match(words("NEW york")) == [Span(0, 2, "LOC")]
    # Phrases that differ only in case are one phrase.
    gazetteer.add(words("new YORK"), "LOC")
    assert len(gazetteer) == 1


def test_case_folding_handles_more_than_ascii():
    gazetteer = Gazetteer()
    gazetteer.add(["Straße"], "LOC")
    assert gazetteer.match(["STRASSE"]) == [Span(0, 1, "LOC")]


def test_a_case_sensitive_gazetteer_matches_only_the_exact_spelling():
    gazetteer = Gazetteer(case_sensitive=True)
    gazetteer.add(["Apple"], "ORG")
    assert gazetteer.match(words("an apple from Apple")) == [Span(3, 4, "ORG")]
    gazetteer.add(["apple"], "FOOD")
    assert len(gazetteer) == 2
    assert gazetteer.match(words("an apple from Apple")) == [
        Span(1, 2, "FOOD"),
        Span(3, 4, "ORG"),
    ]


def test_a_phrase_takes_the_label_it_has_most_often():
    gazetteer = Gazetteer()
    gazetteer.add(["Jordan"], "PER")
    gazetteer.add(["Jordan"], "LOC")
    gazetteer.add(["Jordan"], "LOC")
    assert gazetteer.match(["Jordan"]) == [Span(0, 1, "LOC")]
    assert gazetteer.label_of(("jordan",)) == "LOC"
    assert len(gazetteer) == 1


def test_a_tie_between_labels_is_broken_the_same_way_whatever_the_order_of_adding():
    first = Gazetteer()
    for label in ("PER", "LOC", "ORG"):
        first.add(["Washington"], label)
    second = Gazetteer()
    for label in ("ORG", "PER", "LOC"):
        second.add(["Washington"], label)
    assert first.match(["Washington"]) == second.match(["Washington"]) == [Span(0, 1, "LOC")]


def test_a_new_phrase_added_after_matching_is_used_by_the_next_match():
    gazetteer = Gazetteer()
    gazetteer.add(["York"], "LOC")
    assert gazetteer.match(words("New York")) == [Span(1, 2, "LOC")]
    gazetteer.add(words("New York"), "GPE")
    assert gazetteer.match(words("New York")) == [Span(0, 2, "GPE")]


def test_add_spans_learns_each_span_of_a_tagged_sentence():
    gazetteer = Gazetteer()
    tokens = words("Alan Turing worked in New York")
    gazetteer.add_spans(tokens, [Span(0, 2, "PER"), Span(4, 6, "LOC")])
    assert len(gazetteer) == 2
    assert gazetteer.match(words("did Alan Turing visit New York ?")) == [
        Span(1, 3, "PER"),
        Span(4, 6, "LOC"),
    ]
    # A part of a phrase is not a phrase.
    assert gazetteer.match(words("Alan and York")) == []
