"""API fixtures: a project with people in every role, token and session clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator.models import Membership, Project, Task
from annotator.services import assignment
from tests.conftest import SMALL, import_files
from tests.paths import DEMO_SAMPLE

# The sample the project ships (the demo imports it), so the tests need nothing from outside.
SAMPLE = DEMO_SAMPLE


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path, isolated_cache):
    """Uploads under tmp_path (and throttle counts and job progress in a cache of this test
    only)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Job ids the services queued for a worker; nothing reaches a broker."""
    from annotator import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)
    return sent


@dataclass
class Team:
    project: Project
    manager: object
    reviewer: object
    annotator: object
    idle: object  # an annotator without a task
    outsider: object
    task: Task

    @property
    def document(self):
        return self.project.documents.get(position=0)

    @property
    def other_document(self):
        return self.project.documents.get(position=1)


@pytest.fixture
def team(django_user_model) -> Team:
    """A blind project of two documents (small.conll twice); `annotator` has a task on the first."""
    project = import_files("API corpus", SMALL, SMALL).project
    users = {}
    for name, role in [
        ("manny", Membership.Role.MANAGER),
        ("rex", Membership.Role.REVIEWER),
        ("ann", Membership.Role.ANNOTATOR),
        ("idle", Membership.Role.ANNOTATOR),
    ]:
        users[name] = django_user_model.objects.create_user(name, password="pw-123456")
        Membership.objects.create(project=project, user=users[name], role=role)
    outsider = django_user_model.objects.create_user("olaf", password="pw-123456")
    first = project.documents.get(position=0)
    (task,) = assignment.assign(
        manager=users["manny"], project=project, documents=[first], annotators=[users["ann"]]
    )
    return Team(project, users["manny"], users["rex"], users["ann"], users["idle"], outsider, task)


def token_key(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key(user)}")
    return client


def session_client(user) -> APIClient:
    """A browser's client: logged in, and DRF's CSRF check enforced as in production."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def api(team):
    """api("manager") -> a token client for that member of the team."""
    clients = {}

    def client_for(role: str) -> APIClient:
        if role not in clients:
            clients[role] = token_client(getattr(team, role))
        return clients[role]

    return client_for
