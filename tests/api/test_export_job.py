"""Large project exports through the API: 409 with the way to go, an export job, its file."""

from __future__ import annotations

import base64
import hashlib

import pytest

from annotator.services import corpus, jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings, team):
    settings.EXPORT_JOB_DOCUMENTS = 1  # the team's project has two documents
    return team


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("endpoint", ["conll", "export"])
def test_a_large_projects_download_is_refused_with_the_way_to_export_it(api, large, endpoint):
    response = api("manager").get(f"/api/v1/projects/{large.project.pk}/{endpoint}/")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "2 documents" in detail
    assert f"POST to /api/v1/projects/{large.project.pk}/export/" in detail


def test_a_small_projects_download_carries_its_length(api, team):
    response = api("manager").get(f"/api/v1/projects/{team.project.pk}/conll/")
    assert response.status_code == 200
    assert int(response["Content-Length"]) == len(body(response)) > 0


def test_an_export_job_started_by_post_gives_the_file_with_length_and_checksum(
    api, large, queued, django_capture_on_commit_callbacks
):
    client = api("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/projects/{large.project.pk}/export/?scheme=bioes")
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert queued == [job_id]
    assert response["Location"] == f"/api/v1/jobs/{job_id}/"
    download = f"/api/v1/jobs/{job_id}/download/"
    assert client.get(download).status_code == 409  # not done yet
    jobs.run_job(job_id)
    result = client.get(f"/api/v1/jobs/{job_id}/").json()["result"]
    response = client.get(download)
    assert response.status_code == 200
    data = body(response)
    assert data == b"".join(corpus.export_project(large.project, scheme_name="bioes"))
    assert int(response["Content-Length"]) == len(data) == result["bytes"]
    assert hashlib.sha256(data).hexdigest() == result["sha256"]
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"


@pytest.mark.parametrize("role", ["reviewer", "annotator", "outsider"])
def test_only_managers_get_an_exports_file(api, large, queued, role):
    job_id = api("manager").post(f"/api/v1/projects/{large.project.pk}/export/").json()["id"]
    jobs.run_job(job_id)
    response = api(role).get(f"/api/v1/jobs/{job_id}/download/")
    assert response.status_code == 404
    assert "detail" in response.json()
