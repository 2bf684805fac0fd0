"""Agreement and adjudication in a real browser: heat maps, drill-down, compare, adjudicate, export.

The corpus is tests/services/test_agreement_report.py's: the sample article annotated by three
annotators (their finished work only) and a gold layer; the agreement report is computed in-process
before the page opens. A reviewer reads the heat map, drills into a pairwise and a confusion cell,
opens a sentence in the comparison view, then adjudicates the document (one dispute settled by an
htmx swap, then the agreed spans taken into gold); the reviewer downloads the gold export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotator.models import GOLD, AgreementReport, Decision, SentenceTags, TagChange
from annotator.services import adjudication
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import screenshot, sign_in
from tests.services.test_agreement_report import (
    LAYERS,
    build_corpus,
    busiest_confusion,
    run_agreement,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def measured(transactional_db, no_broker):
    corpus = build_corpus("RNN agreement in the browser")
    job = run_agreement(corpus)
    return corpus, AgreementReport.objects.get(job=job)


@pytest.fixture
def new_page(browser, live_server):
    """Pages signed in as a given user, each in its own context, closed before the live
    server stops (a request still in flight then would outlive the test's database)."""
    contexts = []

    def open_page(user):
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        contexts.append(context)
        sign_in(context, live_server.url, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def heat(classes: str) -> int:
    """The heat step of a cell, 0 (red, no agreement) to 10 (green)."""
    found = re.search(r"heat-(\d+)", classes)
    assert found, classes
    return int(found.group(1))


def listed(page) -> list[int]:
    """The sentence positions a drill-down page lists."""
    return [int(n) - 1 for n in page.locator("article.sentence .number").all_text_contents()]


def test_a_reviewer_reads_the_report_drills_down_adjudicates_and_exports_gold(new_page, measured):
    corpus, report = measured
    result = report.result
    page = new_page(corpus.reviewer)

    # --- the heat map: a high and a low pair are coloured differently ---
    page.goto(f"/projects/{corpus.project.pk}/agreement/")
    expect(page.locator("h2").first).to_have_text(f"Agreement of {', '.join(LAYERS)}")
    kappas = {(p["a"], p["b"]): p["token"]["all"]["kappa"] for p in result["pairs"]}
    high = max(kappas, key=kappas.get)
    low = min(kappas, key=kappas.get)
    assert kappas[high] - kappas[low] > 0.05

    def cell(pair):
        row, column = LAYERS.index(pair[0]), LAYERS.index(pair[1])
        heatmap = page.locator("table[aria-label='Pairwise agreement'] tbody tr")
        return heatmap.nth(row).locator("td").nth(column)

    expect(cell(high)).to_have_text(f"{kappas[high]:.3f}")
    expect(cell(low)).to_have_text(f"{kappas[low]:.3f}")
    high_class, low_class = cell(high).get_attribute("class"), cell(low).get_attribute("class")
    assert heat(high_class) > heat(low_class)  # greener for more agreement
    # The matrix is symmetric: the mirrored cell shows the same value.
    expect(cell((high[1], high[0]))).to_have_text(f"{kappas[high]:.3f}")
    expect(page.locator("table[aria-label='Confusion matrix']")).to_be_visible()
    screenshot(page, "agreement-1-report")

    # --- a pairwise cell: the sentences where the two disagree ---
    cell(low).get_by_role("link").click()
    page.wait_for_url("**/cell/?*")
    expect(page.locator("h1")).to_have_text(f"Where {low[0]} and {low[1]} disagree")
    expected = report.cells[f"{low[0]}|{low[1]}"]["any"]["sentences"]
    assert listed(page) == [position for _, position in expected]
    screenshot(page, "agreement-2-pair-cell")

    # --- a confusion cell of the first pair: where a says A and b says B ---
    page.go_back()
    pair = result["pairs"][0]
    la, lb = busiest_confusion(pair)
    confusion = page.locator("table[aria-label='Confusion matrix']")
    link = confusion.locator(f"a[href$='cell={la}|{lb}']")
    order = pair["confusion"]["labels"]
    expect(link).to_have_text(str(pair["confusion"]["matrix"][order.index(la)][order.index(lb)]))
    link.click()
    page.wait_for_url("**/cell/?*")
    expect(page.locator("h1")).to_have_text(
        f"Where {pair['a']} says {la} and {pair['b']} says {lb}"
    )
    expected = report.cells[f"{pair['a']}|{pair['b']}"][f"{la}|{lb}"]["sentences"]
    assert listed(page) == [position for _, position in expected]
    first = page.locator("article.sentence").first
    expect(first.locator("dl.readings .differs").first).to_be_visible()
    screenshot(page, "agreement-3-confusion-cell")

    # --- open the first sentence in the comparison view ---
    position = expected[0][1]
    sentence_id = corpus.document.sentences.get(position=position).pk
    first.get_by_role("link", name="open in the comparison view").click()
    page.wait_for_url(f"**/documents/{corpus.document.pk}/compare/?*")
    compared = page.locator(f"#compare-{sentence_id}")
    expect(compared).to_be_visible()
    expect(compared.locator(".number")).to_have_text(str(position + 1))
    expect(compared.locator("tr").nth(1).locator("th")).to_have_text(pair["a"])
    expect(compared.locator("tr").nth(2).locator("th")).to_have_text(pair["b"])
    screenshot(page, "agreement-4-compare")

    # --- adjudicate: from the report to the queue to the document ---
    page.goto(f"/projects/{corpus.project.pk}/agreement/")
    page.get_by_role("link", name=re.compile(r"^Adjudicate: \d+ sentences disagree")).click()
    page.wait_for_url(f"**/projects/{corpus.project.pk}/adjudicate/")
    page.locator("table.documents").get_by_role("link", name="Adjudicate").click()
    page.wait_for_url(f"**/documents/{corpus.document.pk}/adjudicate/")
    expect(page.locator("h1")).to_have_text(f"Adjudicate {corpus.document.name}")
    summary = page.locator("main p", has_text="open,")
    open_before = int(re.search(r"(\d+) open", summary.inner_text()).group(1))
    assert open_before > 0

    article = page.locator("article.adjudicated").first
    article_id = article.get_attribute("id")
    settled_id = int(article_id.removeprefix("adjudicate-"))
    dispute = article.locator("form.dispute").first
    start = int(dispute.locator("input[name=start]").get_attribute("value"))
    end = int(dispute.locator("input[name=end]").get_attribute("value"))
    # A reading with spans (not "nothing"), so that gold and the export show what was taken.
    button = dispute.locator(
        "button[value^='reading-']", has_not_text=re.compile(r"^nothing")
    ).first
    reading = int(button.get_attribute("value").removeprefix("reading-"))
    page.evaluate("window.stillTheSamePage = true")
    button.click()
    swapped = page.locator(f"#{article_id}")
    expect(swapped.locator("form.dispute").first).to_have_class(re.compile(r"\bdecided\b"))
    expect(swapped.locator("form.dispute").first).to_contain_text("decided by rex")
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, no reload
    # The counter follows without a reload (issue 11, problem 5).
    expect(summary).to_contain_text(f"{open_before - 1} open, 1 decided")
    decision = Decision.objects.get(sentence_id=settled_id)
    assert (decision.start, decision.end, decision.user) == (start, end, corpus.reviewer)
    [item] = [i for i in adjudication.load_items(corpus.document) if i.sentence_id == settled_id]
    chosen = item.vote.disputes[0].readings[reading]
    assert decision.chosen == [[s.start, s.end, s.label] for s in chosen.spans]
    assert decision.voters == list(chosen.voters)
    screenshot(page, "agreement-5-decided")

    page.get_by_role("button", name="Put the agreed spans into gold").click()
    expect(page.locator("body")).to_contain_text("Gold took the agreed spans in")
    expect(page.locator("body")).to_contain_text(f"{open_before - 1} open")
    gold = dict(
        SentenceTags.objects.filter(layer__document=corpus.document, layer__name=GOLD).values_list(
            "sentence_id", "tags"
        )
    )
    items = adjudication.load_items(corpus.document)
    gold_layer = corpus.document.layers.get(name=GOLD)
    by_hand = adjudication.hand_edited(gold_layer)  # the corpus's reviewer edited some by hand
    for each in items:
        if each.sentence_id not in by_hand:
            assert gold[each.sentence_id] == adjudication.proposed_tags(each, "iob2")
    settled = next(i for i in items if i.sentence_id == settled_id)
    for span in chosen.spans:
        assert gold[settled_id][span.start] == f"B-{span.label}"
    assert TagChange.objects.filter(
        layer__name=GOLD, action__startswith="adjudicate: agreed spans"
    ).exists()
    assert (start, end) in settled.decided
    screenshot(page, "agreement-6-applied")

    # --- the reviewer downloads the gold they adjudicated ---
    page.goto(f"/documents/{corpus.document.pk}/?layer=gold")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    lines = [line.split("\t") for line in text.splitlines() if "\t" in line]
    rows = (
        SentenceTags.objects.filter(layer__document=corpus.document, layer__name=GOLD)
        .order_by("sentence__position")
        .values_list("sentence__tokens", "tags")
    )
    assert lines == [[t, g] for tokens, tags in rows for t, g in zip(tokens, tags, strict=True)]
    # The settled sentence's tokens carry the reading the reviewer clicked.
    tokens = corpus.document.sentences.get(pk=settled_id).tokens
    offset = sum(
        len(t)
        for t in corpus.document.sentences.filter(position__lt=settled.position).values_list(
            "tokens", flat=True
        )
    )
    for span in chosen.spans:
        assert lines[offset + span.start] == [tokens[span.start], f"B-{span.label}"]
