"""Jobs: long work queued for a Celery worker, with live progress, cancel and a clear outcome.

A service creates the Job row and queues its id after the transaction commits; the worker runs
the job's runner, which reports progress (kept in the cache, so it shows even while the runner
holds a long write transaction) and writes its output and the job's outcome in one transaction.
A redelivered job that is already finished does nothing, so a retry never writes twice.

Sending never loses a job: the Job row is the truth, the broker message only a wake-up call. A
send that fails (broker unreachable) leaves the row queued with no `sent_at`; every worker's
heartbeat sweeps such rows (and rows queued long after their send, whose message may be lost)
and sends them again. A job sent twice still runs once: a copy that finds it finished, or
running on a live worker, does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotator.models import Job, Project, WorkerHeartbeat

log = logging.getLogger(__name__)


class Cancelled(Exception):
    pass


class JobFailed(Exception):
    """An expected failure: its message is shown to the user as the reason."""


class Progress:
    """Called by runners with (done, total, message); also where a cancel request lands."""

    interval = 0.3  # seconds between two progress writes, stage starts and the end aside

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = float("-inf")  # monotonic() counts from boot: it may be small
        self.last_asked = time.monotonic()
        self.message = ""

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        now = time.monotonic()
        # Frequent calls are thinned out, but a stage starting (nothing done yet, a new
        # message) and the end always show.
        new_stage = done == 0 and message != self.message
        if now - self.last < self.interval and not new_stage and (total is None or done < total):
            return
        self.last, self.message = now, message
        cache.set(_key(self.job_id), {"done": done, "total": total, "message": message}, 3600)
        if cache.get(_cancel_key(self.job_id)) or self._cancel_in_row(now):
            raise Cancelled

    def _cancel_in_row(self, now: float) -> bool:
        """The Job row has the cancel request too: asked every few seconds, it still reaches
        the runner while the cache (Redis) is down and drops the flag."""
        if now - self.last_asked < 3:
            return False
        self.last_asked = now
        return Job.objects.filter(pk=self.job_id, cancel_requested=True).exists()


def _key(job_id: int) -> str:
    return f"job:{job_id}:progress"


def _cancel_key(job_id: int) -> str:
    # Scoped by the database's name: job ids start again at 1 in a new database (tests).
    return f"job:{settings.DATABASES['default']['NAME']}:{job_id}:cancel"


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
    """Queue a job of a kind in annotator/jobs/registry.py with its checked parameters."""
    from annotator.jobs import registry  # the kinds' modules import this one

    if kind not in registry.KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, user=user, project=project, params=params)
    transaction.on_commit(lambda: send(job.pk))
    return job


def send(job_id: int) -> bool:
    """Hand the job's id to the broker. False when it cannot be reached: the job stays queued
    with no `sent_at`, the page says so, and a worker's sweep sends it when the broker is back."""
    from annotator import tasks  # the Celery task module imports this one

    try:
        tasks.run_job.delay(job_id)
    except Exception:
        log.warning("job %s: the job queue is unreachable; a worker sends it later", job_id)
        Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(sent_at=None)
        return False
    Job.objects.filter(pk=job_id).update(sent_at=timezone.now())
    return True


def send_unsent() -> list[int]:
    """Send the queued jobs whose send failed (after JOB_SEND_GRACE seconds, so as not to race
    the send after commit) or whose last send is older than JOB_RESEND_AFTER seconds (a message
    lost with a flushed or replaced broker). Workers call this with every heartbeat; claiming a
    row by its `sent_at` lets one of them send it."""
    now = timezone.now()
    unsent = Q(sent_at=None, created_at__lt=now - timedelta(seconds=settings.JOB_SEND_GRACE))
    stale = Q(sent_at__lt=now - timedelta(seconds=settings.JOB_RESEND_AFTER))
    waiting = Job.objects.filter(unsent | stale, state=Job.State.QUEUED, cancel_requested=False)
    sent = []
    for pk, sent_at in waiting.order_by("pk").values_list("pk", "sent_at")[:100]:
        claimed = Job.objects.filter(pk=pk, state=Job.State.QUEUED, sent_at=sent_at)
        if claimed.update(sent_at=now) and send(pk):
            sent.append(pk)
    if sent:
        log.info("sent queued jobs %s again", sent)
    return sent


def cancel_job(job: Job) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state == Job.State.QUEUED:
            _finish(job, Job.State.CANCELLED, message="Cancelled before it started.")
        elif job.state == Job.State.RUNNING:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            cache.set(_cancel_key(job.pk), True, 3600)
            if job.worker and not _alive(job.worker):
                _finish(job, Job.State.CANCELLED, message="Cancelled; its worker had stopped.")


class Superseded(Exception):
    """Another run of the same job started after this one (a redelivery): this one yields."""


def _finish(job: Job, state: str, *, attempt: int | None = None, **fields) -> bool:
    """Record the outcome, unless the job already finished or a later attempt owns it."""
    if "message" in fields:
        fields["message"] = fields["message"][:300]  # it may quote a long layer name
    rows = Job.objects.filter(pk=job.pk).exclude(state__in=Job.FINISHED)
    if attempt is not None:
        rows = rows.filter(attempts=attempt)
    return bool(rows.update(state=state, finished_at=timezone.now(), **fields))


def run_job(job_id: int, worker: str = "", *, redelivered: bool = False) -> None:
    """What the worker does with a job id; safe to call again for the same job.

    `redelivered`: the broker hands back a message whose worker never acknowledged it (killed,
    or past the visibility timeout); that copy takes the job over. Any other copy of a job that
    is running on a live worker is a duplicate send, and does nothing.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return  # deleted, or a redelivery of a job that already finished
        if job.state == Job.State.RUNNING and not redelivered and _alive(job.worker):
            log.info("job %s already runs on %s: this copy does nothing", job.pk, job.worker)
            return
        if job.cancel_requested:
            _finish(job, Job.State.CANCELLED, message="Cancelled.")
            return
        if job.attempts == 0:
            # Job ids start again in a new database (tests, a restore) while Redis keeps the
            # keys of the old one's jobs; under the row lock, so a cancel cannot slip between.
            cache.delete_many([_key(job.pk), _cancel_key(job.pk)])
        job.state = Job.State.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.worker = worker
        job.message = "Starting." if job.attempts == 1 else f"Starting again (run {job.attempts})."
        job.save(update_fields=["state", "started_at", "attempts", "worker", "message"])
    from annotator.jobs import registry  # the kinds' modules import this one

    _run(job, lambda: registry.get(job.kind).run(job, Progress(job.pk)))


def run_part(job_id: int, work: Callable[[Job, Progress], None], worker: str = "") -> None:
    """A part of a running job (one fold of several), run by whichever worker got it.

    Its outcome is the job's: a failure or cancel finishes the whole job; the part that does
    the last step calls `complete`. The part's worker becomes the job's, so a part whose
    worker dies gets the job queued again (its runner then re-sends the missing parts).
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    if job.cancel_requested:
        _finish(job, Job.State.CANCELLED, message="Cancelled.")
        return
    if worker:
        Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(worker=worker)
    _run(job, lambda: work(job, Progress(job.pk)))


def _run(job: Job, work: Callable[[], None]) -> None:
    attempt = job.attempts
    failed = "Failed; nothing was written."
    try:
        work()
    except Superseded:
        log.info("job %s attempt %s yields to a later attempt", job.pk, attempt)
    except Cancelled:
        _finish(
            job, Job.State.CANCELLED, attempt=attempt, message="Cancelled; nothing was written."
        )
    except JobFailed as error:
        _finish(job, Job.State.FAILED, attempt=attempt, error=str(error), message=failed)
    except Exception as error:
        log.exception("job %s failed", job.pk)
        _finish(
            job,
            Job.State.FAILED,
            attempt=attempt,
            error=f"{type(error).__name__}: {error}",
            message=failed,
        )


def complete(job: Job, result: dict, message: str = "Done.") -> None:
    """Mark the job done; runners call this inside the transaction that writes their output.

    If the job was meanwhile delivered again and another attempt started, this attempt's
    output is rolled back (Superseded), so the job's output is written exactly once.
    """
    current = Job.objects.select_for_update().get(pk=job.pk)
    if current.finished or current.attempts != job.attempts:
        raise Superseded
    _finish(current, Job.State.DONE, result=result, message=message, done=1, total=1)


def requeue_orphans(worker: str, *, starting: bool = False) -> list[int]:
    """Jobs left running by a worker that is gone: queue them again (they are idempotent).

    Brokers that redeliver unacknowledged messages (Redis) would do it too, later; the
    filesystem transport never does, so without this a killed worker's job would hang.
    Each worker calls this with every heartbeat; the conditional update lets one of them win.
    """
    since = timezone.now() - timedelta(seconds=settings.WORKER_ALIVE_WITHIN)
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=since).values_list("hostname", flat=True)
    )
    if starting:
        alive.discard(worker)  # whatever this worker ran before it started died with it
    else:
        alive.add(worker)
    requeued = []
    for pk, owner in Job.objects.filter(state=Job.State.RUNNING).values_list("pk", "worker"):
        if owner in alive:
            continue
        claimed = Job.objects.filter(pk=pk, state=Job.State.RUNNING, worker=owner).update(
            state=Job.State.QUEUED, message="Its worker stopped; queued again."
        )
        if claimed:
            requeued.append(pk)
    for pk in requeued:
        send(pk)  # if the broker is unreachable, send_unsent() sends it later
    return requeued


def beat(hostname: str, *, reaches_broker: bool = True) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now(), "reaches_broker": reaches_broker}
    )


def _alive(hostname: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.WORKER_ALIVE_WITHIN)
    return WorkerHeartbeat.objects.filter(hostname=hostname, seen_at__gte=since).exists()


def ready_workers() -> int:
    """Workers that beat within WORKER_ALIVE_WITHIN seconds and then reached the broker."""
    since = timezone.now() - timedelta(seconds=settings.WORKER_ALIVE_WITHIN)
    return WorkerHeartbeat.objects.filter(seen_at__gte=since, reaches_broker=True).count()


def workers_alive() -> bool:
    """A worker can take jobs: one is running and reaches the broker."""
    return ready_workers() > 0
