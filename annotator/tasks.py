"""Celery tasks: thin. They take ids and call services."""

from __future__ import annotations

import contextlib
import socket
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections

from annotator.celery import app
from annotator.services import jobs

_stop = threading.Event()


@app.task(name="annotator.run_job", bind=True)
def run_job(self, job_id: int) -> None:
    jobs.run_job(job_id, worker=self.request.hostname or "")


@app.task(name="annotator.run_likely_errors_fold", bind=True)
def run_likely_errors_fold(self, job_id: int, fold: int) -> None:
    from annotator.services import errors

    jobs.run_part(
        job_id,
        lambda job, progress: errors.run_fold(job, progress, fold),
        worker=self.request.hostname or "",
    )


@worker_ready.connect
def start_heartbeat(sender=None, **kwargs) -> None:
    """Tell the pages a worker is alive, every few seconds, whatever the broker."""
    hostname = getattr(sender, "hostname", None) or socket.gethostname()

    def loop() -> None:
        while not _stop.is_set():
            close_old_connections()
            # A missed beat (database busy) only delays the "alive" sign.
            with contextlib.suppress(Exception):
                jobs.beat(hostname)
                jobs.requeue_orphans(hostname)
            _stop.wait(settings.WORKER_HEARTBEAT_EVERY)

    threading.Thread(target=loop, name="heartbeat", daemon=True).start()
    close_old_connections()
    jobs.requeue_orphans(hostname, starting=True)


@worker_shutdown.connect
def stop_heartbeat(**kwargs) -> None:
    _stop.set()
