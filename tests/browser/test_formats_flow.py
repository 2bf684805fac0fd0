"""A doccano export with two annotators' spans, imported in the browser and measured.

The manager uploads doccano's per-member export (a zip of alice.jsonl and bob.jsonl, as a
doccano 1.x project without collaborative annotation exports it) through the project page; a
reviewer, in a browser of their own, computes agreement on the two layers the import created,
with the job run by a real Celery worker (as in test_models_flow.py: Redis, the test database;
skipped on in-memory SQLite), and opens the report from the finished job.
"""

from __future__ import annotations

import pytest

from annotator.models import Membership, Project
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import sign_in
from tests.nlp.test_formats import DATA, doccano_zip
from tests.workerutil import live_server_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

JOB_TIMEOUT = 90_000  # ms: worker start-up on a busy machine
LAYERS = ["doccano: alice", "doccano: bob"]


@pytest.fixture
def worker(redis_db, worker_db_url, tmp_path, monkeypatch):
    """A real worker on Redis; the live server's start_job queues to it. Killed at the end."""
    with live_server_worker("formats", worker_db_url, tmp_path, monkeypatch) as process:
        yield process


@pytest.fixture
def people(django_user_model, transactional_db):
    manager = django_user_model.objects.create_user("mona", password="browser-pass-123")
    reviewer = django_user_model.objects.create_user("rita", password="browser-pass-123")
    project = Project.objects.create(name="From doccano")
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    return project, manager, reviewer


def open_as(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url)
    sign_in(context, live_server.url, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_doccano_export_of_two_annotators_is_imported_and_their_agreement_measured(
    browser, live_server, worker, people
):
    project, manager, reviewer = people
    members = sorted((DATA / "doccano-members").glob("*.jsonl"))
    export = doccano_zip(*((p.name, p.read_bytes()) for p in members))
    contexts = []
    try:
        # --- the manager imports doccano's export through the upload form ---
        context, page = open_as(browser, live_server, manager)
        contexts.append(context)
        page.goto(f"/projects/{project.pk}/")
        upload = page.locator("#upload")
        expect(upload.locator("select[name=format] option")).to_have_count(7)  # auto + 6
        upload.locator("input[name=files]").set_input_files(
            files=[{"name": "project.zip", "mimeType": "application/zip", "buffer": export}]
        )
        upload.get_by_role("button", name="Import").click()
        notice = page.locator(".notice.ok")
        expect(notice).to_contain_text("Imported 1 document, 2 sentences")
        expect(notice).to_contain_text("One layer per annotator: doccano: alice, doccano: bob.")
        expect(page.locator("table.documents")).to_contain_text("project.zip")

        # --- a reviewer computes agreement on the two layers ---
        context, page = open_as(browser, live_server, reviewer)
        contexts.append(context)
        page.goto(f"/projects/{project.pk}/")
        page.get_by_role("link", name="Agreement").click()
        expect(page.locator("p", has_text="No agreement report yet.")).to_be_visible()
        for name in LAYERS:
            page.get_by_role("checkbox", name=name).check()
        page.get_by_role("button", name="Compute (a job)").click()
        # A quick worker may finish before the page answers: the page then shows the report
        # itself; otherwise the job's row turns done (polled, no reload) and links to it.
        report = page.locator("#report h2")
        done = page.locator(".job .state.done")
        expect(report.or_(done).first).to_be_visible(timeout=JOB_TIMEOUT)
        if not report.is_visible():
            row = page.locator(".job").first
            expect(row).to_contain_text("Agreement of 2 layers measured.")
            row.get_by_role("link", name="Open the report").click()

        # --- the report: the two annotators, and what they agree on ---
        expect(page.locator("#report h2")).to_have_text("Agreement of doccano: alice, doccano: bob")
        heatmap = page.locator("table[aria-label='Pairwise agreement']")
        expect(heatmap.locator("thead th")).to_have_text(["", *LAYERS])
        # alice marked 5 spans, bob 4; they share 3 exactly: F1 = 2 * 3 / (5 + 4).
        expect(page.locator("#report")).to_contain_text(f"exact-span F1 {2 * 3 / 9:.3f}")
        confusion = page.locator("table[aria-label='Confusion matrix']")
        expect(confusion.locator("thead th")).to_have_text(
            ["", "O", "Dataset", "Library", "Person", "all"]
        )
    finally:
        for context in contexts:
            context.close()
