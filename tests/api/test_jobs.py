"""Jobs through the API: start, poll, cancel; the worker is called in-process, as Celery does."""

from __future__ import annotations

import pytest

from annotator.models import Job, TagLayer
from annotator.services import jobs
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def jobs_url(team) -> str:
    return f"/api/v1/projects/{team.project.pk}/jobs/"


def start(client, team, **data):
    return client.post(jobs_url(team), data, format="json")


def test_starting_a_gazetteer_job_queues_it_and_answers_202_with_the_job(
    api, team, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(api("manager"), team, kind="gazetteer", source="imported")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert queued == [body["id"]]
    assert response["Location"] == f"/api/v1/jobs/{body['id']}/"
    assert (body["kind"], body["state"], body["user"]) == ("gazetteer", "queued", "manny")
    assert body["params"] == {"source": "imported", "case": False, "documents": []}
    assert body["waiting_for_worker"] is True  # no worker beats in the tests


def test_polling_a_job_until_it_is_done_gives_its_result(api, team, queued):
    client = api("manager")
    job_id = start(client, team, kind="gazetteer", source="imported").json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}/").json()["state"] == "queued"
    jobs.run_job(job_id)  # what the worker does with the queued id
    body = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert body["state"] == "done", body["error"]
    assert body["percent"] == 100
    layer = body["result"]["layer"]
    assert layer.startswith("suggestions: gazetteer at ") and body["result"]["documents"] == 2
    assert TagLayer.objects.filter(name=layer).count() == 2


def test_a_job_limited_to_some_documents(api, team, queued):
    client = api("manager")
    body = start(
        client, team, kind="gazetteer", source="imported", documents=[team.document.pk]
    ).json()
    jobs.run_job(body["id"])
    layer = client.get(f"/api/v1/jobs/{body['id']}/").json()["result"]["layer"]
    assert list(TagLayer.objects.filter(name=layer).values_list("document", flat=True)) == [
        team.document.pk
    ]


def test_a_failed_job_says_why(api, team, queued):
    client = api("manager")
    job_id = start(client, team, kind="gazetteer").json()["id"]  # no gold layer yet
    jobs.run_job(job_id)
    body = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert body["state"] == "failed"
    assert body["error"] == "no confirmed spans in the gold layers to learn from"


def test_cancelling_a_queued_job(api, team, queued):
    client = api("manager")
    job_id = start(client, team, kind="train-crf", layer="imported", name="tagger").json()["id"]
    response = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    jobs.run_job(job_id)  # the worker then skips it
    assert Job.objects.get(pk=job_id).state == Job.State.CANCELLED


def test_the_job_list_is_newest_first_and_filters(api, team, queued):
    client = api("manager")
    first = start(client, team, kind="gazetteer").json()["id"]
    second = start(client, team, kind="likely-errors", layer="imported", folds=3).json()["id"]
    listed = client.get(jobs_url(team)).json()["results"]
    assert [j["id"] for j in listed] == [second, first]
    only = client.get(jobs_url(team), {"kind": "likely-errors"}).json()["results"]
    assert [j["params"] for j in only] == [{"layer": "imported", "folds": 3, "iterations": 30}]
    response = client.get(jobs_url(team), {"state": "sleeping"})
    assert response.status_code == 400


def test_a_file_name_stands_for_every_document_imported_from_it(api, team, queued):
    client = api("manager")
    both = list(team.project.documents.order_by("position").values_list("pk", flat=True))
    assert len(both) == 2  # small.conll, imported twice

    body = start(
        client, team, kind="gazetteer", source="imported", documents=["file:small.conll"]
    ).json()
    assert body["params"]["documents"] == both
    jobs.run_job(body["id"])
    assert client.get(f"/api/v1/jobs/{body['id']}/").json()["result"]["documents"] == 2

    response = start(client, team, kind="gazetteer", documents=["file:eng.train"])
    assert response.json()["errors"] == {
        "documents": ["No file of this project named ['eng.train']."]
    }
    too_long = "file:" + "x" * 301
    for bad in ["small.conll", "file:", "file:a\x00b", too_long, 1.5, True]:
        response = start(client, team, kind="gazetteer", documents=[bad])
        assert response.status_code == 400, (bad, response.status_code)
        assert set(response.json()["errors"]) == {"documents"}
    lone_surrogate = '{"kind": "gazetteer", "documents": ["file:\\ud800"]}'  # as JSON escapes it
    response = client.post(jobs_url(team), lone_surrogate, content_type="application/json")
    assert response.status_code == 400  # refused with the reason, not a 500
    assert "half of a UTF-16 pair" in response.json()["detail"]
    assert Job.objects.count() == 1


def test_bad_job_parameters_are_400_with_the_fields_named(api, team, queued):
    client = api("manager")
    response = start(client, team, kind="preannotate", model=12345)
    assert response.json()["errors"] == {"model": ["No such model in this project."]}
    response = start(client, team, kind="likely-errors", folds=40)
    assert set(response.json()["errors"]) == {"folds"}
    response = start(client, team, kind="gazetteer", documents=[999999])
    assert response.json()["errors"] == {"documents": ["Not documents of this project: [999999]."]}
    response = start(client, team, kind="mine-bitcoin")
    assert set(response.json()["errors"]) == {"kind"}
    assert not Job.objects.exists() and queued == []


def test_reviewers_see_jobs_but_only_managers_start_them(api, team, queued):
    job_id = start(api("manager"), team, kind="gazetteer").json()["id"]
    assert api("reviewer").get(jobs_url(team)).json()["count"] == 1
    assert api("reviewer").get(f"/api/v1/jobs/{job_id}/").status_code == 200
    assert start(api("reviewer"), team, kind="gazetteer").status_code == 403
    assert api("annotator").get(jobs_url(team)).status_code == 403
    assert start(api("annotator"), team, kind="gazetteer").status_code == 403
    assert Job.objects.count() == 1


def test_other_peoples_jobs_are_404_to_annotators_and_non_members(api, team, queued):
    job_id = start(api("manager"), team, kind="gazetteer").json()["id"]
    for client in (api("annotator"), token_client(team.outsider)):
        assert client.get(f"/api/v1/jobs/{job_id}/").status_code == 404
        assert client.post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 404
    assert Job.objects.get(pk=job_id).state == Job.State.QUEUED
    assert token_client(team.outsider).get(jobs_url(team)).status_code == 404


def test_the_api_says_a_queued_job_could_not_reach_the_queue(
    api, team, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker is a Redis address where nothing listens: the job is saved, and says why it
    waits (a worker sends it once the broker is back: tests/services/test_dispatch.py)."""
    import socket

    from annotator import tasks
    from tests.workerutil import TASK_NAME, sender

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = sender(f"redis://127.0.0.1:{port}/0")
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))
    with django_capture_on_commit_callbacks(execute=True):
        response = start(api("manager"), team, kind="gazetteer", source="imported")
    assert response.status_code == 202
    body = api("manager").get(f"/api/v1/jobs/{response.json()['id']}/").json()
    assert (body["state"], body["queue_unreachable"]) == ("queued", True)


def test_a_sent_job_is_not_said_to_be_unreachable(
    api, team, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = start(api("manager"), team, kind="gazetteer", source="imported").json()
    assert queued == [body["id"]]
    assert api("manager").get(f"/api/v1/jobs/{body['id']}/").json()["queue_unreachable"] is False


def test_an_upload_of_thirty_thousand_tiny_documents_is_an_import_job(api, team, queued):
    """0.9 MB, far under the byte threshold, but 30,000 documents: a job, not a request that
    gunicorn cuts at 120 s."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = ("-DOCSTART- O\n\nAda\tB-PER\n\n" * 30_000).encode()
    upload = SimpleUploadedFile("tiny.conll", data, content_type="text/plain")
    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/documents/", {"files": [upload]}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    assert response.json()["kind"] == "import"
    assert team.project.documents.count() == 2  # nothing imported in the request
