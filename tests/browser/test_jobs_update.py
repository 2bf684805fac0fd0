"""Pages show a job's output when the job ends, without a reload (issue 11, problem 5).

The jobs run in a real Celery worker (tests/browser/test_models_flow.py's fixture: Redis, the
test database; skipped where no worker can share it). The reviewer and the manager only watch
their page: "No agreement report yet" must turn into the report, an upload that went to a job
must turn into a row of the documents table.
"""

from __future__ import annotations

import re
import shutil

import pytest

from annotator.models import Membership
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import project_with, sign_in
from tests.browser.test_models_flow import JOB_TIMEOUT, worker  # noqa: F401 (a fixture)
from tests.conftest import SMALL
from tests.services.test_agreement_report import LAYERS, build_corpus
from tests.workerutil import write_conll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect


def open_page(browser, live_server, user, path: str):
    context = browser.new_context(base_url=live_server.url)
    sign_in(context, live_server.url, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(path)
    return page


def test_the_agreement_report_appears_when_its_job_ends(browser, live_server, worker):  # noqa: F811
    corpus = build_corpus("Agreement while you wait")
    page = open_page(
        browser, live_server, corpus.reviewer, f"/projects/{corpus.project.pk}/agreement/"
    )
    expect(page.locator("main")).to_contain_text("No agreement report yet")
    page.get_by_role("button", name="Compute (a job)").click()
    page.wait_for_load_state()
    page.evaluate("window.stillTheSamePage = true")

    heading = page.get_by_role("heading", name=f"Agreement of {', '.join(LAYERS)}")
    expect(heading).to_be_visible(timeout=JOB_TIMEOUT)
    expect(page.locator("table[aria-label='Pairwise agreement']")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    page.context.close()


def test_a_large_upload_appears_in_the_documents_when_its_job_ends(
    browser,
    live_server,
    worker,  # noqa: F811
    settings,
    django_user_model,
    tmp_path,
):
    settings.IMPORT_JOB_THRESHOLD = 10  # bytes: every upload goes to the worker
    manager = django_user_model.objects.create_user("mona", password="pw-123456")
    project = project_with("Uploads", SMALL, manager, role=Membership.Role.MANAGER)
    copy = tmp_path / "second.conll"
    shutil.copy(SMALL, copy)
    page = open_page(browser, live_server, manager, f"/projects/{project.pk}/")
    page.evaluate("window.stillTheSamePage = true")
    page.set_input_files("input[name=files]", str(copy))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("main")).to_contain_text("a worker imports it")

    documents = page.locator(f"#documents-{project.pk}")
    expect(documents.get_by_role("link", name="second.conll")).to_be_visible(timeout=JOB_TIMEOUT)
    expect(page.locator(f"#project-counts-{project.pk}")).to_contain_text("2 documents")
    assert page.evaluate("window.stillTheSamePage") is True
    # A job of a few seconds says so (problem 12: it read "(0 minutes)").
    outcome = page.locator(".job").first
    expect(outcome).to_contain_text(re.compile(r"\(took (under 1 s|\d+ s)\)"))
    page.context.close()


def test_an_upload_shows_its_progress_and_cannot_be_sent_twice(
    browser, live_server, django_user_model, tmp_path
):
    manager = django_user_model.objects.create_user("mona", password="pw-123456")
    project = project_with("Uploads", SMALL, manager, role=Membership.Role.MANAGER)
    big = write_conll(tmp_path / "big.conll", 120_000)  # about 1.3 MB, PER spans only
    page = open_page(browser, live_server, manager, f"/projects/{project.pk}/")
    # A slow line: about 300 KB/s up, so the upload takes a few seconds.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    conditions = {"offline": False, "latency": 20, "downloadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", {**conditions, "uploadThroughput": 300_000})
    page.set_input_files("input[name=files]", str(big))
    button = page.get_by_role("button", name="Import")
    button.click()

    expect(button).to_be_disabled()
    expect(page.locator(".upload-progress-text")).to_contain_text(
        re.compile(r"Sending [\d.]+ of 1\.\d MB")
    )
    expect(page.locator("progress.upload-progress")).to_be_visible()
    button.click(force=True)  # a second click while sending does nothing
    expect(page.get_by_role("status").filter(has_text="Imported")).to_contain_text(
        "Imported 1 document", timeout=60_000
    )
    assert project.documents.filter(name="big.conll").count() == 1
    expect(page.get_by_role("button", name="Import")).to_be_enabled()
    page.context.close()
