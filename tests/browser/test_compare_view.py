"""Compare as people read it (issue 11, problem 13): each layer's spans as coloured chips,
what differs marked, the raw tags behind a toggle, no sideways scrolling at 1,280 px, layers
named for people, and position= opening, scrolling to and highlighting its sentence."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from annotator.models import GOLD, IMPORTED, Document, SentenceTags
from annotator.services import editing
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import DEMO, project_with, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def edited(django_user_model, transactional_db) -> tuple[Document, object, int, int]:
    """The sample with gold edited in its longest sentence and in one near the end."""
    rita = django_user_model.objects.create_user("rita", password="pw-123456")
    document = project_with("RNN article", DEMO, rita, role="reviewer").documents.get()
    gold = editing.ensure_working_layer(document)
    rows = SentenceTags.objects.filter(layer__document=document, layer__name=IMPORTED)
    longest = max(rows.select_related("sentence"), key=lambda r: len(r.sentence.tokens))
    late = rows.select_related("sentence").order_by("-sentence__position")[3]
    for row in (longest, late):
        first_o = row.tags.index("O")
        editing.edit_sentence(
            user=rita,
            layer=gold,
            sentence_id=row.sentence_id,
            version=1,
            operation="label",
            start=first_o,
            end=first_o + 1,
            label="Device",
        )
    return document, rita, longest.sentence_id, late.sentence_id


def open_compare(browser, live_server, user, document, **query):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    sign_in(context, live_server.url, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/documents/{document.pk}/compare/?{urlencode(query)}")
    return page


def test_compare_draws_each_layers_spans_and_marks_what_differs(browser, live_server, edited):
    document, rita, longest, _ = edited
    page = open_compare(browser, live_server, rita, document, left=IMPORTED, right=GOLD)
    article = page.locator(f"#compare-{longest}")
    readings = article.locator("dl.readings")
    expect(readings.locator("dt")).to_have_text(["Imported tags", "Gold"])
    gold_side = readings.locator("dd").nth(1)
    added = gold_side.locator(".span.differs[title=Device]")
    expect(added).to_have_count(1)
    expect(added).to_be_visible()
    expect(readings.locator("dd").first.locator(".span[title=Device]")).to_have_count(0)

    # Raw tags only on request.
    raw = article.locator("table.sides")
    expect(raw).to_be_hidden()
    article.get_by_text("BIO tags").click()
    expect(raw).to_be_visible()
    expect(raw.locator("td.tag.differs")).to_have_text(["O", "B-Device"])

    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"
    expect(article.get_by_role("button", name="take left (Imported tags)")).to_be_visible()
    page.context.close()


def test_position_opens_scrolls_to_and_highlights_the_sentence(browser, live_server, edited):
    document, rita, _, late = edited
    position = document.sentences.get(pk=late).position
    page = open_compare(
        browser, live_server, rita, document, left=IMPORTED, right=GOLD, position=position
    )
    article = page.locator(f"#compare-{late}")
    expect(article).to_have_class(re.compile(r"\bwanted\b"))
    expect(article).to_be_focused()
    box = article.bounding_box()
    assert 0 <= box["y"] < page.evaluate("window.innerHeight"), box
    assert page.evaluate("window.scrollY") > 0
    page.context.close()


def test_adjudicate_draws_readings_as_chips_names_people_and_opens_at_position(
    browser, live_server, transactional_db
):
    from annotator.services import adjudication
    from tests.services.test_agreement_report import build_corpus

    corpus = build_corpus("Adjudicate as people read it")
    disputed = [i for i in adjudication.load_items(corpus.document) if i.vote.disputes]
    item = disputed[min(len(disputed), 25) - 1]  # the last on the first page
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    sign_in(context, live_server.url, corpus.reviewer)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/documents/{corpus.document.pk}/adjudicate/?position={item.position}")

    article = page.locator(f"#adjudicate-{item.sentence_id}")
    expect(article).to_have_class(re.compile(r"\bwanted\b"))
    expect(article).to_be_focused()
    assert 0 <= article.bounding_box()["y"] < page.evaluate("window.innerHeight")
    readings = article.locator("form.dispute button[value^='reading-']")
    expect(readings.first).to_contain_text(re.compile(r"\(ann\d"))
    expect(readings.filter(has_text="annotator ")).to_have_count(0)
    chips = article.locator("form.dispute button .span")
    assert chips.count() >= 1
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"
    context.close()
