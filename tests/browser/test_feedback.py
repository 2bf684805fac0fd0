"""Every refused or failed request says why, in the status region fixed in the viewport.

Problems 2 and 3 of issue 11: an edit on a task submitted meanwhile answered 403 and the page
said nothing; a 409 wrote its message 1,400 px above the sentence being edited. Here the
reviewer works far down a long document, and each refusal must show its reason on screen.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from annotator.models import Document, Membership, Task
from annotator.services import assignment
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import DEMO, label_key, page_tags, project_with, sentence, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

FAR = 30  # a sentence well below the first screen of the demo document


@pytest.fixture
def people(django_user_model, transactional_db) -> dict:
    names = ("rita", "bob", "alice", "manny")
    users = {
        name: django_user_model.objects.create_user(name, password="pw-123456") for name in names
    }
    project = project_with("RNN article", DEMO, users["rita"], users["bob"], role="reviewer")
    Membership.objects.create(project=project, user=users["alice"], role="annotator")
    Membership.objects.create(project=project, user=users["manny"], role="manager")
    users["document"] = project.documents.get()
    return users


def open_page(browser, live_server, user, path: str):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    sign_in(context, live_server.url, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(path)
    return page


def go_to_sentence(page, document: Document, position: int) -> int:
    """Press j until the sentence at `position` is the current one (the page scrolls)."""
    page.wait_for_selector("#sentences article.sentence")
    for _ in range(position + 1):
        page.keyboard.press("j")
    target = document.sentences.get(position=position).pk
    expect(sentence(page, target)).to_have_class(re.compile(r"\bcurrent\b"))
    return target


def status_on_screen(page) -> str:
    """The status region's text, after checking that it is visible inside the viewport."""
    status = page.locator("#status")
    expect(status).to_be_visible()
    expect(status).not_to_have_text("")
    box = status.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    return status.inner_text().strip()


def test_an_edit_refused_after_submitting_says_why_beside_the_work(browser, live_server, people):
    document, alice = people["document"], people["alice"]
    assignment.assign(
        manager=people["manny"], project=document.project, documents=[document], annotators=[alice]
    )
    task = Task.objects.get(annotator=alice)
    work = open_page(browser, live_server, alice, f"/documents/{document.pk}/")
    target = go_to_sentence(work, document, FAR)
    assert work.evaluate("window.scrollY") > 400, "the sentence should be far down the page"
    with work.expect_response(lambda r: "/edit/" in r.url) as first:
        work.keyboard.press(label_key(work, "Algorithm"))
    assert first.value.status == 200

    # The same annotator submits the task in another tab; this tab still shows the old page.
    other = work.context.new_page()
    other.goto(f"/projects/{document.project_id}/tasks/")
    other.get_by_role("button", name="Submit").first.click()
    other.get_by_role("button", name="Submit anyway").click()
    other.wait_for_load_state()
    task.refresh_from_db()
    assert task.state == Task.State.SUBMITTED

    before = page_tags(work, target)
    work.keyboard.press("ArrowRight")
    with work.expect_response(lambda r: "/edit/" in r.url) as refused:
        work.keyboard.press(label_key(work, "Language"))
    assert refused.value.status == 403
    reason = unquote(refused.value.header_value("x-reason") or "")
    assert reason, "the server says why it refused"
    assert status_on_screen(work) == reason
    assert page_tags(work, target) == before
    work.context.close()


def test_a_conflict_says_who_changed_the_sentence_and_shows_it_now(browser, live_server, people):
    document = people["document"]
    rita = open_page(browser, live_server, people["rita"], f"/documents/{document.pk}/")
    bob = open_page(browser, live_server, people["bob"], f"/documents/{document.pk}/")
    target = go_to_sentence(rita, document, FAR)
    go_to_sentence(bob, document, FAR)

    with rita.expect_response(lambda r: "/edit/" in r.url):
        rita.keyboard.press(label_key(rita, "Algorithm"))
    expect(sentence(rita, target)).to_have_attribute("data-version", "2")
    ritas = page_tags(rita, target)

    with bob.expect_response(lambda r: "/edit/" in r.url) as answer:
        bob.keyboard.press(label_key(bob, "Language"))
    assert answer.value.status == 409
    assert (
        status_on_screen(bob)
        == "This sentence was changed by rita since you loaded it; here it is now."
    )
    expect(sentence(bob, target)).to_have_attribute("data-version", "2")
    assert page_tags(bob, target) == ritas
    for page in (rita, bob):
        page.context.close()


def test_a_lost_connection_and_a_server_failure_say_so(browser, live_server, people):
    document = people["document"]
    page = open_page(browser, live_server, people["rita"], f"/documents/{document.pk}/")
    target = go_to_sentence(page, document, FAR)

    page.route("**/edit/", lambda route: route.abort("internetdisconnected"))
    page.keyboard.press(label_key(page, "Algorithm"))
    assert "No answer from the server" in status_on_screen(page)
    page.unroute("**/edit/")

    page.route("**/edit/", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.keyboard.press(label_key(page, "Algorithm"))
    assert "The server failed (error 502)" in status_on_screen(page)
    expect(sentence(page, target)).to_have_attribute("data-version", "1")
    page.context.close()
