"""Redis down: pages that need no broker keep working, and what needs it says so in words.

The cache is the production one (settings.redis_cache), pointed at a local port where nothing
listens, so every cache call meets a real refused connection. /health/ still answers 503.
"""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator import settings as project_settings
from annotator.models import Job
from tests.workerutil import TASK_NAME, sender

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings, monkeypatch):
    """Cache and broker both at a Redis address where nothing listens."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {"default": project_settings.redis_cache(url)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from annotator import tasks

    app = sender(url)
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: app.send_task(TASK_NAME, [job_id]))
    return url


def test_logging_in_and_browsing_work_while_redis_is_down(redis_down, project, member):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "mia", "password": "member-pass-123"}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    for url in (
        reverse("annotator-project-list"),
        reverse("annotator-project-jobs", args=[project.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Small corpus" in page.content.decode()


def test_a_token_client_is_served_while_the_rate_limit_counter_is_unreachable(
    redis_down, project, member
):
    """The rate limit fails open: refusing every script while Redis is down would be worse."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member).key}")
    for _ in range(3):
        response = client.get("/api/v1/projects/")
        assert response.status_code == 200
        assert response.json()["results"][0]["name"] == "Small corpus"


def test_starting_a_job_while_redis_is_down_saves_it_and_says_the_queue_is_unreachable(
    redis_down, member_client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("annotator-preannotate", args=[project.pk]), {"kind": "gazetteer"}, follow=True
        )
    assert response.status_code == 200
    assert "the job queue is unreachable" in response.content.decode()
    assert Job.objects.get().state == Job.State.QUEUED


def test_health_still_says_the_cache_and_broker_are_down(redis_down, settings):
    settings.CELERY_BROKER_URL = redis_down
    response = Client().get("/health/")
    assert response.status_code == 503
    assert (response.json()["cache"], response.json()["broker"]) == ("error", "error")


def test_the_degrading_cache_misses_and_drops_writes_while_redis_is_down(redis_down):
    cache.set("k", "v")
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", "v") is False
    assert cache.get_many(["k"]) == {}


def test_the_degrading_cache_works_normally_with_redis_up(settings):
    url = project_settings.REDIS_URL
    if not url:
        pytest.skip("no REDIS_URL: the Redis cache is not in use")
    settings.CACHES = {"default": project_settings.redis_cache(url)}
    cache.set("test-redis-down:k", "v", 30)
    try:
        assert cache.get("test-redis-down:k") == "v"
    finally:
        cache.delete("test-redis-down:k")


def test_a_cancel_reaches_a_running_job_through_its_row_while_the_cache_is_down(
    redis_down, project, member
):
    from annotator.services import jobs

    job = Job.objects.create(kind="import", project=project, user=member, state="running")
    jobs.cancel_job(job)  # the cache drops the flag: Redis is down
    progress = jobs.Progress(job.pk)
    progress(1, 10, "Reading")  # asked the row a moment ago: not yet again
    progress.last -= 10  # some seconds later
    progress.last_asked -= 10
    with pytest.raises(jobs.Cancelled):
        progress(2, 10, "Reading")
