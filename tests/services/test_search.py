"""Find (annotator/search.py): which occurrences a phrase finds, in which order, and in which
layer's tags, as the search page and "Relabel all" see them."""

from __future__ import annotations

import pytest

from annotator import search
from annotator.models import GOLD, TagLayer
from tests.factories import make_document, make_layer, make_project

pytestmark = pytest.mark.django_db


def sentence(text: str, tags: str = "") -> list[tuple[str, str]]:
    tokens = text.split("|")
    return list(zip(tokens, tags.split() if tags else ["O"] * len(tokens), strict=True))


def found(result: search.Result) -> list[tuple[str, int, int, str]]:
    """(document, sentence position, start, tagging) per occurrence, groups in their order."""
    return [
        (o.document_name, o.position, o.start, group.tagging)
        for group in result.groups
        for o in group.occurrences
    ]


def test_occurrences_come_in_document_order_then_sentence_order():
    project = make_project()
    first = make_document(project, [sentence("a|neural|network"), sentence("x")], name="one")
    second = make_document(project, [sentence("x"), sentence("neural|network")], name="two")
    make_document(project, [sentence("neural|network|and|neural|network")], name="three")
    first.position = 5  # moved after the others
    first.save(update_fields=["position"])

    result = search.find(project, "neural network")

    assert found(result) == [
        ("two", 1, 0, "O O"),
        ("three", 0, 0, "O O"),
        ("three", 0, 3, "O O"),
        ("one", 0, 1, "O O"),
    ]
    assert [o.match for g in result.groups for o in g.occurrences] == ["neural network"] * 4
    assert (result.total, result.truncated) == (4, False)
    assert second.pk in {o.document_id for o in result.groups[0].occurrences}


def test_case_does_not_matter_and_overlapping_runs_each_count():
    project = make_project()
    make_document(project, [sentence("Straße|NEURAL|Neural|neural|Network", "B-LOC O O O O")])

    assert found(search.find(project, "neural NEURAL")) == [
        ("document.conll", 0, 1, "O O"),
        ("document.conll", 0, 2, "O O"),
    ]
    assert found(search.find(project, "STRASSE")) == [("document.conll", 0, 0, "B-LOC")]


def test_a_token_with_a_space_is_not_two_words_of_a_phrase():
    project = make_project()
    make_document(project, [sentence("New York|City"), sentence("new|York", "B-LOC I-LOC")])

    assert found(search.find(project, "new york")) == [("document.conll", 1, 0, "B-LOC I-LOC")]


def test_the_gold_layer_is_searched_where_the_document_has_one():
    project = make_project()
    with_gold = make_document(project, [sentence("PyTorch|rocks", "B-ORG O")], name="gold")
    make_layer(with_gold, GOLD, [["B-MISC", "O"]], kind=TagLayer.Kind.GOLD)
    make_document(project, [sentence("I|use|PyTorch", "O O B-ORG")], name="imported")

    result = search.find(project, "pytorch")

    assert [(g.tagging, len(g.occurrences)) for g in result.groups] == [
        ("B-MISC", 1),
        ("B-ORG", 1),
    ]
    assert found(result) == [("gold", 0, 0, "B-MISC"), ("imported", 0, 2, "B-ORG")]


def test_a_search_in_one_document_finds_only_its_occurrences():
    project = make_project()
    make_document(project, [sentence("neural|network")], name="one")
    two = make_document(project, [sentence("x|neural|network")], name="two")

    assert found(search.find(project, "neural network", document=two)) == [("two", 0, 1, "O O")]


def test_each_occurrence_links_to_the_review_page_that_shows_its_sentence(settings):
    settings.SENTENCES_PER_PAGE = 2
    project = make_project()
    rows = [sentence("x")] * 3 + [sentence("neural|network")]
    document = make_document(project, rows, name="one")

    (occurrence,) = search.find(project, "neural network").groups[0].occurrences

    assert occurrence.link == f"/documents/{document.pk}/?page=2#sentence-{occurrence.sentence_id}"
