"""Documents through the API: list, upload, detail, CoNLL and JSONL downloads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import Document, Job, SentenceTags
from annotator.services import editing
from tests.api.conftest import SAMPLE, token_client
from tests.conftest import BROKEN, SMALL, row_counts

pytestmark = pytest.mark.django_db


def documents_url(team) -> str:
    return f"/api/v1/projects/{team.project.pk}/documents/"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def upload(client, team, *paths, **fields):
    files = [SimpleUploadedFile(p.name, p.read_bytes()) for p in paths]
    return client.post(documents_url(team), {"files": files, **fields}, format="multipart")


# --- list and detail ---------------------------------------------------------------------------


def test_the_list_is_paginated_with_count_next_and_previous(api, team):
    upload(api("manager"), team, SMALL)
    client = api("manager")
    first = client.get(documents_url(team), {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [d["position"] for d in second["results"]] == [2]
    assert second["next"] is None and second["previous"] is not None


def test_the_list_filters_by_exact_name_or_part_of_it(api, team):
    upload(api("manager"), team, SAMPLE, new_labels="add")
    client = api("manager")
    assert client.get(documents_url(team), {"name": "small.conll"}).json()["count"] == 2
    assert client.get(documents_url(team), {"name": "small"}).json()["count"] == 0
    found = client.get(documents_url(team), {"search": "WIKI"}).json()["results"]
    assert [d["name"] for d in found] == ["rnn-wikipedia.conll"]


def test_a_page_past_the_end_is_404(api, team):
    response = api("manager").get(documents_url(team), {"page": 9})
    assert response.status_code == 404 and "detail" in response.json()


def test_a_blind_annotator_lists_only_their_tasks_documents(api, team):
    listed = api("annotator").get(documents_url(team)).json()["results"]
    assert [d["id"] for d in listed] == [team.document.pk]
    assert api("idle").get(documents_url(team)).json()["count"] == 0


def test_without_blind_every_annotator_lists_every_document(api, team):
    type(team.project).objects.filter(pk=team.project.pk).update(blind=False)
    assert api("idle").get(documents_url(team)).json()["count"] == 2


def test_the_detail_lists_only_the_layers_the_user_may_see(api, team):
    editing.ensure_working_layer(team.document)  # gold
    names = lambda role: [  # noqa: E731
        layer["name"]
        for layer in api(role).get(f"/api/v1/documents/{team.document.pk}/").json()["layers"]
    ]
    assert names("reviewer") == ["imported", "annotator ann", "gold"]
    assert names("annotator") == ["imported", "annotator ann"]


def test_a_blind_annotator_gets_404_for_a_document_outside_their_tasks(api, team):
    for tail in ("", "sentences/", "conll/", "jsonl/"):
        response = api("annotator").get(f"/api/v1/documents/{team.other_document.pk}/{tail}")
        assert response.status_code == 404, tail
        assert response.json() == {"detail": "No such document."}


def test_a_non_member_gets_404_for_a_document(team):
    response = token_client(team.outsider).get(f"/api/v1/documents/{team.document.pk}/")
    assert response.status_code == 404


# --- upload ------------------------------------------------------------------------------------


def test_an_upload_imports_the_file_and_answers_its_documents(api, team):
    response = upload(api("manager"), team, SAMPLE, new_labels="add")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [d["name"] for d in body["documents"]] == ["rnn-wikipedia.conll"]
    assert body["documents"][0]["position"] == 2
    document = Document.objects.get(pk=body["documents"][0]["id"])
    assert document.project == team.project
    assert body["sentences"] == document.sentence_count > 0
    assert body["tokens"] == document.token_count
    assert body["warning_count"] == len(body["warnings"]) or body["warning_count"] > 200


def test_an_upload_of_several_files_answers_each_document(api, team):
    response = upload(api("manager"), team, SMALL, SAMPLE, scheme="iob2", new_labels="add")
    assert response.status_code == 201
    assert [d["name"] for d in response.json()["documents"]] == [
        "small.conll",
        "rnn-wikipedia.conll",
    ]


def test_a_broken_file_is_refused_naming_file_and_line_and_nothing_is_written(api, team):
    before = row_counts()
    response = upload(api("manager"), team, SMALL, BROKEN)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("Nothing was imported: broken.conll, line ")
    assert {"file": "broken.conll", "line": 8, "message": body["errors"][0]["message"]} in body[
        "errors"
    ]
    assert "X-Algorithm" in body["errors"][0]["message"]
    assert row_counts() == before


def test_an_upload_without_files_names_the_field(api, team):
    response = api("manager").post(documents_url(team), {"scheme": "auto"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input."
    assert "files" in response.json()["errors"]


def test_an_upload_with_an_unknown_encoding_names_the_field(api, team):
    response = upload(api("manager"), team, SMALL, encoding="klingon")
    assert response.status_code == 422
    assert response.json()["errors"] == {"encoding": ["Unknown encoding 'klingon'."]}


def test_a_large_upload_becomes_an_import_job(api, team, settings, queued):
    settings.IMPORT_JOB_THRESHOLD = 10
    before = Document.objects.count()
    response = upload(api("manager"), team, SMALL)
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == "import" and job.state == Job.State.QUEUED
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert Document.objects.count() == before
    assert job.params["names"] == ["small.conll"]


@pytest.mark.parametrize("role", ["reviewer", "annotator"])
def test_only_managers_upload(api, team, role):
    before = row_counts()
    assert upload(api(role), team, SMALL).status_code == 403
    assert row_counts() == before


# --- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SMALL, SAMPLE], ids=["small", "sample"])
def test_a_downloaded_document_is_byte_identical_to_the_upload(api, team, path):
    client = api("manager")
    (document,) = upload(client, team, path, new_labels="add").json()["documents"]
    response = client.get(f"/api/v1/documents/{document['id']}/conll/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f'filename="{path.name}"' in response["Content-Disposition"]
    assert body_of(response) == path.read_bytes()


def test_a_download_converts_to_the_scheme_asked_for(api, team):
    response = api("manager").get(
        f"/api/v1/documents/{team.document.pk}/conll/", {"scheme": "bioes"}
    )
    text = body_of(response).decode()
    assert "Turing\tE-PER" in text and "New York\tS-LOC" in text


def test_a_download_of_a_named_layer(api, team):
    layer = team.task.layer
    row = SentenceTags.objects.get(layer=layer, sentence__position=0)
    editing.edit_sentence(
        user=team.annotator,
        layer=layer,
        sentence_id=row.sentence_id,
        version=row.version,
        operation="remove",
        start=0,
        end=2,
    )
    client = api("manager")
    text = body_of(
        client.get(f"/api/v1/documents/{team.document.pk}/conll/", {"layer": layer.name})
    )
    assert text.decode().startswith("<s>\nAlan\tO\nTuring\tO\n")


def test_a_download_of_a_missing_layer_is_404_and_a_bad_scheme_400(api, team):
    client = api("manager")
    url = f"/api/v1/documents/{team.document.pk}/conll/"
    assert client.get(url, {"layer": "nope"}).json() == {"detail": "No such layer."}
    response = client.get(url, {"scheme": "bio9"})
    assert response.status_code == 400 and "scheme" in response.json()["errors"]


def test_the_jsonl_download_has_one_object_per_sentence(api, team):
    response = api("manager").get(f"/api/v1/documents/{team.document.pk}/jsonl/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in body_of(response).decode().splitlines()]
    assert [line["sentence"] for line in lines] == [0, 1, 2, 3]
    assert lines[0] == {
        "sentence": 0,
        "tokens": ["Alan", "Turing", "worked", "in", "New York", "."],
        "tags": ["B-PER", "I-PER", "O", "O", "B-LOC", "O"],
    }


def test_the_jsonl_download_converts_schemes_too(api, team):
    response = api("manager").get(
        f"/api/v1/documents/{team.document.pk}/jsonl/", {"scheme": "bilou"}
    )
    first = json.loads(body_of(response).decode().splitlines()[0])
    assert first["tags"] == ["B-PER", "L-PER", "O", "O", "U-LOC", "O"]


def test_downloads_answer_their_type_whatever_the_client_accepts(api, team):
    response = api("manager").get(
        f"/api/v1/documents/{team.document.pk}/conll/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and body_of(response).startswith(b"<s>\nAlan")


def test_the_project_download_concatenates_its_documents(api, team):
    response = api("manager").get(f"/api/v1/projects/{team.project.pk}/conll/")
    assert body_of(response) == SMALL.read_bytes() * 2
    response = api("manager").get(f"/api/v1/projects/{team.project.pk}/conll/", {"layer": "gold"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"layer": ["Not every document has a layer named 'gold'."]}


def test_reviewers_download_documents_but_only_managers_the_whole_project(api, team):
    for tail in ("conll/", "jsonl/"):
        assert (
            api("reviewer").get(f"/api/v1/documents/{team.document.pk}/{tail}").status_code == 200
        )
        assert (
            api("annotator").get(f"/api/v1/documents/{team.document.pk}/{tail}").status_code == 403
        )
    for role in ("reviewer", "annotator"):
        assert api(role).get(f"/api/v1/projects/{team.project.pk}/conll/").status_code == 403
