"""The likely-errors job spreads its folds over real Celery workers (Redis, two processes).

Slow-ish (~1 min); needs PostgreSQL (or a file SQLite test database) and Redis, like
tests/services/test_worker.py, whose fixtures it uses. Every worker is SIGKILLed when the test ends.
"""

from __future__ import annotations

import pytest

from annotator.models import Job, Membership
from annotator.services import jobs
from tests.conftest import import_files
from tests.services.test_errors import DEMO
from tests.services.test_worker import redis_env, send_to, wait_until_finished, workers  # noqa: F401
from tests.workerutil import REDIS_URL, sender, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(member):
    project = import_files("Errors on workers", DEMO).project
    Membership.objects.create(project=project, user=member, role=Membership.Role.MANAGER)
    return project


def test_two_workers_share_the_folds_and_rank_as_one_process_would(
    redis_db,
    workers,  # noqa: F811 (the fixture imported above)
    send_to,  # noqa: F811
    demo,
    member,
    tmp_path,
    settings,  # noqa: F811
):
    settings.MODEL_ROOT = tmp_path / "models"
    params = {"layer": "imported", "iterations": 20, "folds": 4}
    here = Job.objects.create(kind="likely-errors", user=member, project=demo, params=params)
    jobs.run_job(here.pk)  # in this process: the folds one after another
    here.refresh_from_db()
    assert here.state == Job.State.DONE, here.error

    send_to(sender(REDIS_URL))
    env = {**redis_env(), "MODEL_ROOT": str(tmp_path / "worker-models")}
    first, second = workers.start(env, name="one"), workers.start(env, name="two")
    # Both must be listening before the folds go out, or on a busy machine the first one up
    # takes every fold before the second has connected (which proves nothing about sharing).
    wait_for(lambda: all(" ready." in w.text() for w in (first, second)), 120, "both workers")
    job = jobs.start_job(kind="likely-errors", user=member, project=demo, params=params)
    wait_until_finished(job, workers, 120)
    assert job.state == Job.State.DONE, f"{job.error}\n{workers.logs()}"
    assert job.result["issues"] == here.result["issues"]
    assert job.result["worst_sentences"] == here.result["worst_sentences"]
    for worker in (first, second):  # each ran at least one fold
        assert "annotator.run_likely_errors_fold" in worker.text(), workers.logs()
    assert not list((tmp_path / "worker-models").rglob("fold-*"))  # scratch removed
