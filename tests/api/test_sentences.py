"""Sentences through the API: reading a layer, span edits with versions, review marks."""

from __future__ import annotations

import pytest
from django.utils.crypto import get_random_string

from annotator.models import GOLD, SentenceTags, TagChange, Task
from annotator.services import editing
from tests.api.conftest import session_client, token_client
from tests.conftest import row_counts

pytestmark = pytest.mark.django_db


def sentences_url(document, tail: str = "") -> str:
    return f"/api/v1/documents/{document.pk}/sentences/{tail}"


def first_sentence(document) -> int:
    return document.sentences.get(position=0).pk


def edit(client, document, sentence_id: int, **data):
    return client.post(sentences_url(document, f"{sentence_id}/edit/"), data, format="json")


def row(document, layer: str, position: int = 0) -> SentenceTags:
    return SentenceTags.objects.get(
        layer__document=document, layer__name=layer, sentence__position=position
    )


# --- reading -----------------------------------------------------------------------------------


def test_sentences_come_with_tags_versions_and_flags_of_one_layer(api, team):
    body = api("reviewer").get(sentences_url(team.document)).json()
    assert body["count"] == 4
    first, _, third, _ = body["results"]
    assert first["tokens"] == ["Alan", "Turing", "worked", "in", "New York", "."]
    assert first["tags"] == ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    assert first["layer"] == "imported" and first["version"] == 1 and first["line"] == 2
    assert first["invalid"] == [] and third["invalid"] == [3]


def test_sentences_are_paginated_and_filtered(api, team):
    client = api("reviewer")
    page = client.get(sentences_url(team.document), {"page_size": 3, "page": 2}).json()
    assert [s["position"] for s in page["results"]] == [3]
    flagged = client.get(sentences_url(team.document), {"flagged": "true"}).json()
    assert [s["position"] for s in flagged["results"]] == [2]
    clean = client.get(sentences_url(team.document), {"flagged": "false"}).json()
    assert [s["position"] for s in clean["results"]] == [0, 1, 3]
    response = client.get(sentences_url(team.document), {"flagged": "perhaps"})
    assert response.status_code == 400 and "flagged" in response.json()["errors"]


def test_an_annotator_reads_their_own_layer_by_default(api, team):
    results = api("annotator").get(sentences_url(team.document)).json()["results"]
    assert {s["layer"] for s in results} == {"annotator ann"}


def test_a_blind_annotator_cannot_read_gold_or_another_layer(api, team):
    editing.ensure_working_layer(team.document)
    for layer in (GOLD, "annotator idle", "nothing"):
        response = api("annotator").get(sentences_url(team.document), {"layer": layer})
        assert response.status_code == 404
    assert api("reviewer").get(sentences_url(team.document), {"layer": GOLD}).status_code == 200


def test_one_sentence_by_id_and_404_for_a_sentence_of_another_document(api, team):
    client = api("reviewer")
    sid = first_sentence(team.document)
    assert client.get(sentences_url(team.document, f"{sid}/")).json()["id"] == sid
    other = first_sentence(team.other_document)
    assert client.get(sentences_url(team.document, f"{other}/")).status_code == 404


# --- span edits --------------------------------------------------------------------------------


def test_a_reviewers_edit_goes_to_gold_with_the_ui_service(api, team):
    sid = first_sentence(team.document)
    response = edit(
        api("reviewer"), team.document, sid, version=1, op="label", start=2, label="PER"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["layer"] == GOLD and body["version"] == 2
    assert body["tags"] == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "O"]
    assert row(team.document, GOLD).tags == body["tags"]
    assert row(team.document, "imported").tags[2] == "O"  # the imported tags stay as they came
    change = TagChange.objects.get(layer__name=GOLD)
    assert (change.user, change.action, change.version) == (team.reviewer, "label", 2)


@pytest.mark.parametrize(
    ("op", "start", "end", "tags"),
    [
        ("remove", 0, 2, ["O", "O", "O", "O", "B-LOC", "O"]),
        ("split", 1, 2, ["B-PER", "B-PER", "O", "O", "B-LOC", "O"]),
        ("merge", 0, 5, ["B-PER", "I-PER", "I-PER", "I-PER", "I-PER", "O"]),
    ],
)
def test_span_operations(api, team, op, start, end, tags):
    sid = first_sentence(team.document)
    data = {"version": 1, "op": op, "start": start, "end": end}
    if op == "merge":
        data["label"] = "PER"
    response = edit(api("manager"), team.document, sid, **data)
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == tags


def test_a_stale_version_is_409_with_the_sentence_as_it_is_now(api, team):
    sid = first_sentence(team.document)
    first = edit(api("reviewer"), team.document, sid, version=1, op="remove", start=0, end=2)
    assert first.status_code == 200
    before = row_counts()
    response = edit(api("manager"), team.document, sid, version=1, op="label", start=2, label="PER")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "This sentence was changed by rex since you loaded it; here it is now."
    assert body["sentence"]["version"] == 2
    assert body["sentence"]["tags"] == ["O", "O", "O", "O", "B-LOC", "O"]
    assert row_counts() == before and row(team.document, GOLD).version == 2


def test_an_edit_that_does_not_fit_is_422_and_writes_nothing(api, team):
    sid = first_sentence(team.document)
    client = api("reviewer")
    editing.ensure_working_layer(team.document)
    before = row_counts()
    response = edit(client, team.document, sid, version=1, op="label", start=0, label="Planet")
    assert response.status_code == 422
    assert response.json() == {"detail": "'Planet' is not one of the project's labels"}
    response = edit(client, team.document, sid, version=1, op="label", start=40, label="PER")
    assert response.status_code == 422
    assert row_counts() == before


def test_an_edit_without_a_version_or_with_an_unknown_operation_is_400(api, team):
    sid = first_sentence(team.document)
    response = edit(api("reviewer"), team.document, sid, op="shout", start=0)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"version", "op"}


def test_an_annotator_edits_their_own_layer_and_their_task_starts(api, team):
    sid = first_sentence(team.document)
    layer = team.task.layer.name
    response = edit(
        api("annotator"), team.document, sid, layer=layer, version=1, op="remove", start=4
    )
    assert response.status_code == 200, response.json()
    assert response.json()["layer"] == layer
    assert Task.objects.get(pk=team.task.pk).state == Task.State.IN_PROGRESS


def test_an_annotator_cannot_edit_gold_or_outside_an_open_task(api, team):
    sid = first_sentence(team.document)
    before = row_counts()
    response = edit(api("annotator"), team.document, sid, version=1, op="remove", start=4)
    assert response.status_code == 403  # gold is for reviewers
    Task.objects.filter(pk=team.task.pk).update(state=Task.State.SUBMITTED)
    layer = team.task.layer.name
    response = edit(
        api("annotator"), team.document, sid, layer=layer, version=1, op="remove", start=4
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "This task was submitted; its layer is read-only."}
    assert row_counts() == before


def test_a_blind_annotator_gets_404_editing_a_document_outside_their_tasks(api, team):
    sid = first_sentence(team.other_document)
    response = edit(api("annotator"), team.other_document, sid, version=1, op="remove", start=0)
    assert response.status_code == 404


def test_a_non_member_gets_404_even_with_a_broken_body(team):
    sid = first_sentence(team.document)
    response = edit(token_client(team.outsider), team.document, sid, op="nonsense")
    assert response.status_code == 404


def test_a_session_edit_needs_the_csrf_token(team):
    client = session_client(team.reviewer)
    sid = first_sentence(team.document)
    response = edit(client, team.document, sid, version=1, op="remove", start=0, end=2)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert row_counts()["TagChange"] == 0
    secret = get_random_string(32)  # what the page's cookie holds; the page sends it back
    client.cookies["csrftoken"] = secret
    response = client.post(
        sentences_url(team.document, f"{sid}/edit/"),
        {"version": 1, "op": "remove", "start": 0, "end": 2},
        format="json",
        HTTP_X_CSRFTOKEN=secret,
    )
    assert response.status_code == 200


# --- review marks ------------------------------------------------------------------------------


def test_marking_a_sentence_reviewed_and_back(api, team):
    sid = first_sentence(team.document)
    url = sentences_url(team.document, f"{sid}/review/")
    response = api("reviewer").post(url, {}, format="json")
    assert response.status_code == 200 and response.json()["reviewed"] is True
    assert row(team.document, GOLD).reviewed
    response = api("reviewer").post(url, {"reviewed": False}, format="json")
    assert response.json()["reviewed"] is False


def test_a_form_post_without_the_reviewed_field_means_reviewed(api, team):
    sid = first_sentence(team.document)
    url = sentences_url(team.document, f"{sid}/review/")
    assert api("reviewer").post(url, {"layer": ""}).json()["reviewed"] is True
