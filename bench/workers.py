"""Jobs: gazetteer pre-annotation of the 1,000,000-token project, and queue-to-start overhead
through Redis and a real Celery worker: workers.py gazetteer | overhead.

gazetteer: in the bench database (the project "bench" is imported, untimed, when missing), a
gold layer for the document (its confirmed spans) and one in-process `jobs.run_job`, timed; the
layers it made are deleted afterwards so the database stays as the other steps expect it.
overhead: a fresh SQLite file (DATABASE_URL) and Redis db (REDIS_URL, flushed); a worker
subprocess (`celery worker --pool=solo`); cheap import jobs queued with `start_job` in
`transaction.atomic()`, timed from just before the queueing to the row's `started_at`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django
from common import BIG, PROJECT, ROOT, VAR, emit, p95, peak_rss_mb

WARMUP = 2
RUNS = 20
JOB_TIMEOUT = 60  # seconds to wait for one job (or for the worker to come up)


def gazetteer() -> dict:
    from annotator.models import GOLD, Job, Project, TagLayer
    from annotator.services import corpus, editing, jobs

    project = Project.objects.filter(name=PROJECT).first()
    if project is None:
        with BIG.open("rb") as stream:
            project = corpus.import_conll(project_name=PROJECT, files=[(BIG.name, stream)])
            project = project.project
    document = project.documents.order_by("position").first()
    had_gold = TagLayer.objects.filter(document=document, name=GOLD).exists()
    start = time.perf_counter()
    editing.ensure_working_layer(document)
    gold_s = time.perf_counter() - start
    job = Job.objects.create(kind="gazetteer", project=project, params={"source": "gold"})
    start = time.perf_counter()
    jobs.run_job(job.pk)
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    tokens = sum(d.token_count for d in project.documents.all())
    TagLayer.objects.filter(document__project=project, name=job.result.get("layer")).delete()
    if not had_gold:
        TagLayer.objects.filter(document=document, name=GOLD).delete()
    return {
        "tokens": tokens,
        "documents": project.documents.count(),
        "gold_layer_s": round(gold_s, 2),
        "seconds": round(seconds, 2),
        "state": job.state,
        "phrases": job.result.get("phrases"),
        "peak_rss_mb": peak_rss_mb(),
    } | ({} if job.state == "done" else {"error": f"job {job.state}: {job.error}"})


def wait(check, what: str):
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.005)
    raise SystemExit(f"bench: timed out waiting for {what}")


def queue_one(project, media: Path, number: int) -> tuple[float, str]:
    from django.db import transaction

    from annotator.models import Job
    from annotator.services import jobs

    folder = media / f"bench-{number}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"tiny-{number}.conll"
    path.write_text("Hello\tO\nPyTorch\tB-Library\n", encoding="utf-8")
    params = {"paths": [str(path)], "names": [path.name]}
    queued = time.time()
    with transaction.atomic():
        job = jobs.start_job(kind="import", user=None, project=project, params=params)
    started = wait(
        lambda: Job.objects.filter(pk=job.pk, started_at__isnull=False).first(), "a job to start"
    )
    done = wait(lambda: Job.objects.filter(pk=job.pk, state__in=Job.FINISHED).first(), "a job")
    return (started.started_at.timestamp() - queued) * 1000, done.state


def overhead() -> dict:
    import redis

    from annotator.models import Project, WorkerHeartbeat

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    log = (VAR / "bench-worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "annotator.celery", "worker", "--pool=solo",
         "-Q", "celery", "--loglevel=WARNING"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        start = time.perf_counter()
        wait(lambda: WorkerHeartbeat.objects.exists(), "the worker's first heartbeat")
        ready_s = time.perf_counter() - start
        project = Project.objects.create(name="bench-jobs")
        media = Path(os.environ["MEDIA_ROOT"])
        runs = [queue_one(project, media, i) for i in range(WARMUP + RUNS)]
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
    times = [ms for ms, _ in runs[WARMUP:]]
    return {
        "runs": len(times),
        "warmup": WARMUP,
        "states": sorted({state for _, state in runs}),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95(times), 1),
        "max_ms": round(max(times), 1),
        "times_ms": [round(ms, 1) for ms in times],
        "worker_ready_s": round(ready_s, 2),
    }


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    command = sys.argv[1]
    if command == "gazetteer":
        emit(gazetteer())
    elif command == "overhead":
        emit(overhead())
    else:
        raise SystemExit(f"bench: unknown measurement {command!r}")


if __name__ == "__main__":
    main()
