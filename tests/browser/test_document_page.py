"""A reviewer's path through a real browser: log in, upload, read the tagged document."""

from __future__ import annotations

import re

import pytest

from annotator.models import Membership, Project
from tests.browser.conftest import CHROMIUM
from tests.conftest import BROKEN, SMALL, row_counts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

PASSWORD = "browser-pass-123"


@pytest.fixture
def empty_project(django_user_model, transactional_db) -> Project:
    user = django_user_model.objects.create_user("rita", password=PASSWORD)
    project = Project.objects.create(name="Browser corpus")
    Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)
    return project


def log_in_and_open(page, project: Project) -> None:
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=project.name).click()
    page.wait_for_url(f"**/projects/{project.pk}/")


def upload(page, path) -> None:
    page.set_input_files("input[name=files]", str(path))
    page.get_by_role("button", name="Import").click()


def test_a_member_logs_in_and_uploads_a_file_and_sees_the_counts(page, empty_project):
    log_in_and_open(page, empty_project)

    upload(page, SMALL)

    notice = page.get_by_role("status")
    notice.wait_for()
    text = " ".join(notice.inner_text().split())
    assert "Imported 1 document, 4 sentences, 26 tokens." in text
    assert "New labels: Algorithm, Device, LOC, PER." in text
    # htmx swapped the project body in place: no navigation to the upload URL.
    assert page.url.endswith(f"/projects/{empty_project.pk}/")
    assert page.get_by_role("link", name="small.conll").is_visible()
    assert "1 document · 4 sentences · 26 tokens" in page.inner_text("main")


def test_the_document_shows_entity_spans_and_the_bio_tags_on_request(page, empty_project):
    log_in_and_open(page, empty_project)
    upload(page, SMALL)
    page.get_by_role("status").wait_for()

    page.get_by_role("link", name="small.conll").click()

    page.wait_for_selector("article.sentence")
    people = page.locator("#sentences .span[title=PER]")
    assert people.count() == 2
    first = people.first.inner_text()
    assert "Alan" in first and "Turing" in first and "PER" in first
    place = page.locator("#sentences .span[title=LOC]").first
    assert "New York" in place.inner_text()
    assert place.locator(".label").inner_text() == "LOC"
    tag = page.locator("#sentences .token .tag").first
    assert tag.is_hidden()

    page.get_by_label("Show BIO tags").check()

    page.wait_for_url(re.compile(r"raw=1"))
    tag = page.locator("#sentences .token .tag").first
    tag.wait_for(state="visible")
    assert tag.inner_text() == "B-PER"
    assert page.get_by_label("Show BIO tags").is_checked()
    flagged = page.locator("#sentences .token.invalid")
    assert flagged.count() == 1
    assert flagged.locator(".tag").inner_text() == "I-Device"


def test_a_broken_upload_shows_the_file_name_and_line_and_imports_nothing(page, empty_project):
    log_in_and_open(page, empty_project)
    before = row_counts()

    upload(page, BROKEN)

    alert = page.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "Nothing was imported" in text
    assert "broken.conll, line 8" in text
    assert "No documents yet." in page.inner_text("main")
    assert row_counts() == before
