"""The task workflow in a real browser: assign, annotate, submit, request changes, approve.

A manager assigns small.conll to two annotators (k=2) on the Assign page; annotator 1 logs in,
starts the next task from My tasks, labels a token with the keyboard, marks the sentence reviewed
(Enter) and submits; a reviewer requests changes with a comment; annotator 1 sees it, starts
again and resubmits; the reviewer previews the approval and approves with "copy into gold"; the
approved layer is then read-only for annotator 1, and the page says so. Screenshots:
test-artifacts/.
"""

from __future__ import annotations

import pytest

from annotator.models import GOLD, Document, Membership, Project, TagChange, Task
from annotator.services import assignment
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import (
    current_class,
    has_class,
    label_key,
    row,
    screenshot,
    sentence,
    sign_in,
    token,
)
from tests.conftest import SMALL, import_files

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "browser-pass-123"
COMMENT = "Please tag worked as a place, it is the office"


@pytest.fixture
def team(django_user_model, transactional_db) -> dict:
    users = {}
    for name in ("manny", "ann1", "ann2", "rex"):
        users[name] = django_user_model.objects.create_user(name, password=PASSWORD)
    project = import_files("Task corpus", SMALL).project
    project.annotators_per_document = 2
    project.save()
    roles = {
        "manny": Membership.Role.MANAGER,
        "ann1": Membership.Role.ANNOTATOR,
        "ann2": Membership.Role.ANNOTATOR,
        "rex": Membership.Role.REVIEWER,
    }
    for name, role in roles.items():
        Membership.objects.create(project=project, user=users[name], role=role)
    users["project"] = project
    users["document"] = project.documents.get()
    return users


def new_page(browser, live_server, user=None):
    context = browser.new_context(base_url=live_server.url)
    if user is not None:
        sign_in(context, live_server.url, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def assign_on_the_page(page, team) -> None:
    project: Project = team["project"]
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("link", name="Assign").click()
    page.wait_for_url(f"**/projects/{project.pk}/assign/")
    expect(page.locator("main")).to_contain_text("k = 2 annotators per document")
    page.get_by_label("Automatically: k annotators per document, balanced").check()
    page.locator("select[name=documents]").select_option(label="small.conll")
    page.locator("select[name=annotators]").select_option(label=["ann1", "ann2"])
    screenshot(page, "tasks-1-assign-form")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".message").first).to_contain_text("Created 2 tasks.")
    rows = page.locator("table.documents tbody tr")
    rows.last.scroll_into_view_if_needed()
    screenshot(page, "tasks-2-assigned")
    expect(rows).to_have_count(2)
    # Columns: document, sentences, annotator, state (rows sorted by annotator).
    expect(rows.locator("td:nth-child(3)")).to_have_text(["ann1", "ann2"])
    expect(rows.locator("td:nth-child(4)")).to_have_text(["Assigned", "Assigned"])


def log_in(page, username: str) -> None:
    page.goto("/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/projects/")


def task_row(page, task: Task):
    return page.locator(f"#task-{task.pk}")


def round_trip(browser, live_server, team, annotator_page) -> None:
    """From assigned tasks to approved work in gold, by annotator 1 and the reviewer."""
    project: Project = team["project"]
    document: Document = team["document"]
    ann1, rex = team["ann1"], team["rex"]
    task = Task.objects.get(document=document, annotator=ann1)
    first = document.sentences.get(position=0).pk
    page = annotator_page

    # Annotator 1: My tasks, then "Start next task".
    log_in(page, "ann1")
    page.get_by_role("link", name=project.name).click()
    page.get_by_role("link", name="My tasks").click()
    page.wait_for_url(f"**/projects/{project.pk}/tasks/")
    expect(task_row(page, task)).to_contain_text("assigned", ignore_case=True)
    expect(task_row(page, task)).to_contain_text("0 / 4")
    screenshot(page, "tasks-3-my-tasks")
    page.get_by_role("button", name="Start next task").click()
    page.wait_for_url(f"**/documents/{document.pk}/?layer=annotator+ann1*")
    page.wait_for_selector("#sentences article.sentence")
    expect(page.locator("#progress")).to_contain_text("Reviewed 0 of 4 sentences in annotator ann1")
    # Neither gold nor the other annotator's layer is offered (blind project).
    options = page.locator("select[name=layer] option").all_inner_texts()
    assert sorted(options) == ["annotator ann1", "imported"], options

    # Select "worked" (token 2 of the first sentence) and press the LOC key.
    token(page, first, 2).click()
    expect(sentence(page, first)).to_have_class(current_class())
    page.keyboard.press(label_key(page, "LOC"))
    expect(sentence(page, first)).to_have_attribute("data-version", "2")
    expect(sentence(page, first).locator(".span[title=LOC]").first).to_contain_text("worked")
    page.keyboard.press("Enter")
    expect(sentence(page, first)).to_have_class(has_class("reviewed"))
    expect(page.locator("#progress")).to_contain_text("Reviewed 1 of 4 sentences")
    screenshot(page, "tasks-4-annotator-edited")
    layer_name = "annotator ann1"
    assert row(document, first, layer_name).tags[2] == "B-LOC"
    task.refresh_from_db()
    assert task.state == Task.State.IN_PROGRESS

    # Back to My tasks: in progress, 1 of 4 reviewed; submit.
    page.goto(f"/projects/{project.pk}/tasks/")
    expect(task_row(page, task)).to_contain_text("in progress", ignore_case=True)
    expect(task_row(page, task)).to_contain_text("1 / 4")
    task_row(page, task).get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert")).to_contain_text("3 of 4 sentences")
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_load_state()
    expect(page.locator(".message").first).to_contain_text("Submitted for review.")
    expect(task_row(page, task)).to_contain_text("submitted", ignore_case=True)
    screenshot(page, "tasks-5-submitted")

    # The reviewer requests changes from the Review queue.
    review = new_page(browser, live_server, rex)
    review.goto(f"/projects/{project.pk}/")
    review.get_by_role("link", name="Review queue").click()
    review.wait_for_url(f"**/projects/{project.pk}/queue/")
    item = review.locator(f"#task-{task.pk}")
    expect(item).to_contain_text("small.conll")
    expect(item).to_contain_text("by ann1")
    expect(item).to_contain_text("1 / 4 reviewed")
    screenshot(review, "tasks-6-review-queue")
    item.get_by_label("What should change").fill(COMMENT)
    item.get_by_role("button", name="Request changes").click()
    review.wait_for_load_state()
    expect(review.locator(".message").first).to_contain_text("Changes requested.")
    expect(review.locator("main")).to_contain_text("Nothing waits for review.")

    # Annotator 1 sees the comment and the state, starts again and resubmits.
    page.goto(f"/projects/{project.pk}/tasks/")
    expect(task_row(page, task)).to_contain_text("changes requested", ignore_case=True)
    expect(task_row(page, task)).to_contain_text(COMMENT)
    screenshot(page, "tasks-7-changes-requested")
    task_row(page, task).get_by_role("button", name="Start").click()
    page.wait_for_url(f"**/documents/{document.pk}/?layer=annotator+ann1*")
    page.wait_for_selector("#sentences article.sentence")
    task.refresh_from_db()
    assert task.state == Task.State.IN_PROGRESS
    page.goto(f"/projects/{project.pk}/tasks/")
    expect(task_row(page, task)).to_contain_text("in progress", ignore_case=True)
    task_row(page, task).get_by_role("button", name="Submit for review").click()
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_load_state()
    expect(task_row(page, task)).to_contain_text("submitted", ignore_case=True)

    # The reviewer previews the approval (htmx, in the queue), then approves into gold.
    review.goto(f"/projects/{project.pk}/queue/")
    item = review.locator(f"#task-{task.pk}")
    item.get_by_role("link", name="Approve…").click()
    preview = "copies 1 sentence into gold; 3 already read the same there"
    expect(item).to_contain_text(preview)
    expect(item).to_contain_text("0 overwrite reviewer work")
    expect(item.get_by_label("copy into gold")).to_be_checked()
    screenshot(review, "tasks-8-approval-preview")
    item.get_by_role("button", name="Approve").click()
    review.wait_for_load_state()
    expect(review.locator(".message").first).to_contain_text(
        "Approved; copied 1 sentence into gold; 3 already read the same there"
    )
    screenshot(review, "tasks-8-approved")

    task.refresh_from_db()
    assert task.state == Task.State.APPROVED
    assert row(document, first, GOLD).tags[2] == "B-LOC"
    assert row(document, first, GOLD).tags == row(document, first, layer_name).tags
    assert TagChange.objects.filter(
        layer__document=document, layer__name=GOLD, user=rex, action=f"approved task {task.pk}"
    ).exists()
    events = list(task.events.order_by("pk").values_list("from_state", "to_state"))
    assert [to for _, to in events if to] == [
        "assigned",
        "in_progress",
        "submitted",
        "changes_requested",
        "in_progress",
        "submitted",
        "approved",
    ]
    # Annotator 1 sees the approval.
    page.goto(f"/projects/{project.pk}/tasks/")
    expect(task_row(page, task)).to_contain_text("approved", ignore_case=True)
    screenshot(page, "tasks-9-annotator-sees-approved")

    # Their layer is read-only now, and the page says so: a banner, a disabled palette, and a
    # key pressed anyway answered with the reason where they look, nothing written.
    read_only = "This task was approved; its layer is read-only."
    page.goto(f"/documents/{document.pk}/?layer=annotator+ann1")
    page.wait_for_selector("#sentences article.sentence")
    expect(page.locator("#read-only")).to_contain_text(read_only)
    expect(page.locator(".palette button").first).to_be_disabled()
    token(page, first, 3).click()
    page.keyboard.press(label_key(page, "LOC"))
    expect(page.locator("#status")).to_contain_text(read_only)
    page.keyboard.press("z")  # undo: refused just the same (issue 12, item 1)
    expect(page.locator("#status")).to_contain_text(read_only)
    screenshot(page, "tasks-10-read-only")
    assert row(document, first, layer_name).tags[2:4] == ["B-LOC", "O"]
    review.context.close()


def test_a_manager_assigns_on_the_page_and_the_work_goes_round_to_gold(
    browser, live_server, page, team
) -> None:
    manager = new_page(browser, live_server, team["manny"])
    assign_on_the_page(manager, team)
    manager.context.close()
    tasks = Task.objects.filter(document=team["document"])
    assert sorted(t.annotator.username for t in tasks) == ["ann1", "ann2"]
    round_trip(browser, live_server, team, page)


def test_the_round_trip_with_tasks_assigned_by_the_service(browser, live_server, page, team):
    """The same story from the annotator's login on, whatever the Assign page does."""
    tasks, short = assignment.auto_assign(
        manager=team["manny"], project=team["project"], documents=[team["document"]]
    )
    assert len(tasks) == 2 and short == []
    round_trip(browser, live_server, team, page)
