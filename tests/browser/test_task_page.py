"""An annotator's task page keeps up with the work, and Submit asks when work is unreviewed.

Issue 11, problem 5 (after "Start next task" the page stayed "Assigned" with no Submit button
until a reload) and problem 9 (Submit accepted a task with 13 of 50 sentences reviewed, with
no warning).
"""

from __future__ import annotations

import pytest

from annotator.models import Membership, Task
from annotator.services import assignment
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import label_key, project_with, sentence, sign_in, token
from tests.conftest import SMALL

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def task(django_user_model, transactional_db) -> Task:
    manny = django_user_model.objects.create_user("manny", password="pw-123456")
    ann = django_user_model.objects.create_user("ann", password="pw-123456")
    project = project_with("Small corpus", SMALL, manny)
    Membership.objects.create(project=project, user=ann, role=Membership.Role.ANNOTATOR)
    assignment.assign(
        manager=manny, project=project, documents=[project.documents.get()], annotators=[ann]
    )
    return Task.objects.get(annotator=ann)


def test_the_task_banner_follows_the_work_and_submit_asks_about_unreviewed_sentences(
    browser, live_server, task
):
    context = browser.new_context(base_url=live_server.url)
    sign_in(context, live_server.url, task.annotator)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/projects/{task.project_id}/tasks/")
    page.get_by_role("button", name="Start next task").click()
    page.wait_for_selector("#sentences article.sentence")
    banner = page.locator(f"#task-{task.pk}")
    expect(banner).to_contain_text("Assigned")
    expect(banner.get_by_role("button", name="Submit for review")).to_have_count(0)

    first = task.document.sentences.get(position=0).pk
    token(page, first, 2).click()
    page.keyboard.press(label_key(page, "LOC"))
    expect(sentence(page, first)).to_have_attribute("data-version", "2")
    expect(banner).to_contain_text("In progress")
    expect(banner.get_by_role("button", name="Submit for review")).to_be_visible()
    page.keyboard.press("Enter")
    expect(banner).to_contain_text("1 of 4 marked reviewed")

    banner.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert")).to_contain_text("3 of 4 sentences")
    expect(page.get_by_role("alert")).to_contain_text("not marked reviewed")
    task.refresh_from_db()
    assert task.state == Task.State.IN_PROGRESS

    page.get_by_role("link", name="Keep working").click()
    page.wait_for_selector("#sentences article.sentence")
    banner.get_by_role("button", name="Submit for review").click()
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(f"**/projects/{task.project_id}/tasks/")
    expect(page.locator(f"#task-{task.pk}")).to_contain_text("Submitted")
    task.refresh_from_db()
    assert task.state == Task.State.SUBMITTED
    context.close()
