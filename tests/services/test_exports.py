"""Project downloads that cannot be cut silently: whole files with their length, and large
projects through an export job whose file carries its length and checksum."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from annotator.models import Job, Membership
from annotator.services import corpus, exports, jobs
from tests.conftest import SMALL, import_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, isolated_cache):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued(monkeypatch):
    from annotator import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)
    return sent


@pytest.fixture
def large(member, settings):
    """Three documents, above an export threshold of two."""
    settings.EXPORT_JOB_DOCUMENTS = 2
    project = import_files("Large corpus", SMALL, SMALL, SMALL).project
    Membership.objects.create(project=project, user=member, role=Membership.Role.MANAGER)
    return project


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def export_url(project) -> str:
    return reverse("annotator-project-export", args=[project.pk])


def test_a_small_projects_download_is_whole_and_carries_its_length(member_client, project):
    response = member_client.get(export_url(project))
    assert response.status_code == 200
    data = body(response)
    assert data == b"".join(corpus.export_project(project))
    assert int(response["Content-Length"]) == len(data) > 0
    assert response["Content-Disposition"] == 'attachment; filename="Small_corpus.conll"'


def test_a_documents_download_carries_its_length(member_client, document):
    response = member_client.get(reverse("annotator-document-export", args=[document.pk]))
    assert int(response["Content-Length"]) == len(body(response)) > 0


def test_a_large_project_offers_an_export_job_instead_of_a_link(member_client, large):
    page = member_client.get(reverse("annotator-project-detail", args=[large.pk]))
    text = page.content.decode()
    assert "All 3 documents as" in text and "Prepare the download (a job)" in text
    assert "Download all as one CoNLL file" not in text
    response = member_client.get(export_url(large), follow=True)
    assert response.redirect_chain[-1][0] == reverse("annotator-project-detail", args=[large.pk])
    assert "too many to build in one request" in response.content.decode()
    assert not Job.objects.exists()


def test_an_export_job_writes_the_file_the_jobs_page_offers_with_length_and_checksum(
    member_client, large, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(export_url(large), {"scheme": "keep"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.kind, queued) == ("export", [job.pk])
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    expected = b"".join(corpus.export_project(large))
    sha = hashlib.sha256(expected).hexdigest()
    assert job.result["bytes"] == len(expected) and job.result["sha256"] == sha
    page = member_client.get(reverse("annotator-project-jobs", args=[large.pk])).content.decode()
    download_url = reverse("annotator-job-download", args=[job.pk])
    assert download_url in page and sha in page and "3 documents" in page
    response = member_client.get(download_url)
    assert response.status_code == 200
    data = body(response)
    assert data == expected
    assert int(response["Content-Length"]) == len(expected)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    assert response["Content-Disposition"] == 'attachment; filename="Large_corpus.conll"'
    assert not list((Path(exports.root())).glob("*.part"))


def test_an_export_in_another_scheme_converts_the_tags(member_client, large, queued):
    member_client.post(export_url(large), {"scheme": "bioes"})
    job = Job.objects.get()
    jobs.run_job(job.pk)
    data = body(member_client.get(reverse("annotator-job-download", args=[job.pk])))
    assert data == b"".join(corpus.export_project(large, scheme_name="bioes"))


def test_only_managers_download_an_export(large, queued, member, django_user_model):
    reviewer = django_user_model.objects.create_user("rita", password="pw-123456")
    Membership.objects.create(project=large, user=reviewer, role=Membership.Role.REVIEWER)
    job = exports.start_export_job(user=member, project=large, layer_name=None, scheme_name="keep")
    jobs.run_job(job.pk)
    client = Client()
    client.force_login(reviewer)
    assert client.get(reverse("annotator-job-download", args=[job.pk])).status_code == 404
    assert client.post(export_url(large)).status_code == 403


def test_an_export_of_a_missing_layer_fails_with_the_reason_and_leaves_no_file(
    large, member, queued
):
    job = exports.start_export_job(
        user=member, project=large, layer_name="nope", scheme_name="keep"
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "not every document has a layer named 'nope'" in job.error
    assert not exports.root().exists() or not list(exports.root().iterdir())


def test_a_removed_export_file_says_to_prepare_it_again(member_client, large, member, queued):
    job = exports.start_export_job(user=member, project=large, layer_name=None, scheme_name="keep")
    jobs.run_job(job.pk)
    job.refresh_from_db()
    (exports.root() / job.result["file"]).unlink()
    response = member_client.get(reverse("annotator-job-download", args=[job.pk]))
    assert response.status_code == 410
    assert "prepare the download again" in response.content.decode()


def test_the_sweep_removes_old_exports_and_parts_of_attempts_that_are_over(settings, large):
    folder = exports.root()
    folder.mkdir(parents=True)
    for name in ("job-1-1.file", "job-2-1.file", "job-3-1.part"):
        (folder / name).write_bytes(b"x")
    old = time.time() - settings.EXPORT_KEEP_HOURS * 3600 - 60
    os.utime(folder / "job-1-1.file", (old, old))
    assert sorted(exports.sweep()) == ["job-1-1.file", "job-3-1.part"]
    assert [p.name for p in folder.iterdir()] == ["job-2-1.file"]


def test_other_projects_members_and_anonymous_visitors_get_no_export(large, member, outsider):
    job = exports.start_export_job(user=member, project=large, layer_name=None, scheme_name="keep")
    jobs.run_job(job.pk)
    url = reverse("annotator-job-download", args=[job.pk])
    client = Client()
    assert client.get(url).status_code == 302  # to log in
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(export_url(large)).status_code == 404
