"""Scratch folders of job attempts: none left behind, even by a killed attempt; and training
shows what it does from its first second."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from annotator.jobs import registry
from annotator.jobs.base import JobKind
from annotator.models import Job, TaggerModel
from annotator.services import corpus, jobs, scratch
from tests.paths import DEMO_SAMPLE

SAMPLE = DEMO_SAMPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(settings, tmp_path, isolated_cache):
    settings.MODEL_ROOT = tmp_path / "models"
    with SAMPLE.open("rb") as stream:
        return corpus.import_conll(project_name="Models", files=[(SAMPLE.name, stream)]).project


def leftovers(settings) -> list[str]:
    folder = Path(settings.MODEL_ROOT) / "scratch"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def killed_attempt(job: Job, settings) -> Path:
    """What a worker SIGKILLed mid-training leaves: the job running, a half-written folder."""
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1, worker="gone@h")
    folder = Path(settings.MODEL_ROOT) / "scratch" / f"job-{job.pk}-1"
    folder.mkdir(parents=True)
    (folder / "model.crfsuite").write_bytes(b"half a model")
    return folder


def train(project, **params) -> Job:
    params = {"layer": "imported", "name": "crf", "iterations": 5, **params}
    return Job.objects.create(kind="train-crf", project=project, params=params)


def test_a_training_job_leaves_no_scratch_folder(project, settings):
    job = train(project)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert leftovers(settings) == []
    assert TaggerModel.objects.count() == 1


def test_a_failed_training_job_leaves_no_scratch_folder(project, settings):
    job = train(project, layer="no such layer")
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert leftovers(settings) == []


def test_the_run_after_a_killed_attempt_removes_the_killed_attempts_folder(project, settings):
    job = train(project)
    killed_attempt(job, settings)
    jobs.run_job(job.pk, redelivered=True)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.DONE, 2)
    assert leftovers(settings) == []


def test_the_sweep_removes_a_killed_attempts_folder_once_its_job_is_no_longer_running(
    project, settings
):
    job = train(project)
    folder = killed_attempt(job, settings)
    assert scratch.sweep() == []  # still running, as far as anyone knows
    assert folder.exists()
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED)
    assert scratch.sweep() == [folder.name]
    assert leftovers(settings) == []


def test_the_sweep_removes_the_folders_of_deleted_jobs_and_old_foreign_ones_only(project, settings):
    root = Path(settings.MODEL_ROOT) / "scratch"
    for name in ("job-9999-1", "tmp-young", "tmp-old"):
        (root / name).mkdir(parents=True)
    old = time.time() - scratch.FOREIGN_AFTER - 60
    os.utime(root / "tmp-old", (old, old))
    assert sorted(scratch.sweep()) == ["job-9999-1", "tmp-old"]
    assert leftovers(settings) == ["tmp-young"]


def test_training_says_what_it_does_before_its_first_iteration(project):
    job = train(project, iterations=7)
    calls: list[tuple] = []
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1)
    job.refresh_from_db()
    registry.get("train-crf").run(
        job, lambda done, total=None, message="": calls.append((done, total, message))
    )
    first_iteration = next(i for i, call in enumerate(calls) if call[0] > 0)
    stages = calls[:first_iteration]
    assert stages, "no progress before the first training iteration"
    assert all(total == 7 for _, total, _ in stages)
    assert [message.split(" ")[0] for _, _, message in stages] == ["Reading", "Preparing"]


def test_a_new_stage_shows_at_once_even_right_after_another(project):
    job = train(project)
    progress = jobs.Progress(job.pk)
    progress(0, 10, "Reading layer gold")
    progress(0, 10, "Preparing the features of 90 sentences")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    job.refresh_from_db()
    shown = jobs.live(job)
    assert (shown.total, shown.message) == (10, "Preparing the features of 90 sentences")


def test_a_job_that_just_started_says_so(project, monkeypatch):
    job = train(project)
    job.state = Job.State.RUNNING
    progress_seen = []

    def runner(job, progress):
        progress_seen.append(Job.objects.get(pk=job.pk).message)
        raise jobs.JobFailed("stop here")

    monkeypatch.setitem(registry.KINDS, "test-started", JobKind(name="test-started", run=runner))
    Job.objects.filter(pk=job.pk).update(kind="test-started", state=Job.State.QUEUED)
    jobs.run_job(job.pk)
    assert progress_seen == ["Starting."]


def test_the_sweep_removes_old_training_folders_of_older_releases(settings, project):
    """Before scratch folders per attempt, training wrote in MODEL_ROOT/project-<id>/tmp*."""
    models = Path(settings.MODEL_ROOT)
    old, young = models / "project-1" / "tmpold", models / "project-1" / "tmpyoung"
    for folder in (old, young):
        folder.mkdir(parents=True)
        (folder / "model.crfsuite").write_bytes(b"half a model")
    (models / "project-1" / "crf-v1.crfsuite").write_bytes(b"a trained model")
    past = time.time() - scratch.FOREIGN_AFTER - 60
    os.utime(old, (past, past))
    assert scratch.sweep() == ["project-1/tmpold"]
    assert sorted(p.name for p in (models / "project-1").iterdir()) == [
        "crf-v1.crfsuite",
        "tmpyoung",
    ]
