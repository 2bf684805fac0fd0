"""Agreement over the API: start a report, read it, build gold by vote; the pages' rules."""

from __future__ import annotations

import pytest

from annotator.models import AgreementReport, Job, SentenceTags, Task
from annotator.services import assignment, jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_readers(team):
    """The annotator and the reviewer both hand in the first document; one tag differs."""
    assignment.assign(
        manager=team.manager, project=team.project, documents=[team.document],
        annotators=[team.reviewer],
    )  # fmt: skip
    Task.objects.filter(project=team.project).update(state=Task.State.SUBMITTED)
    row = (
        SentenceTags.objects.filter(layer__document=team.document, layer__name="annotator rex")
        .order_by("sentence__position")
        .first()
    )
    row.tags = ["O"] * len(row.tags)
    row.save()
    return ["annotator ann", "annotator rex"]


def test_a_reviewer_computes_agreement_and_reads_the_report(api, team, two_readers, queued):
    response = api("reviewer").post(
        f"/api/v1/projects/{team.project.pk}/agreement/", {"layers": two_readers}, format="json"
    )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    jobs.run_job(job.pk)  # what the worker does

    listing = api("reviewer").get(f"/api/v1/projects/{team.project.pk}/agreement/").json()
    report = AgreementReport.objects.get()
    assert listing["count"] == 1
    assert listing["results"][0]["annotators"] == two_readers
    detail = api("reviewer").get(f"/api/v1/agreement/{report.pk}/").json()
    assert detail["result"] == report.result
    pair = detail["result"]["pairs"][0]
    assert (pair["a"], pair["b"]) == tuple(two_readers)
    assert pair["token"]["all"]["kappa"] < 1  # the reviewer's emptied sentence disagrees


def test_unknown_layers_are_refused_with_their_names_and_start_nothing(api, team, queued):
    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/agreement/",
        {"layers": ["annotator ann", "nobody"]},
        format="json",
    )
    assert response.status_code == 422
    assert "'nobody'" in response.json()["errors"]["layers"][0]
    assert not Job.objects.exists() and queued == []


def test_annotators_read_reports_only_when_the_project_opens_them(api, team):
    url = f"/api/v1/projects/{team.project.pk}/agreement/"
    assert api("annotator").get(url).status_code == 403
    team.project.agreement_open = True
    team.project.save()
    assert api("annotator").get(url).status_code == 200
    assert api("annotator").post(url, {"layers": ["a", "b"]}, format="json").status_code == 403
    assert api("outsider").get(url).status_code == 404


def test_build_gold_by_vote_starts_a_job_with_the_rule(api, team, two_readers, queued):
    response = api("reviewer").post(
        f"/api/v1/projects/{team.project.pk}/majority-vote/", {"rule": "all"}, format="json"
    )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.params == {"documents": [], "rule": "all", "finished_only": True}
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == "done" and "ties" in job.result
