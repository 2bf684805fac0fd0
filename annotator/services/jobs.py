"""Jobs: long work queued for a Celery worker, with live progress, cancel and a clear outcome.

A service creates the Job row and queues its id after the transaction commits; the worker runs
the job's runner, which reports progress (kept in the cache, so it shows even while the runner
holds a long write transaction) and writes its output and the job's outcome in one transaction.
A redelivered job that is already finished does nothing, so a retry never writes twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from annotator.models import Job, Project, WorkerHeartbeat

log = logging.getLogger(__name__)
RUNNERS: dict[str, Callable] = {}


class Cancelled(Exception):
    pass


class JobFailed(Exception):
    """An expected failure: its message is shown to the user as the reason."""


def runner(kind: str):
    def register(function: Callable) -> Callable:
        RUNNERS[kind] = function
        return function

    return register


class Progress:
    """Called by runners with (done, total, message); also where a cancel request lands."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        now = time.monotonic()
        if now - self.last < 0.3 and (total is None or done < total):
            return
        self.last = now
        cache.set(_key(self.job_id), {"done": done, "total": total, "message": message}, 3600)
        if cache.get(_cancel_key(self.job_id)):
            raise Cancelled


def _key(job_id: int) -> str:
    return f"job:{job_id}:progress"


def _cancel_key(job_id: int) -> str:
    return f"job:{job_id}:cancel"


def live(job: Job) -> Job:
    """The job with its latest progress from the cache, for pages."""
    if job.state == Job.State.RUNNING:
        progress = cache.get(_key(job.pk))
        if progress:
            job.done = progress["done"]
            job.total = progress["total"] or job.total
            job.message = progress["message"] or job.message
    return job


def start_job(*, kind: str, user, project: Project | None, params: dict) -> Job:
    if kind not in RUNNERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, user=user, project=project, params=params)
    from annotator import tasks  # the Celery task module imports this one

    transaction.on_commit(lambda: tasks.run_job.delay(job.pk))
    return job


def cancel_job(job: Job) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state == Job.State.QUEUED:
            _finish(job, Job.State.CANCELLED, message="Cancelled before it started.")
        elif job.state == Job.State.RUNNING:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            cache.set(_cancel_key(job.pk), True, 3600)


def _finish(job: Job, state: str, **fields) -> None:
    job.state = state
    job.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()


def run_job(job_id: int) -> None:
    """What the worker does with a job id; safe to call again for the same job."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return  # deleted, or a redelivery of a job that already finished
        if job.cancel_requested:
            _finish(job, Job.State.CANCELLED, message="Cancelled.")
            return
        job.state = Job.State.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.save(update_fields=["state", "started_at", "attempts"])
    progress = Progress(job.pk)
    try:
        RUNNERS[job.kind](job, progress)
    except Cancelled:
        _finish(job, Job.State.CANCELLED, message="Cancelled; nothing was written.")
    except JobFailed as error:
        _finish(job, Job.State.FAILED, error=str(error), message="Failed; nothing was written.")
    except Exception as error:
        log.exception("job %s failed", job.pk)
        _finish(
            job,
            Job.State.FAILED,
            error=f"{type(error).__name__}: {error}",
            message="Failed; nothing was written.",
        )


def complete(job: Job, result: dict, message: str = "Done.") -> None:
    """Mark the job done; runners call this inside the transaction that writes their output."""
    _finish(
        Job.objects.select_for_update().get(pk=job.pk),
        Job.State.DONE,
        result=result,
        message=message,
        done=1,
        total=1,
    )


def beat(hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )


def workers_alive() -> bool:
    since = timezone.now() - timedelta(seconds=settings.WORKER_ALIVE_WITHIN)
    return WorkerHeartbeat.objects.filter(seen_at__gte=since).exists()
