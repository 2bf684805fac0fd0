"""Helpers for the job tests: generated CoNLL files, and real Celery workers in subprocesses.

This module is also a Celery app module for a worker on the filesystem transport with its own
folders (`celery -A tests.workerutil worker`, with ANNOTATOR_TEST_QUEUE_FOLDER set), so a test
worker never shares var/celery or var/cache with a developer's `make run`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
QUEUE_FOLDER_ENV = "ANNOTATOR_TEST_QUEUE_FOLDER"
TASK_NAME = "annotator.run_job"


def write_conll(path: Path, tokens: int, sentence_length: int = 10) -> Path:
    """A valid IOB2 file of about `tokens` tokens: one PER span in each sentence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sentences = max(1, tokens // sentence_length)
    body = ["Ada\tB-PER", "Lovelace\tI-PER"] + [f"word{i}\tO" for i in range(sentence_length - 2)]
    block = "\n".join(body) + "\n\n"
    with path.open("w", encoding="utf-8") as out:
        for _ in range(sentences):
            out.write(block)
    return path


def filesystem_options(folder: Path) -> dict:
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def sender(broker_url: str, folder: Path | None = None):
    """A Celery app of the test process that sends to the test worker's broker only."""
    from celery import Celery

    app = Celery("annotator-test-sender", broker=broker_url, set_as_current=False)
    app.conf.task_ignore_result = True
    if folder is not None:
        options = filesystem_options(folder)
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = options
    return app


class Worker:
    """A `celery worker --pool=solo` subprocess; always stop it (kill) when done."""

    def __init__(self, env: dict[str, str], log: Path, *, app: str = "annotator.celery", name="w"):
        self.log = log
        self.output = log.open("ab")
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@%h",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, like the OOM killer or a pulled plug: no shutdown handlers run."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.output.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    """Poll `check` until it returns something true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def _configure_isolated_worker_app():
    """In a worker subprocess only: the annotator app on queue and cache folders of its own."""
    folder = Path(os.environ[QUEUE_FOLDER_ENV])
    from django.conf import settings

    from annotator.celery import app as annotator_app

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(folder / "cache"),
        }
    }
    annotator_app.conf.broker_url = "filesystem://"
    annotator_app.conf.broker_transport_options = filesystem_options(folder)
    return annotator_app


if os.environ.get(QUEUE_FOLDER_ENV):
    app = _configure_isolated_worker_app()


# A Redis database of the worker tests' own (flushed before and after each test).
REDIS_URL = os.environ.get("TEST_WORKER_REDIS_URL", "redis://127.0.0.1:6379/14")


def worker_database_url() -> str:  # skips the test where no worker can share the DB
    """The test database, as a DATABASE_URL for the worker process."""
    import pytest  # here: worker processes import this module too
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(settings["USER"] or "", safe="")
        password = quote(settings["PASSWORD"] or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings["HOST"] or "localhost"
        port = f":{settings['PORT']}" if settings["PORT"] else ""
        return f"postgres://{auth}{host}{port}/{settings['NAME']}"
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(settings["NAME"]):
            pytest.skip(
                "the SQLite test database is in memory, so a worker process cannot see it; "
                "run with DATABASE_URL=postgres://... or TEST_DATABASE_NAME=/tmp/test.sqlite3"
            )
        return f"sqlite:///{settings['NAME']}"
    pytest.skip(f"no worker test setup for {connection.vendor}")


def job_worker_env(db_url: str, redis_url: str = REDIS_URL, **extra_env: str) -> dict[str, str]:
    """The environment of a real worker on Redis and the test database; extra_env: settings of
    the worker's own, such as MODEL_ROOT."""
    dropped = {"REDIS_URL", "CELERY_VISIBILITY_TIMEOUT", QUEUE_FOLDER_ENV, *extra_env}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="annotator.settings",
        CELERY_TASK_ALWAYS_EAGER="0",
        DB_CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
        REDIS_URL=redis_url,
        WORKER_HEARTBEAT_EVERY="1",
        **extra_env,
    )
    return env


@contextlib.contextmanager
def live_server_worker(name: str, db_url: str, folder: Path, monkeypatch, **extra_env: str):
    """A real worker on Redis that the live server's start_job queues to (the live server runs
    in the test process, so its on-commit `delay` is pointed at the worker's broker); it is
    killed when the block ends."""
    from annotator import tasks
    from annotator.services import jobs

    app = sender(REDIS_URL)
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))
    process = Worker(job_worker_env(db_url, **extra_env), folder / f"worker-{name}.log", name=name)
    try:
        wait_for(jobs.workers_alive, 60, "the worker's heartbeat", 0.2)
        yield process
    finally:
        process.kill()
