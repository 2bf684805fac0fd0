"""scripts/api_workflow.py (the README's "Script it") against a live server.

The server's jobs run at once in the request that queues them (no worker process here);
CI runs the same script against the production server with a real worker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from annotator.models import Document
from annotator.services import jobs
from tests.api.conftest import SAMPLE, token_key
from tests.conftest import BROKEN

pytestmark = pytest.mark.django_db(transaction=True)
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "api_workflow.py"


@pytest.fixture
def worker_in_the_request(monkeypatch):
    from annotator import tasks

    monkeypatch.setattr(tasks.run_job, "delay", jobs.run_job)


def run_script(live_server, key: str, project: int, source: Path, out: Path):
    return subprocess.run(  # noqa: S603 - our own script, with arguments we chose
        [sys.executable, str(SCRIPT), live_server.url, key, str(project), str(source), str(out)]
        + ["--new-labels", "add"],  # the sample has labels the team's project lacks
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def columns(path: Path, index: int) -> list[str]:
    return [
        line.split("\t")[index] if "\t" in line else line
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_the_script_uploads_pre_annotates_waits_and_downloads(
    live_server, team, tmp_path, worker_in_the_request
):
    out = tmp_path / "out.conll"
    done = run_script(live_server, token_key(team.manager), team.project.pk, SAMPLE, out)
    assert done.returncode == 0, done.stderr
    assert "suggestions: gazetteer at " in done.stdout
    assert columns(out, 0) == columns(SAMPLE, 0)  # the same tokens, lines and markers
    assert columns(out, -1) != columns(SAMPLE, -1)  # tagged by the gazetteer, not copied
    assert Document.objects.filter(project=team.project, name=SAMPLE.name).count() == 1


def test_a_large_file_goes_through_an_import_job(
    live_server, team, tmp_path, worker_in_the_request, settings
):
    settings.IMPORT_JOB_THRESHOLD = 100
    out = tmp_path / "out.conll"
    done = run_script(live_server, token_key(team.manager), team.project.pk, SAMPLE, out)
    assert done.returncode == 0, done.stderr
    assert "job" in done.stderr and columns(out, 0) == columns(SAMPLE, 0)


def test_the_script_fails_clearly_on_a_broken_file(live_server, team, tmp_path):
    done = run_script(live_server, token_key(team.manager), team.project.pk, BROKEN, tmp_path / "o")
    assert done.returncode == 1
    assert "HTTP 422" in done.stderr and "broken.conll, line 8: malformed tag" in done.stderr


def test_the_script_fails_clearly_without_the_right_to_upload(live_server, team, tmp_path):
    done = run_script(
        live_server, token_key(team.reviewer), team.project.pk, SAMPLE, tmp_path / "o"
    )
    assert done.returncode == 1
    assert "HTTP 403: Your role in this project does not allow this." in done.stderr
    done = run_script(live_server, "not-a-token", team.project.pk, SAMPLE, tmp_path / "o")
    assert done.returncode == 1 and "HTTP 401: Invalid token." in done.stderr
