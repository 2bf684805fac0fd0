"""Sending jobs to the broker: a failed send is not a lost job, and a job sent twice runs once.

The broker here is a real Celery app pointed at a local port where nothing listens (the send
fails as it does with Redis down), or the in-test list of `queued` (the send succeeds). The real
outage, with a Redis server stopped and started again under a real worker, is in
tests/test_broker_outage.py.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator.models import Job, WorkerHeartbeat
from annotator.services import jobs
from tests.workerutil import TASK_NAME, sender

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_cache")]

UNREACHABLE = "the job queue is unreachable"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_down(monkeypatch):
    """Sends go to a Redis address where nothing listens."""
    from annotator import tasks

    app = sender(f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))


@pytest.fixture
def queued(monkeypatch):
    """A broker that takes every send: the ids sent, in order."""
    from annotator import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)
    return sent


def start_gazetteer(project, member) -> Job:
    from django.test import TestCase

    # The send runs when the transaction commits, as it does in a request.
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = jobs.start_job(kind="gazetteer", user=member, project=project, params={})
    job.refresh_from_db()
    return job


def age(job: Job, seconds: int, field: str = "created_at") -> None:
    Job.objects.filter(pk=job.pk).update(**{field: timezone.now() - timedelta(seconds=seconds)})


def test_a_job_whose_send_fails_stays_queued_unsent_and_the_page_says_the_queue_is_unreachable(
    broker_down, member_client, project, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = member_client.post(
            reverse("annotator-preannotate", args=[project.pk]), {"kind": "gazetteer"}
        )
    assert len(callbacks) == 1  # the send was tried, and failed
    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.state, job.sent_at) == (Job.State.QUEUED, None)
    page = member_client.get(reverse("annotator-project-jobs", args=[project.pk]))
    assert UNREACHABLE in page.content.decode()
    fragment = member_client.get(reverse("annotator-job-progress", args=[job.pk]))
    assert UNREACHABLE in fragment.content.decode()


def test_a_sent_job_is_marked_sent_and_not_said_to_be_unreachable(
    queued, member_client, project, member
):
    job = start_gazetteer(project, member)
    assert queued == [job.pk]
    assert job.sent_at is not None
    page = member_client.get(reverse("annotator-project-jobs", args=[project.pk]))
    assert UNREACHABLE not in page.content.decode()
    assert "waiting for a worker" in page.content.decode()


def test_the_sweep_sends_an_unsent_job_once_the_grace_has_passed(monkeypatch, project, member):
    from annotator import tasks

    app = sender(f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))
    job = start_gazetteer(project, member)
    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)  # the broker is back
    assert jobs.send_unsent() == []  # too fresh: its own send after commit may be under way
    age(job, 60)
    assert jobs.send_unsent() == [job.pk]
    assert sent == [job.pk]
    assert jobs.send_unsent() == []  # sent: not again
    job.refresh_from_db()
    assert job.sent_at is not None


def test_the_sweep_keeps_a_job_unsent_while_the_broker_is_still_down(broker_down, project, member):
    job = start_gazetteer(project, member)
    age(job, 60)
    assert jobs.send_unsent() == []
    job.refresh_from_db()
    assert (job.state, job.sent_at) == (Job.State.QUEUED, None)


def test_the_sweep_sends_again_a_job_queued_long_after_its_send(queued, project, member, settings):
    job = start_gazetteer(project, member)
    assert jobs.send_unsent() == []
    age(job, settings.JOB_RESEND_AFTER + 1, "sent_at")
    assert jobs.send_unsent() == [job.pk]
    assert queued == [job.pk, job.pk]


def test_the_sweep_leaves_running_finished_and_cancel_requested_jobs_alone(queued, project, member):
    for state in (Job.State.RUNNING, Job.State.DONE, Job.State.FAILED, Job.State.CANCELLED):
        Job.objects.create(kind="gazetteer", project=project, state=state)
    Job.objects.create(kind="gazetteer", project=project, cancel_requested=True)
    Job.objects.update(created_at=timezone.now() - timedelta(seconds=60))
    assert jobs.send_unsent() == []


def test_a_job_sent_twice_runs_once(queued, project, member):
    job = start_gazetteer(project, member)
    Job.objects.filter(pk=job.pk).update(params={"source": "gold"})
    jobs.run_job(job.pk, worker="w1@host")
    jobs.run_job(job.pk, worker="w2@host")  # the second copy, after the first finished
    job.refresh_from_db()
    assert job.attempts == 1
    assert job.worker == "w1@host"


def test_a_second_copy_of_a_job_running_on_a_live_worker_does_nothing(queued, project, member):
    job = start_gazetteer(project, member)
    jobs.beat("w1@host")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1, worker="w1@host")
    jobs.run_job(job.pk, worker="w2@host")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.worker) == (Job.State.RUNNING, 1, "w1@host")


def test_a_redelivered_copy_takes_over_even_while_its_first_worker_beats(queued, project, member):
    """Redis hands back a message that was not acknowledged in time: that copy takes over, and
    the first attempt's output is rolled back when it tries to complete (Superseded)."""
    job = start_gazetteer(project, member)
    jobs.beat("w1@host")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1, worker="w1@host")
    jobs.run_job(job.pk, worker="w2@host", redelivered=True)
    job.refresh_from_db()
    assert (job.attempts, job.worker) == (2, "w2@host")
    assert job.finished


def test_an_orphan_requeued_while_the_broker_is_down_is_swept_later(
    broker_down, project, member, monkeypatch
):
    job = start_gazetteer(project, member)
    WorkerHeartbeat.objects.create(hostname="dead@host", seen_at=timezone.now() - timedelta(1))
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, worker="dead@host", sent_at=timezone.now()
    )
    assert jobs.requeue_orphans("live@host") == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.sent_at) == (Job.State.QUEUED, None)
    from annotator import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)
    age(job, 60)
    assert jobs.send_unsent() == [job.pk]


def test_a_worker_that_cannot_reach_the_broker_does_not_count(member_client, project, member):
    Job.objects.create(kind="gazetteer", project=project, user=member, sent_at=timezone.now())
    jobs.beat("cut-off@host", reaches_broker=False)
    assert not jobs.workers_alive()
    page = member_client.get(reverse("annotator-project-jobs", args=[project.pk]))
    assert "none reaches the job queue" in page.content.decode()
