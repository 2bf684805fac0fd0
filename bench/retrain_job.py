"""The retrain job on a ~20,000-token project through a real Celery worker: retrain_job.py.

A fresh SQLite file (DATABASE_URL) and Redis db (REDIS_URL, flushed); the first ~20,000 tokens
of wikiser-small dev imported with `corpus.import_conll` and the first REVIEWED sentences marked
reviewed in gold (untimed); one `celery worker --pool=solo` process. Each run queues the retrain
job as a review asks for it (`learning.request_retrain`, in a transaction) and is timed from the
queueing to the row's `finished_at`: the job has then written the refreshed suggestions. The
median of RUNS runs (each retrains and refreshes everything again), and the worker's CPU time.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

import django
from common import ROOT, VAR, emit, shared_samples
from finder import stop

WIKISER = "wikiser-small/dev.conll"
TOKENS = 20_000
REVIEWED = 200  # the first retrains every 200 by default: the job as a project first sees it
RUNS = 3
TIMEOUT = 300


def build_project():
    """The first ~TOKENS tokens of wikiser-small dev as a project, REVIEWED sentences reviewed."""
    from django.contrib.auth import get_user_model
    from models import load

    from annotator.models import Membership, Project
    from annotator.services import corpus, editing

    found = Project.objects.filter(name="bench-retrain").first()
    if found:
        return found
    sentences = load(shared_samples() / WIKISER, TOKENS)
    path = VAR / "bench-retrain-20k.conll"
    with path.open("w", encoding="utf-8") as out:
        for tokens, tags in sentences:
            out.writelines(f"{t}\t{g}\n" for t, g in zip(tokens, tags, strict=True))
            out.write("\n")
    with path.open("rb") as stream:
        project = corpus.import_conll(project_name="bench-retrain", files=[(path.name, stream)])
    project = project.project
    user = get_user_model().objects.create_user("bench-reviewer")
    Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)
    document = project.documents.get()
    gold = editing.ensure_working_layer(document)
    reviewed = document.sentences.order_by("position").values_list("pk", flat=True)[:REVIEWED]
    for sentence_id in reviewed:
        editing.mark_reviewed(user=user, layer=gold, sentence_id=sentence_id)
    return project


def start_worker() -> subprocess.Popen:
    log = (VAR / "bench-retrain-worker.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "annotator.celery", "worker", "--pool=solo",
         "-n", "retrain@%h", "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def one_run(project) -> tuple[float, float, dict] | str:
    from django.db import transaction

    from annotator.models import Job
    from annotator.services import learning

    queued = time.time()
    with transaction.atomic():
        job = learning.request_retrain(project=project, user=None)
    while time.time() - queued < TIMEOUT:
        job.refresh_from_db()
        if job.state in Job.FINISHED:
            break
        time.sleep(0.05)
    if job.state != Job.State.DONE:
        return f"job {job.state}: {job.error or 'timed out'}"
    return (
        job.finished_at.timestamp() - queued,
        job.started_at.timestamp() - queued,
        job.result,
    )


def run() -> dict:
    import redis

    from annotator.models import WorkerHeartbeat

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    project = build_project()
    tokens = sum(d.token_count for d in project.documents.all())
    WorkerHeartbeat.objects.all().delete()
    worker = start_worker()
    try:
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        runs = [one_run(project) for _ in range(RUNS)]
    finally:
        stop([worker])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    errors = [r for r in runs if isinstance(r, str)]
    if errors:
        return {"error": errors[0]}
    return {
        "tokens": tokens,
        "reviewed": REVIEWED,
        "refreshed": runs[-1][2]["refreshed"],
        "runs": len(runs),
        "seconds": round(statistics.median(r[0] for r in runs), 2),
        "start_s": round(statistics.median(r[1] for r in runs), 2),
        "all_seconds": [round(r[0], 2) for r in runs],
        "worker_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),  # start-up and every run
        "cpu_per_run_s": round((usage.ru_utime + usage.ru_stime) / len(runs), 1),
    }


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    emit(run())


if __name__ == "__main__":
    main()
