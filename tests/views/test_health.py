"""/health/: what a container health check or a load balancer sees."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from annotator.models import WorkerHeartbeat
from annotator.services import jobs
from tests.workerutil import filesystem_options

pytestmark = pytest.mark.django_db
URL = "/health/"


def closed_port() -> int:
    """A local port nothing listens on: bound once, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_url_is_health() -> None:
    assert reverse("annotator-health") == URL


def test_a_healthy_app_answers_200_without_a_login() -> None:
    response = Client().get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
        "workers": 0,
    }


def test_the_answer_is_never_cached() -> None:
    response = Client().get(URL)
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_it_answers_head_and_refuses_post() -> None:
    assert Client().head(URL).status_code == 200
    assert Client().post(URL).status_code == 405


def test_a_redis_broker_that_does_not_answer_gives_503_naming_the_broker() -> None:
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0"):
        response = Client().get(URL)
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "broker": "error",
        "cache": "ok",
        "workers": 0,
    }


def test_a_filesystem_broker_folder_that_cannot_be_written_gives_503(tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the queue folder should be")
    options = filesystem_options(blocker)
    with override_settings(
        CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=options
    ):
        response = Client().get(URL)
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_a_writable_filesystem_broker_folder_is_ok(tmp_path) -> None:
    options = filesystem_options(tmp_path / "celery")
    with override_settings(
        CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=options
    ):
        response = Client().get(URL)
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_a_cache_that_does_not_answer_gives_503_naming_the_cache() -> None:
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    with override_settings(CACHES=caches):
        response = Client().get(URL)
    assert response.status_code == 503
    assert response.json()["cache"] == "error"
    assert response.json()["database"] == "ok"


def test_a_failure_never_shows_the_broker_address_or_password() -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{closed_port()}/0"
    with override_settings(CELERY_BROKER_URL=url):
        response = Client().get(URL)
    text = response.content.decode()
    assert response.status_code == 503
    for secret in ("hunter2", "127.0.0.1", "redis://", "Error", "Traceback"):
        assert secret not in text


def test_workers_counts_those_that_reached_the_broker_at_their_last_beat() -> None:
    jobs.beat("fine@host")
    jobs.beat("cut-off@host", reaches_broker=False)
    response = Client().get(URL)
    assert response.status_code == 200
    assert response.json()["workers"] == 1


def test_no_worker_reaching_the_broker_shows_as_zero_workers_beside_an_ok_status() -> None:
    """A web process without workers still serves pages: the load balancer keeps it, and a
    monitor sees workers == 0."""
    jobs.beat("cut-off@host", reaches_broker=False)
    WorkerHeartbeat.objects.create(
        hostname="gone@host",
        seen_at=timezone.now() - timedelta(seconds=settings.WORKER_ALIVE_WITHIN + 30),
    )
    body = Client().get(URL).json()
    assert body["status"] == "ok"
    assert body["workers"] == 0
