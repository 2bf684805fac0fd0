"""Suggestions on the review page: outlined, accepted (a, A), rejected (x), each recorded."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import (
    GOLD,
    IMPORTED,
    Document,
    Membership,
    SentenceTags,
    SuggestionFeedback,
    TagChange,
    TagLayer,
)
from annotator.services import editing

pytestmark = pytest.mark.django_db

MODEL_LAYER = "suggestions: crf1 v1 at 2026-11-27 13:05:11 (job 5)"
# Sentence 0 reads "Alan Turing worked in New York ." and is imported as PER . . . LOC .
SUGGESTED = ["B-PER", "I-PER", "B-LOC", "O", "B-PER", "O"]
CONFIDENCE = [[0, 2, 0.95], [2, 3, 0.3], [4, 5, 0.9]]


def add_model_layer(document: Document, first=SUGGESTED, confidence=CONFIDENCE) -> TagLayer:
    """A model layer as pre-annotation writes it: O everywhere but the first sentence."""
    layer = TagLayer.objects.create(document=document, name=MODEL_LAYER, kind=TagLayer.Kind.MODEL)
    for sentence in document.sentences.order_by("position"):
        tags = first if sentence.position == 0 else ["O"] * len(sentence.tokens)
        SentenceTags.objects.create(
            layer=layer,
            sentence=sentence,
            tags=tags,
            confidence=confidence if sentence.position == 0 else [],
            probability=0.2 if sentence.position == 0 else 0.9,
        )
    return layer


@pytest.fixture
def model_layer(document) -> TagLayer:
    return add_model_layer(document)


def first_id(document: Document) -> int:
    return document.sentences.get(position=0).pk


def post(client: Client, document: Document, what: str, **fields):
    data = {
        "layer": IMPORTED,
        "suggest": MODEL_LAYER,
        "sentence": first_id(document),
        "version": 1,
        **fields,
    }
    return client.post(reverse(f"annotator-suggestion-{what}", args=[document.pk]), data)


def gold_tags(document: Document) -> list[str]:
    row = SentenceTags.objects.get(layer__document=document, layer__name=GOLD, sentence__position=0)
    return row.tags


def outlined(page: str) -> list[tuple[str, str, str]]:
    """(start, end, label) of every suggested token on the page."""
    return re.findall(r'data-s-start="(\d+)" data-s-end="(\d+)" data-s-label="([^"]*)"', page)


def test_the_page_outlines_open_suggestions_with_their_confidence(
    member_client, document, model_layer
) -> None:
    page = member_client.get(reverse("annotator-document-detail", args=[document.pk]))
    html = page.content.decode()
    # PER 0-2 is already in the imported tags: only the other two are open.
    assert sorted(set(outlined(html))) == [("2", "3", "LOC"), ("4", "5", "PER")]
    assert "suggested: PER, confidence 0.90 (a: accept, x: reject)" in html
    assert 'data-suggest="suggestions: crf1 v1' in html


def test_a_accepts_the_suggestion_into_gold_and_records_it(
    member_client, member, document, model_layer
) -> None:
    response = post(member_client, document, "accept", start=4, end=5)

    assert response.status_code == 200
    assert gold_tags(document) == ["B-PER", "I-PER", "O", "O", "B-PER", "O"]
    change = TagChange.objects.get(layer__name=GOLD)
    assert change.action == "accept suggestion: PER 4-5"
    assert change.state == TagChange.State.DONE  # z undoes it like any edit
    (feedback,) = SuggestionFeedback.objects.all()
    assert (feedback.start, feedback.end, feedback.label) == (4, 5, "PER")
    assert (feedback.accepted, feedback.confidence, feedback.user) == (True, 0.9, member)
    assert ("4", "5", "PER") not in outlined(response.content.decode())


def test_x_rejects_the_suggestion_leaves_the_tags_and_hides_it(
    member_client, document, model_layer
) -> None:
    response = post(member_client, document, "reject", start=2, end=3)

    assert response.status_code == 200
    assert gold_tags(document) == ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    feedback = SuggestionFeedback.objects.get()
    assert (feedback.label, feedback.accepted, feedback.confidence) == ("LOC", False, 0.3)
    assert ("2", "3", "LOC") not in outlined(response.content.decode())
    page = member_client.get(reverse("annotator-document-detail", args=[document.pk]))
    assert ("2", "3", "LOC") not in outlined(page.content.decode())


def test_shift_a_accepts_only_the_suggestions_above_the_threshold(
    member_client, document, model_layer
) -> None:
    response = post(member_client, document, "accept", all="1", threshold="0.8")

    assert response.status_code == 200
    assert gold_tags(document) == ["B-PER", "I-PER", "O", "O", "B-PER", "O"]
    assert [f.label for f in SuggestionFeedback.objects.all()] == ["PER"]
    assert ("2", "3", "LOC") in outlined(response.content.decode())


def test_shift_a_with_nothing_above_the_threshold_says_so(
    member_client, document, model_layer
) -> None:
    response = post(member_client, document, "accept", all="1", threshold="0.99")

    assert response.status_code == 422
    assert "no open suggestion in this sentence at confidence" in response.content.decode()
    assert not SuggestionFeedback.objects.exists()


def test_a_stale_accept_is_refused_and_records_nothing(
    member_client, document, model_layer
) -> None:
    post(member_client, document, "accept", start=4, end=5)

    again = post(member_client, document, "accept", start=2, end=3)  # version 1 is stale now

    assert again.status_code == 409
    assert SuggestionFeedback.objects.count() == 1


def test_accepting_a_span_that_is_not_suggested_is_refused(
    member_client, document, model_layer
) -> None:
    response = post(member_client, document, "accept", start=0, end=1)

    assert response.status_code == 422
    assert "no open suggestion there" in response.content.decode()
    assert gold_tags(document) == ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]


def test_an_annotator_may_not_decide_suggestions_in_gold(
    django_user_model, project, document, model_layer
) -> None:
    project.blind = False  # the annotator sees the document, and its suggestions
    project.save()
    annotator = django_user_model.objects.create_user("ann", password="pw-123456789")
    Membership.objects.create(project=project, user=annotator, role=Membership.Role.ANNOTATOR)
    client = Client()
    client.force_login(annotator)

    for what in ("accept", "reject"):
        response = post(client, document, what, layer=GOLD, start=4, end=5)
        assert response.status_code == 403
        assert "Gold is written by reviewers and managers only." in response.content.decode()
    assert not SuggestionFeedback.objects.exists()


def test_outsiders_cannot_reach_the_suggestions(outsider_client, document, model_layer) -> None:
    response = post(outsider_client, document, "accept", start=4, end=5)
    assert response.status_code in (403, 404)
    assert not SuggestionFeedback.objects.exists()


def test_a_bad_threshold_is_a_clear_error(member_client, document, model_layer) -> None:
    response = post(member_client, document, "accept", all="1", threshold="lots")
    assert response.status_code == 400


def test_the_page_reads_suggestions_in_a_fixed_number_of_queries(
    member_client, project, document, model_layer
) -> None:
    url = reverse("annotator-document-detail", args=[document.pk])
    member_client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        member_client.get(url)
    # Every sentence with suggestions now: the page must not ask once per sentence.
    SentenceTags.objects.filter(layer=model_layer).exclude(sentence__position=0).delete()
    for sentence in document.sentences.exclude(position=0):
        n = len(sentence.tokens)
        SentenceTags.objects.create(
            layer=model_layer,
            sentence=sentence,
            tags=["B-PER"] + ["O"] * (n - 1),
            confidence=[[0, 1, 0.5]],
        )
    with CaptureQueriesContext(connection) as many:
        page = member_client.get(url)
    assert len(outlined(page.content.decode())) >= document.sentence_count
    assert len(many) == len(few)


def test_no_suggestion_layer_chosen_outlines_nothing(member_client, document, model_layer) -> None:
    url = reverse("annotator-document-detail", args=[document.pk])
    page = member_client.get(url, {"suggest": "none"})
    assert outlined(page.content.decode()) == []


def sentence_ids_on(page) -> list[int]:
    return [
        int(i) for i in re.findall(r'<article class="sentence[^"]*"\s+id="sentence-(\d+)"', page)
    ]


def test_the_uncertainty_queue_lists_unreviewed_sentences_least_confident_first(
    member_client, member, document, model_layer
) -> None:
    by_position = {s.position: s.pk for s in document.sentences.all()}
    # Probabilities that do not follow the document order.
    for position, probability in {0: 0.7, 1: 0.1, 2: 0.95, 3: 0.4}.items():
        SentenceTags.objects.filter(layer=model_layer, sentence__position=position).update(
            probability=probability
        )
    SentenceTags.objects.filter(layer=model_layer, sentence__position__gt=3).update(
        probability=None
    )
    gold = editing.ensure_working_layer(document)
    editing.mark_reviewed(user=member, layer=gold, sentence_id=by_position[3])
    url = reverse("annotator-document-detail", args=[document.pk])

    page = member_client.get(url, {"layer": GOLD, "order": "uncertain"}).content.decode()

    shown = sentence_ids_on(page)
    unscored = [by_position[p] for p in sorted(by_position) if p > 3]
    assert shown == [by_position[1], by_position[0], by_position[2], *unscored]
    assert "p = 0.10" in page
    assert "least confident first" in page


def test_document_order_stays_the_default(member_client, document, model_layer) -> None:
    url = reverse("annotator-document-detail", args=[document.pk])
    page = member_client.get(url).content.decode()
    positions = [s.pk for s in document.sentences.order_by("position")]
    assert sentence_ids_on(page) == positions
    assert "p = " not in page
