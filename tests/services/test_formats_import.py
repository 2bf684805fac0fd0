"""Importing and exporting every registered format through the services, the upload page, the
API, an import job and the commands (real database; the readers themselves: tests/nlp).

What a user notices: a tool's export lands as documents with the annotators' layers side by
side, ready for agreement; a broken file writes nothing and says where; a download in any
format gives the tool's records back; the upload page offers every format.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from annotator.models import IMPORTED, Job, Membership, SentenceTags, TagLayer
from annotator.nlp.formats import registry
from annotator.services import agreement, corpus, jobs
from tests.conftest import SMALL, row_counts
from tests.nlp.test_formats import CONLL_2003, DATA, doccano_zip

pytestmark = pytest.mark.django_db

MEMBERS = DATA / "doccano-members"


def members_zip() -> bytes:
    return doccano_zip(*((p.name, p.read_bytes()) for p in sorted(MEMBERS.glob("*.jsonl"))))


def import_bytes(name: str, data: bytes, **options) -> corpus.ImportSummary:
    return corpus.import_corpus(project_name="Formats", files=[(name, io.BytesIO(data))], **options)


def layer_rows(document, name: str) -> list[list[str]]:
    rows = SentenceTags.objects.filter(layer__document=document, layer__name=name)
    return list(rows.order_by("sentence__position").values_list("tags", flat=True))


# --- services --------------------------------------------------------------------------------


def test_a_doccano_per_member_export_gives_one_read_only_layer_per_member():
    summary = import_bytes("project.zip", members_zip())

    document = summary.project.documents.get()
    assert document.format == "doccano" and summary.formats == {"project.zip": "doccano"}
    assert summary.layers == ["doccano: alice", "doccano: bob"]
    layers = {layer.name: layer for layer in document.layers.all()}
    assert set(layers) == {IMPORTED, "doccano: alice", "doccano: bob"}
    assert all(
        layer.kind == TagLayer.Kind.IMPORTED and not layer.editable for layer in layers.values()
    )
    # Every layer has a row for every sentence; the unattributed tags hold no span here.
    assert all(len(layer_rows(document, name)) == 2 for name in layers)
    assert all(set(tags) == {"O"} for tags in layer_rows(document, IMPORTED))
    assert layer_rows(document, "doccano: bob")[1][-3:] == ["O", "B-Library", "O"]
    assert summary.project.labels == ["Dataset", "Library", "Person"]


def test_a_single_annotators_export_lands_in_the_imported_layer():
    tasks = json.loads((DATA / "label-studio.json").read_bytes())
    for task in tasks:  # only user 1's annotations
        task["annotations"] = [a for a in task["annotations"] if a["completed_by"] == 1]
    summary = import_bytes("one-user.json", json.dumps(tasks).encode())

    document = summary.project.documents.get()
    assert list(document.layers.values_list("name", flat=True)) == [IMPORTED]
    assert layer_rows(document, IMPORTED)[0][:4] == ["B-Library", "O", "O", "B-Library"]
    assert summary.layers == []


def test_a_broken_file_among_good_ones_writes_nothing_and_names_file_and_line():
    import_bytes("doccano.jsonl", (DATA / "doccano.jsonl").read_bytes())
    before = row_counts()
    broken = (
        b'{"id": 1, "text": "ok", "label": []}\n{"id": 2, "text": "abc", "label": [[0, 9, "X"]]}\n'
    )

    with pytest.raises(corpus.conll.ConllError) as raised:
        corpus.import_corpus(
            project_name="Formats",
            files=[
                ("doccano.jsonl", io.BytesIO((DATA / "doccano.jsonl").read_bytes())),
                ("broken.jsonl", io.BytesIO(broken)),
            ],
        )

    (problem,) = raised.value.problems
    assert (problem.file, problem.line) == ("broken.jsonl", 2)
    assert "outside the text" in problem.message
    assert row_counts() == before


def test_span_warnings_reach_the_summary_with_file_and_line():
    data = b'{"id": 1, "text": "The Berliner Zeitung", "label": [[4, 10, "LOC"]]}\n'
    summary = import_bytes("news.jsonl", data)

    assert summary.warning_count == 1
    assert str(summary.warnings[0]).startswith("news.jsonl, line 1: example 1: span LOC [4, 10)")


def test_the_imported_annotators_layers_are_ready_for_agreement():
    summary = import_bytes("project.zip", members_zip())

    names = [c["name"] for c in agreement.layer_choices(summary.project)]
    assert {"doccano: alice", "doccano: bob"} <= set(names)
    computed = agreement.compute(summary.project, layers=["doccano: alice", "doccano: bob"])
    (pair,) = computed["result"]["pairs"]
    assert (pair["a"], pair["b"]) == ("doccano: alice", "doccano: bob")
    # alice has 5 spans, bob 4; they share Keras, TensorFlow and Geoffrey Hinton exactly.
    exact = pair["span"]["exact"]["micro"]
    assert exact["precision"] == pytest.approx(3 / 5) and exact["recall"] == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    ("file", "format_name", "options"),
    [
        ("doccano.jsonl", "doccano", {}),
        ("prodigy.jsonl", "prodigy", {}),
        ("hf.jsonl", "hf", {"labels": CONLL_2003}),
    ],
)
def test_export_in_the_files_own_format_gives_its_records_back(file, format_name, options):
    data = (DATA / file).read_bytes()
    summary = import_bytes(file, data, **options)
    document = summary.project.documents.get()

    out = b"".join(corpus.export_document(document, format_name=format_name))

    lines = [json.loads(line) for line in out.decode().splitlines()]
    original = [json.loads(line) for line in data.decode().splitlines()]
    if format_name == "doccano":
        for record in original:
            record["label"] = sorted(record["label"])
        assert lines == original
    elif format_name == "prodigy":
        accepted = [r for r in original if r["answer"] == "accept"]
        assert [(r["text"], r["tokens"], r["spans"]) for r in lines] == [
            (r["text"], r["tokens"], r["spans"]) for r in accepted
        ]
    else:
        assert [r["tokens"] for r in lines] == [r["tokens"] for r in original]
        assert lines[0]["ner_tags"][:3] == ["B-ORG", "O", "B-MISC"]


def test_a_conll_import_still_exports_byte_for_byte_in_conll():
    data = SMALL.read_bytes()
    summary = import_bytes("small.conll", data)
    document = summary.project.documents.get()
    assert document.format == "conll"
    assert b"".join(corpus.export_document(document)) == data


# --- commands --------------------------------------------------------------------------------


def test_import_corpus_and_export_corpus_round_trip_doccano_through_conll(tmp_path):
    out = io.StringIO()
    call_command("import_corpus", str(DATA / "doccano.jsonl"), "--project", "P", stdout=out)
    assert "doccano.jsonl: scheme iob2 (format doccano)" in out.getvalue()

    conll_file = tmp_path / "out.conll"
    call_command(
        "export_corpus", "--project", "P", "--format", "conll", "--output", str(conll_file)
    )
    call_command("import_conll", str(conll_file), "--project", "Q", stdout=io.StringIO())
    again = tmp_path / "again.jsonl"
    call_command("export_corpus", "--project", "Q", "--format", "doccano", "--output", str(again))

    original = [json.loads(x) for x in (DATA / "doccano.jsonl").read_text().splitlines()]
    back = [json.loads(x) for x in again.read_text().splitlines()]
    assert [(r["text"], sorted(r["label"])) for r in back] == [
        (r["text"], sorted(r["label"])) for r in original
    ]


def test_import_corpus_names_the_problem_and_the_labels_option_reads_ids(tmp_path):
    with pytest.raises(Exception, match="give the label list"):
        call_command(
            "import_corpus", str(DATA / "hf.jsonl"), "--project", "P", stdout=io.StringIO()
        )
    out = io.StringIO()
    call_command(
        "import_corpus",
        str(DATA / "hf.jsonl"),
        "--project",
        "P",
        "--format",
        "hf",
        "--labels",
        ",".join(CONLL_2003),
        stdout=out,
    )
    assert "2 sentences, 11 tokens" in out.getvalue()


# --- the upload page and the API ---------------------------------------------------------------


@pytest.fixture
def manager_client(client, django_user_model):
    user = django_user_model.objects.create_user("mona", password="pw-mona-123")
    project = corpus.Project.objects.create(name="Web")
    Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)
    client.force_login(user)
    client.project = project
    client.user = user
    return client


def test_the_upload_form_offers_every_registered_format(manager_client):
    page = manager_client.get(reverse("annotator-project-detail", args=[manager_client.project.pk]))
    html = page.content.decode()
    for name in [*registry.FORMATS, "auto"]:
        assert f'<option value="{name}"' in html


def test_uploading_a_doccano_zip_shows_the_annotators_layers_and_the_warnings(manager_client):
    project = manager_client.project
    data = members_zip()
    response = manager_client.post(
        reverse("annotator-project-upload", args=[project.pk]),
        {"files": SimpleUploadedFile("project.zip", data), "format": "auto", "scheme": "auto"},
    )
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "One layer per annotator: doccano: alice, doccano: bob." in html
    assert project.documents.get().layers.count() == 3


def test_the_api_uploads_hugging_face_ids_and_downloads_them_as_doccano(manager_client):
    project = manager_client.project
    response = manager_client.post(
        reverse("annotator-api-document-list", args=[project.pk]),
        {
            "files": SimpleUploadedFile("hf.jsonl", (DATA / "hf.jsonl").read_bytes()),
            "labels": ",".join(CONLL_2003),
        },
    )
    assert response.status_code == 201, response.content
    document_id = response.json()["documents"][0]["id"]

    download = manager_client.get(
        reverse("annotator-api-document-export", args=[document_id]), {"format": "doccano"}
    )
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="hf.jsonl"'
    first = json.loads(b"".join(download.streaming_content).decode().splitlines()[0])
    assert first["text"] == "EU rejects German call to boycott British lamb ."
    assert first["label"] == [[0, 2, "ORG"], [11, 17, "MISC"], [34, 41, "MISC"]]


def test_the_api_refuses_a_broken_file_with_line_and_reason(manager_client):
    response = manager_client.post(
        reverse("annotator-api-document-list", args=[manager_client.project.pk]),
        {"files": SimpleUploadedFile("hf.jsonl", (DATA / "hf.jsonl").read_bytes())},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "file": "hf.jsonl",
        "line": 1,
        "message": "'ner_tags' are ids: give the label list (--labels O,B-PER,I-PER,...)",
    }


def test_a_project_download_in_label_studio_format_is_one_json_array(manager_client):
    project = manager_client.project
    corpus.import_corpus(
        project_name=project.name,
        files=[("d.jsonl", io.BytesIO((DATA / "doccano.jsonl").read_bytes()))],
    )
    response = manager_client.get(
        reverse("annotator-project-export", args=[project.pk]), {"format": "label-studio"}
    )
    tasks = json.loads(b"".join(response.streaming_content))
    assert response["Content-Disposition"] == 'attachment; filename="Web.json"'
    assert [t["data"]["text"] for t in tasks][:1] == [
        "EU rejects German call to boycott British lamb."
    ]


# --- a large upload: the import job ------------------------------------------------------------


def test_an_import_job_reads_the_format_the_upload_chose(
    manager_client, settings, tmp_path, monkeypatch, isolated_cache
):
    from annotator import tasks

    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: None)
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("project.zip", members_zip())
    job = corpus.start_import_job(
        user=manager_client.user,
        project=manager_client.project,
        files=[upload],
        scheme_name="auto",
        encoding=None,
        tag_column=None,
        format_name="auto",
    )
    jobs.run_job(job.pk)

    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert job.result["layers"] == ["doccano: alice", "doccano: bob"]
    assert manager_client.project.documents.get().format == "doccano"
