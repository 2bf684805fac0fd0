"""Celery tasks: thin. They take ids and call services."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections

from annotator.broker import broker_reachable
from annotator.celery import app
from annotator.services import exports, jobs, scratch

SWEEP_SCRATCH_EVERY = 60  # seconds
_stop = threading.Event()
_started = threading.Event()


@app.task(name="annotator.run_job", bind=True)
def run_job(self, job_id: int) -> None:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    jobs.run_job(job_id, worker=self.request.hostname or "", redelivered=redelivered)


@app.task(name="annotator.run_likely_errors_fold", bind=True)
def run_likely_errors_fold(self, job_id: int, fold: int) -> None:
    from annotator.services import likely_errors

    jobs.run_part(
        job_id,
        lambda job, progress: likely_errors.run_fold(job, progress, fold),
        worker=self.request.hostname or "",
    )


@app.task(name="annotator.run_likely_errors_part", bind=True)
def run_likely_errors_part(self, job_id: int, fold: int, part: int) -> None:
    from annotator.services import likely_errors

    jobs.run_part(
        job_id,
        lambda job, progress: likely_errors.run_part(job, progress, fold, part),
        worker=self.request.hostname or "",
    )


@worker_ready.connect
def start_heartbeat(sender=None, **kwargs) -> None:
    """Every few seconds: tell the pages this worker is alive and whether it reaches the
    broker, take over the jobs of workers that died, and send the jobs whose send failed."""
    if _started.is_set():
        return  # one heartbeat per worker, even if the signal came again
    _started.set()
    hostname = getattr(sender, "hostname", None) or socket.gethostname()

    def loop() -> None:
        swept = time.monotonic()
        while not _stop.is_set():
            close_old_connections()
            # A missed beat (database busy) only delays the "alive" sign.
            with contextlib.suppress(Exception):
                reachable = broker_reachable()
                jobs.beat(hostname, reaches_broker=reachable)
                jobs.requeue_orphans(hostname)
                if reachable:
                    jobs.send_unsent()
            if time.monotonic() - swept > SWEEP_SCRATCH_EVERY:
                swept = time.monotonic()
                with contextlib.suppress(Exception):
                    scratch.sweep()
                    exports.sweep()
            _stop.wait(settings.WORKER_HEARTBEAT_EVERY)

    close_old_connections()
    jobs.requeue_orphans(hostname, starting=True)
    scratch.sweep()
    threading.Thread(target=loop, name="heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(**kwargs) -> None:
    _stop.set()
