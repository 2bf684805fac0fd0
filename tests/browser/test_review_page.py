"""The review page as a reviewer moves around it: Back, scrolling, and the label keys.

Issue 11, problems 1 (Back showed old tags at an old version, the next key got 409), 4 (the
current sentence scrolled under the sticky palette) and 11 (a label key on one token inside a
span shrank the span to that token).
"""

from __future__ import annotations

import re

import pytest

from annotator.models import IMPORTED, Document, SentenceTags
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import (
    DEMO,
    gold_tags,
    label_key,
    page_tags,
    project_with,
    sentence,
    sign_in,
    token,
    wait_until,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

CURRENT = re.compile(r"\bcurrent\b")


@pytest.fixture
def demo(django_user_model, transactional_db) -> Document:
    rita = django_user_model.objects.create_user("rita", password="pw-123456")
    return project_with("RNN article", DEMO, rita, role="reviewer").documents.get()


@pytest.fixture
def reviewer_page(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    sign_in(context, live_server.url, demo.project.membership_set.get().user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def open_document(page, document: Document, query: str = "") -> None:
    page.goto(f"/documents/{document.pk}/{query}")
    page.wait_for_selector("#sentences article.sentence")


def sid(document: Document, position: int) -> int:
    return document.sentences.get(position=position).pk


def clear_of_the_palette(page, sentence_id: int) -> None:
    """The sentence is inside the viewport and below the sticky palette's bottom edge."""
    box = sentence(page, sentence_id).bounding_box()
    palette = page.locator(".palette").bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box["y"] >= palette["y"] + palette["height"] - 1, (box, palette)
    assert box["y"] + box["height"] <= height, (box, height)


def test_back_to_the_document_after_an_edit_shows_the_edit_and_the_next_key_is_accepted(
    reviewer_page, demo
):
    """Back to an earlier visit of the document (from the project page, say) must show the
    sentence as it is now, not as the browser kept it, or the next key would get a 409."""
    page = reviewer_page
    first = sid(demo, 0)
    open_document(page, demo)
    page.get_by_role("link", name=demo.project.name).click()
    page.wait_for_url(f"**/projects/{demo.project_id}/")
    page.get_by_role("link", name=demo.name).click()
    page.wait_for_selector("#sentences article.sentence")
    page.keyboard.press("j")
    page.keyboard.press(label_key(page, "Language"))
    expect(sentence(page, first)).to_have_attribute("data-version", "2")
    edited = page_tags(page, first)

    page.go_back()
    page.wait_for_url(f"**/projects/{demo.project_id}/")
    page.go_back()
    page.wait_for_selector("#sentences article.sentence")

    expect(sentence(page, first)).to_have_attribute("data-version", "2")
    assert page_tags(page, first) == edited
    page.keyboard.press("j")
    page.keyboard.press("ArrowRight")
    with page.expect_response(lambda r: "/edit/" in r.url) as answer:
        page.keyboard.press(label_key(page, "Application"))
    assert answer.value.status == 200
    expect(page.locator("#status")).to_have_text("")


def test_j_and_k_keep_the_current_sentence_clear_of_the_palette(reviewer_page, demo):
    page = reviewer_page
    open_document(page, demo)
    for position in range(25):
        page.keyboard.press("j")
        expect(sentence(page, sid(demo, position))).to_have_class(CURRENT)
    for position in range(23, 5, -1):
        page.keyboard.press("k")
        expect(sentence(page, sid(demo, position))).to_have_class(CURRENT)
        clear_of_the_palette(page, sid(demo, position))


def test_a_link_to_a_sentence_on_another_page_shows_it_below_the_palette(reviewer_page, demo):
    page = reviewer_page
    target = sid(demo, 70)  # on page 2 (50 sentences a page)
    page.goto(f"/documents/{demo.pk}/?page=2#sentence-{target}")
    expect(sentence(page, target)).to_have_class(CURRENT)
    wait_until(page, "() => window.scrollY > 0")
    clear_of_the_palette(page, target)


def longest_span(document: Document) -> tuple[int, int, int]:
    """(sentence id, start, end) of the first span of three or more tokens in the imported tags."""
    rows = SentenceTags.objects.filter(layer__document=document, layer__name=IMPORTED)
    for row in rows.order_by("sentence__position"):
        tags = row.tags
        for start, tag in enumerate(tags):
            end = start + 1
            while end < len(tags) and tags[end].startswith("I-"):
                end += 1
            if tag.startswith("B-") and end - start >= 3:
                return row.sentence_id, start, end
    raise AssertionError("the demo has no span of three tokens")


def test_a_label_key_on_one_token_inside_a_span_relabels_the_whole_span(reviewer_page, demo):
    page = reviewer_page
    target, start, end = longest_span(demo)
    position = demo.sentences.get(pk=target).position
    open_document(page, demo, f"?page={position // 50 + 1}")
    middle = token(page, target, start + 1)
    middle.scroll_into_view_if_needed()
    middle.click()
    page.keyboard.press(label_key(page, "Device"))
    expect(sentence(page, target)).to_have_attribute("data-version", "2")

    tags = gold_tags(demo, target)
    assert tags[start:end] == ["B-Device"] + ["I-Device"] * (end - start - 1)
    assert page_tags(page, target)[start:end] == tags[start:end]

    # A selection of tokens still makes a new span of exactly those tokens.
    token(page, target, start).click()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press(label_key(page, "Library"))
    expect(sentence(page, target)).to_have_attribute("data-version", "3")
    assert gold_tags(demo, target)[start : start + 2] == ["B-Library", "I-Library"]

    page.keyboard.press("?")
    expect(page.locator("#help")).to_contain_text("relabel that whole span")
