"""A manager downloads a large project through an export job, with a real Celery worker; and a
job started while the job queue is unreachable starts by itself once it is back.

The worker is a `celery worker --pool=solo` subprocess (as in test_models_flow.py), so this
needs PostgreSQL (or a file SQLite test database); with pytest-django's in-memory SQLite it is
skipped. Workers and the private redis-server are stopped when the test ends.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from annotator.models import Job, Membership
from annotator.services import corpus, jobs
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import sign_in
from tests.conftest import SMALL, import_files
from tests.services.test_worker import RedisServer
from tests.workerutil import REDIS_URL, TASK_NAME, Worker, job_worker_env, sender, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

JOB_TIMEOUT = 90_000  # ms


def worker_env(worker_db_url: str, redis_url: str, media: Path) -> dict[str, str]:
    return job_worker_env(worker_db_url, redis_url, MEDIA_ROOT=str(media), JOB_SEND_GRACE="1")


@pytest.fixture
def manager(django_user_model, transactional_db):
    return django_user_model.objects.create_user("mona", password="browser-pass-123")


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """One MEDIA_ROOT for the live server (this process) and the worker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_manager_downloads_a_large_project_through_an_export_job(
    page, live_server, redis_db, worker_db_url, manager, media, settings, tmp_path, monkeypatch
):
    from annotator import tasks

    settings.EXPORT_JOB_DOCUMENTS = 2
    project = import_files("Three documents", SMALL, SMALL, SMALL).project
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    app = sender(REDIS_URL)
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))
    worker = Worker(worker_env(worker_db_url, REDIS_URL, media), tmp_path / "worker.log")
    try:
        wait_for(jobs.workers_alive, 60, "the worker's heartbeat", 0.2)
        sign_in(page.context, live_server.url, manager)
        page.goto(f"/projects/{project.pk}/")
        expect(page.get_by_role("link", name="Download all as one CoNLL file")).to_have_count(0)
        page.get_by_role("button", name="Prepare the download (a job)").click()
        expect(page.get_by_text("The download is being prepared")).to_be_visible()
        job = Job.objects.get(kind="export")
        row = page.locator(f"#job-{job.pk}")
        link = row.get_by_role("link", name="Download Three_documents.conll")
        expect(link).to_be_visible(timeout=JOB_TIMEOUT)  # no reload: htmx polled the row
        job.refresh_from_db()
        expect(row).to_contain_text(job.result["sha256"])
        with page.expect_download() as info:
            link.click()
        data = Path(info.value.path()).read_bytes()
    finally:
        worker.kill()
    assert data == b"".join(corpus.export_project(project))
    assert hashlib.sha256(data).hexdigest() == job.result["sha256"]


def test_a_job_started_while_the_queue_is_down_starts_by_itself_when_it_is_back(
    page, live_server, worker_db_url, manager, media, tmp_path, monkeypatch
):
    """Redis is down when the manager starts a job: the page says so; Redis comes back, and
    the same page shows the job done, without a reload or a second click."""
    import shutil

    from annotator import tasks

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    project = import_files("Outage corpus", SMALL).project
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    redis_server = RedisServer(tmp_path / "redis")
    app = sender(redis_server.url)
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))
    worker = None
    try:
        sign_in(page.context, live_server.url, manager)
        page.goto(f"/projects/{project.pk}/jobs/")
        gazetteer = page.locator("form", has=page.locator("input[name=kind][value=gazetteer]"))
        gazetteer.locator("select[name=source]").select_option("imported")
        gazetteer.get_by_role("button", name="Start").click()
        job = Job.objects.get(kind="gazetteer")
        row = page.locator(f"#job-{job.pk}")
        expect(row).to_contain_text("the job queue is unreachable")
        redis_server.start()
        worker = Worker(worker_env(worker_db_url, redis_server.url, media), tmp_path / "w.log")
        expect(row.locator(".state")).to_have_text("Done", timeout=JOB_TIMEOUT)
    finally:
        if worker:
            worker.kill()
        redis_server.stop()
    job.refresh_from_db()
    assert job.attempts == 1
    assert project.documents.get().layers.filter(name=job.result["layer"]).count() == 1
