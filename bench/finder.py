"""The likely-errors job on ~300,000 tokens through real Celery workers: finder.py WORKERS.

A fresh SQLite file (DATABASE_URL) and Redis db (REDIS_URL, flushed); wikiser-small dev
imported with `corpus.import_conll` (untimed); WORKERS `celery worker --pool=solo`
processes; one likely-errors job (the finder's default folds and iterations, each fold a task
of its own) queued
with `jobs.start_job`, timed from the queueing to the row's `finished_at`. The job's live
progress (what the page shows) is read every 0.25 s: the longest time it stood still is
reported, from the first move to the end. The workers' CPU time (user + system, read when
they have exited) says what the job cost whatever else loads the machine; each worker's tasks,
from its log (the planning, the folds' training, the parts' judging, the last of which ranks),
whether all shared the work and how long each stood idle.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time

import django
from common import ROOT, VAR, emit, shared_samples

from annotator.nlp.likely_errors import FOLD_ITERATIONS, FOLDS

WIKISER = "wikiser-small/dev.conll"
TIMEOUT = 900


def start_workers(count: int) -> list[subprocess.Popen]:
    started = []
    for n in range(count):
        log = (VAR / f"bench-finder-worker-{n}.log").open("w")
        started.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "annotator.celery", "worker", "--pool=solo",
             "-n", f"finder{n}@%h", "--loglevel=INFO", "--without-mingle", "--without-gossip"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, LOG_LEVEL="INFO"),  # the log lines that say who ran a fold
        ))  # fmt: skip
    return started


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def project():
    from annotator.models import Project
    from annotator.services import corpus

    found = Project.objects.filter(name="bench-finder").first()
    if found:
        return found
    path = shared_samples() / WIKISER
    with path.open("rb") as stream:
        return corpus.import_conll(project_name="bench-finder", files=[(path.name, stream)]).project


def run(count: int, folds: int = FOLDS, iterations: int = FOLD_ITERATIONS) -> dict:
    import redis

    from annotator.models import Job, WorkerHeartbeat
    from annotator.services import jobs

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    target = project()
    tokens = sum(d.token_count for d in target.documents.all())
    WorkerHeartbeat.objects.all().delete()
    before = _children_cpu()
    workers = start_workers(count)
    try:
        deadline = time.monotonic() + 60
        while WorkerHeartbeat.objects.count() < count and time.monotonic() < deadline:
            time.sleep(0.2)
        params = {"layer": "imported", "folds": folds, "iterations": iterations}
        queued = time.time()
        job = jobs.start_job(kind="likely-errors", user=None, project=target, params=params)
        seen, moves = None, []
        while time.time() - queued < TIMEOUT:
            job = jobs.live(Job.objects.get(pk=job.pk))
            if job.finished:
                break
            if (job.done, job.message) != seen:
                seen = (job.done, job.message)
                moves.append(time.time())
            time.sleep(0.25)
    finally:
        stop(workers)
    cpu = _children_cpu() - before
    job.refresh_from_db()
    if job.state != Job.State.DONE:
        return {"error": f"job {job.state}: {job.error or 'timed out'}"}
    finished = job.finished_at.timestamp()
    gaps = [b - a for a, b in zip(moves, [*moves[1:], finished], strict=True)]
    logs = [(VAR / f"bench-finder-worker-{n}.log").read_text() for n in range(count)]
    timelines = [timeline(log, queued) for log in logs]
    folds = [sum(task == "fold" for task, *_ in line) for line in timelines]
    return {
        "workers": count,
        "workers_that_ran_folds": sum(1 for n in folds if n),
        "folds_per_worker": folds,
        "busy_s": [busy(line) for line in timelines],
        "idle_s": [round(finished - queued - sum(busy(line).values()), 1) for line in timelines],
        "timeline": [[[task, start, length] for task, start, length in line] for line in timelines],
        "ranking_s": [float(x) for log in logs for x in RANKED.findall(log)],
        "workers_cpu_s": round(cpu, 1),
        "tokens": tokens,
        "sentences": job.result["sentences"],
        "folds": job.result["folds"],
        "iterations": job.result["iterations"],
        "seconds": round(finished - queued, 1),
        "first_progress_s": round(moves[0] - queued, 1) if moves else None,
        "longest_still_s": round(max(gaps), 1) if gaps else None,
        "progress_updates": len(moves),
        "disagreements": job.result["disagreements"],
    }


TASK_DONE = re.compile(
    r"^(\S+ \S+),(\d+) INFO celery\.app\.trace: Task annotator\.(run_job|run_likely_errors_fold"
    r"|run_likely_errors_part)\[[^]]+\] succeeded in ([\d.]+)s"
)
RANKED = re.compile(r"likely errors: job \d+ ranked in ([\d.]+) s")
TASK_NAMES = {"run_job": "plan", "run_likely_errors_fold": "fold", "run_likely_errors_part": "part"}


def timeline(log: str, queued: float) -> list[tuple[str, float, float]]:
    """A worker's tasks from its log: (kind, start, seconds), times from the queueing. A part
    that ranked shows as "part" too: the job's ranking is the last part's tail."""
    found = []
    for line in log.splitlines():
        match = TASK_DONE.match(line)
        if match:
            stamp, millis, name, seconds = match.groups()
            end = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
            length = float(seconds)
            found.append((TASK_NAMES[name], round(end - length - queued, 1), round(length, 1)))
    return found


def busy(line: list[tuple[str, float, float]]) -> dict:
    """Seconds per kind of task."""
    total: dict[str, float] = {}
    for task, _, length in line:
        total[task] = round(total.get(task, 0.0) + length, 1)
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    count, *plan = map(int, sys.argv[1:])  # finder.py WORKERS [FOLDS ITERATIONS]: to compare
    emit(run(count, *plan))


if __name__ == "__main__":
    main()
