"""An upload with labels the project lacks asks what to do (add, map, drop, or cancel) instead of
adding them for good; the API and the command take the answer as flags."""

from __future__ import annotations

from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotator.models import Project, SentenceTags
from annotator.services import corpus, jobs
from annotator.services.labels import ADD, REFUSE, LabelError, NewLabels, UnknownLabels
from tests.conftest import row_counts

# The project (conftest's `project`) has Algorithm, Device, LOC, PER; this file has GPE and ORG.
NEW = b"Ada\tB-PER\nLovelace\tI-PER\nin\tO\nLondon\tB-GPE\nfor\tO\nACME\tB-ORG\n"


def import_new(project: Project, policy: NewLabels | None = None):
    return corpus.import_conll(
        project_name=project.name, files=[("new.conll", BytesIO(NEW))], new_labels=policy
    )


def stored_tags(project: Project, name: str = "new.conll") -> list[str]:
    row = SentenceTags.objects.get(layer__document__project=project, layer__document__name=name)
    return row.tags


def test_an_upload_with_unknown_labels_is_refused_and_writes_nothing(project) -> None:
    before, labels = row_counts(), list(project.labels)
    with pytest.raises(UnknownLabels) as refused:
        import_new(project)
    assert refused.value.labels == ["GPE", "ORG"]
    assert "GPE, ORG" in str(refused.value)
    assert row_counts() == before
    project.refresh_from_db()
    assert project.labels == labels


def test_told_to_add_the_labels_are_added_with_their_own_colours(project) -> None:
    summary = import_new(project, NewLabels(ADD))
    project.refresh_from_db()
    assert summary.new_labels == ["GPE", "ORG"]
    assert project.labels[-2:] == ["GPE", "ORG"]
    assert len(set(project.label_colours.values())) == len(project.labels)


def test_mapped_labels_are_imported_as_the_projects_and_dropped_ones_as_no_entity(project):
    labels = list(project.labels)
    import_new(project, NewLabels(REFUSE, {"GPE": "LOC", "ORG": None}))
    project.refresh_from_db()
    assert project.labels == labels
    assert stored_tags(project) == ["B-PER", "I-PER", "O", "B-LOC", "O", "O"]


def test_a_mapping_to_a_label_the_project_lacks_is_refused(project) -> None:
    with pytest.raises(LabelError, match="GPE is mapped to Place"):
        import_new(project, NewLabels(ADD, {"GPE": "Place"}))


def test_a_projects_first_file_brings_its_labels(db) -> None:
    summary = corpus.import_conll(project_name="Fresh", files=[("new.conll", BytesIO(NEW))])
    assert summary.project.labels == ["GPE", "ORG", "PER"]


# --- the upload form ------------------------------------------------------------------------------


def post_upload(client: Client, project: Project, **fields):
    files = [SimpleUploadedFile("new.conll", NEW)]
    data = {"files": files, "scheme": "auto", "encoding": "", "tag_column": "", **fields}
    url = reverse("annotator-project-upload", args=[project.pk])
    return client.post(url, data, headers={"HX-Request": "true"})


def test_answering_the_form_imports_with_the_choices(member_client, project) -> None:
    response = post_upload(
        member_client,
        project,
        new_label=["GPE", "ORG"],
        new_label_choice=["=LOC", "+"],
    )
    html = response.content.decode()
    assert "Imported 1 document" in html
    assert "GPE imported as LOC." in html and "New labels: ORG." in html
    project.refresh_from_db()
    assert "GPE" not in project.labels and project.labels[-1] == "ORG"
    assert stored_tags(project) == ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]


def test_cancel_gives_a_fresh_form_and_says_nothing_was_imported(member_client, project) -> None:
    url = reverse("annotator-project-detail", args=[project.pk]) + "?cancelled=1"
    response = member_client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Upload cancelled: nothing was imported." in html
    assert "<html" not in html  # the fragment only


# --- the API --------------------------------------------------------------------------------------


def api_upload(client: Client, project: Project, **fields):
    url = f"/api/v1/projects/{project.pk}/documents/"
    return client.post(url, {"files": [SimpleUploadedFile("new.conll", NEW)], **fields})


def test_the_api_refuses_unknown_labels_naming_them(member_client, project) -> None:
    response = api_upload(member_client, project)
    assert response.status_code == 422
    assert response.json()["unknown_labels"] == ["GPE", "ORG"]
    assert "new_labels=add" in response.json()["detail"]


def test_the_api_takes_new_labels_and_map(member_client, project) -> None:
    response = api_upload(member_client, project, new_labels="add", map=["GPE=LOC"])
    assert response.status_code == 201, response.json()
    assert response.json()["new_labels"] == ["ORG"]
    assert stored_tags(project)[3] == "B-LOC"


@pytest.mark.parametrize(
    ("fields", "field"), [({"new_labels": "maybe"}, "new_labels"), ({"map": "GPE"}, "map")]
)
def test_the_api_says_which_flag_is_wrong(member_client, project, fields, field) -> None:
    response = api_upload(member_client, project, **fields)
    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- the command ----------------------------------------------------------------------------------


def command(project: Project, tmp_path: Path, *flags: str) -> str:
    path = tmp_path / "new.conll"
    path.write_bytes(NEW)
    out = StringIO()
    call_command("import_conll", str(path), "--project", project.name, *flags, stdout=out)
    return out.getvalue()


def test_the_command_refuses_unknown_labels_and_says_which_flags_help(project, tmp_path) -> None:
    with pytest.raises(CommandError, match="GPE, ORG.*--new-labels add, or --map"):
        command(project, tmp_path)


def test_the_command_maps_and_adds(project, tmp_path) -> None:
    out = command(project, tmp_path, "--map", "GPE=LOC", "--new-labels", "add")
    assert "New labels added to the project: ORG" in out
    assert stored_tags(project)[3] == "B-LOC"


# --- a large upload, imported by a job ------------------------------------------------------------


def test_an_import_job_with_unknown_labels_fails_saying_why(project, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("new.conll", NEW)
    job = corpus.start_import_job(
        user=member,
        project=project,
        files=[upload],
        scheme_name="auto",
        encoding=None,
        tag_column=None,
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == job.State.FAILED
    assert "Nothing was imported: the file has labels the project does not have: GPE, ORG" in (
        job.error
    )


def test_the_form_does_not_ask_for_a_projects_first_labels(member_client, member) -> None:
    empty = Project.objects.create(name="Empty")
    empty.membership_set.create(user=member, role="manager")
    html = post_upload(member_client, empty).content.decode()
    assert "Imported 1 document" in html and "New labels: GPE, ORG, PER." in html


def test_the_api_refuses_a_map_onto_a_label_the_project_lacks(member_client, project) -> None:
    before = row_counts()
    response = api_upload(member_client, project, new_labels="add", map=["GPE=NOPE"])
    assert response.status_code == 422  # was a 500
    assert "NOPE" in response.json()["detail"]
    assert row_counts() == before
