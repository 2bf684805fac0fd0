"""Shared fixtures: users, a project holding the small sample file, logged-in clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from annotator.models import Membership
from annotator.services.corpus import import_conll
from annotator.services.labels import ADD, NewLabels
from tests.paths import ROOT

# Timing is measured by benchmarks, never by tests: a property test on a busy 2-core CI machine
# must not fail because one example took longer than Hypothesis's default 200 ms.
hypothesis_settings.register_profile(
    "annotator", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("annotator")

DATA = ROOT / "tests" / "data" / "web"
SMALL = DATA / "small.conll"
BROKEN = DATA / "broken.conll"
MARKUP = DATA / "markup.conll"


def row_counts() -> dict[str, int]:
    """Rows of every model of the app and of auth, to show that a failed import wrote nothing."""
    models = [*apps.get_app_config("annotator").get_models(), get_user_model()]
    return {model.__name__: model.objects.count() for model in models}


def import_files(project_name: str, *paths: Path):
    """Import files the way the upload view does, keeping each file's own name; labels the
    project lacks are added (the answer "add them" to the upload's question)."""
    streams = [(path.name, path.open("rb")) for path in paths]
    try:
        return import_conll(project_name=project_name, files=streams, new_labels=NewLabels(ADD))
    finally:
        for _, stream in streams:
            stream.close()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are created in most tests; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def isolated_cache(settings, tmp_path):
    """Job progress, cancel flags and throttle counts in a cache of this test only, so that
    neither another test nor a job of the same id in an earlier test database is seen."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{tmp_path.name}",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def loopback_model_servers(settings):
    """The administrator allows model servers on loopback (tests/services/test_remote.py tests
    the list), unless a test says otherwise."""
    settings.REMOTE_MODEL_HOSTS = ["127.0.0.1"]


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("mia", password="member-pass-123")


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("olaf", password="outsider-pass-123")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("sue", password="super-pass-123")


@pytest.fixture
def project(member):
    """A project holding small.conll, with `member` as its manager."""
    summary = import_files("Small corpus", SMALL)
    Membership.objects.create(project=summary.project, user=member, role=Membership.Role.MANAGER)
    return summary.project


@pytest.fixture
def document(project):
    return project.documents.get()


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(outsider) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


# Real-worker tests (tests/services/test_worker.py, tests/browser/test_models_flow.py).


@pytest.fixture
def worker_db_url(transactional_db) -> str:
    """The test database as a DATABASE_URL for a worker process; skips on in-memory SQLite."""
    from tests.workerutil import worker_database_url

    return worker_database_url()


@pytest.fixture
def redis_db(worker_db_url):
    """The worker tests' Redis database, flushed before and after; skips without Redis."""
    from tests.workerutil import REDIS_URL

    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
