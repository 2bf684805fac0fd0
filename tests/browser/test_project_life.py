"""A project's whole life in Chromium, as a team of four lives it (issue 11, first done-when).

Mona may create projects (granted before the story, as a superuser would on the project list);
alice and bob annotate, rex reviews. Everything else happens through the pages, each person in a
browser context of their own, with no Django admin and no database write from the test:

1. mona creates the project with its labels, adds her team, sets k = 2, uploads a small CoNLL
   file (tests/data/conll/project_life.conll) and assigns it automatically to both annotators;
2. alice and bob each start their task and annotate it with mouse and keyboard, differently in
   three sentences; each submits with sentences left unreviewed, sees the warning and accepts it;
3. rex approves both tasks: each preview says the three disputed sentences go to adjudication,
   and the second approval leaves gold as it was;
4. rex computes agreement with a real Celery worker (Redis, the test database): the report
   appears on the page without a reload;
5. rex adjudicates the three disputes, puts the agreed spans into gold, downloads gold and checks
   it token by token against what the annotators agreed on and what he decided.

Skipped without Redis and on the in-memory SQLite database (the worker must share the database).
Screenshots: test-artifacts/life-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotator.models import GOLD, SentenceTags
from annotator.services.projects import set_project_creator
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import REPO, has_class, label_key, screenshot, sign_in
from tests.browser.test_models_flow import JOB_TIMEOUT, worker  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

CORPUS = REPO / "tests" / "data" / "conll" / "project_life.conll"
PROJECT = "RNN history"
LABELS = ["Architecture", "Device", "Library", "Person"]
PASSWORD = "life-pass-123"

# What each annotator does, per sentence (0-based): spans to label as (first, last token,
# label), spans to remove (a token inside), and whether they mark the sentence reviewed.
# They agree on sentences 0 and 4 and read 1, 2 and 3 differently.
ALICE = {
    0: {"label": [(2, 4, "Architecture")], "reviewed": True},  # simple recurrent networks
    1: {"label": [(0, 1, "Architecture"), (5, 5, "Device")], "reviewed": True},  # LSTM networks
    2: {"label": [(2, 2, "Library"), (4, 6, "Architecture")], "reviewed": True},
}
BOB = {
    0: {"label": [(2, 4, "Architecture")], "reviewed": True},
    1: {"label": [(0, 0, "Architecture"), (5, 5, "Device")], "reviewed": True},  # LSTM alone
    2: {"label": [(2, 2, "Library"), (4, 4, "Device")], "reviewed": True},  # "artificial"
    3: {"remove": [0], "reviewed": True},  # Hochreiter is no Person for bob
}
# Rex's decisions: whose reading each disputed sentence takes.
DECISIONS = {1: "bob", 2: "alice", 3: "bob"}

# Gold as rex should download it: the agreed sentences as both annotated them; in the disputed
# ones, the agreed spans (GPUs, Theano, Torch) and the reading rex took.
EXPECTED_GOLD = [
    ["O", "O", "B-Architecture", "I-Architecture", "I-Architecture", "O", "O", "O"],
    ["B-Architecture", "O", "O", "O", "O", "B-Device", "O"],  # bob's LSTM
    ["B-Library", "O", "B-Library", "O", "B-Architecture", "I-Architecture", "I-Architecture", "O"],
    ["O", "O", "O", "O"],  # bob's: no Person
    ["O", "O", "O", "O"],
]


@pytest.fixture
def team(django_user_model, worker):  # noqa: F811 (the fixture imported above)
    """The four accounts, and mona's right to create projects (what a superuser grants)."""
    users = {
        name: django_user_model.objects.create_user(name, password=PASSWORD)
        for name in ("mona", "alice", "bob", "rex")
    }
    set_project_creator(username="mona", allowed=True)
    return users


@pytest.fixture
def open_as(browser, live_server):
    """A page signed in as someone, in a browser context of their own; all closed at the end,
    before the live server stops."""
    contexts = []

    def open_page(user):
        context = browser.new_context(
            base_url=live_server.url, accept_downloads=True, viewport={"width": 1400, "height": 900}
        )
        contexts.append(context)
        sign_in(context, live_server.url, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/projects/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def mark(page) -> None:
    page.evaluate("window.notReloaded = true")


def still_marked(page) -> None:
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"


# --- 1. the manager sets the project up ---


def set_up(mona) -> None:
    form = mona.locator("#new-project")
    form.get_by_label("Name").fill(PROJECT)
    form.get_by_label("Tag scheme").select_option(label="IOB2 / BIO")
    form.get_by_label("Labels").fill("\n".join(LABELS))
    form.get_by_role("button", name="Create the project").click()
    mona.wait_for_url("**/projects/*/")
    expect(mona.locator("section .labels .span .label")).to_have_text(LABELS)

    mona.get_by_role("link", name="Members").click()
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rex", "reviewer")):
        form = mona.locator("form", has=mona.get_by_role("button", name="Add"))
        form.get_by_label("Username").fill(name)
        form.get_by_label(role.capitalize(), exact=True).check()
        form.get_by_role("button", name="Add").click()
        expect(mona.locator(".message").first).to_contain_text(f"{name} is a member now.")
    members = mona.locator("table.documents tbody tr")
    expect(members).to_have_text(
        [
            re.compile(r"alice\s*Annotator"),
            re.compile(r"bob\s*Annotator"),
            re.compile(r"mona\s*Manager"),
            re.compile(r"rex\s*Reviewer"),
        ]
    )

    mona.get_by_role("link", name="Settings").click()
    mona.get_by_label("Annotators per document").fill("2")
    mona.get_by_role("button", name="Save").click()
    expect(mona.locator(".message").first).to_contain_text("Settings saved.")

    mona.get_by_role("link", name="Documents").click()
    mona.wait_for_load_state()  # htmx has taken the upload form over
    mark(mona)
    mona.set_input_files("#upload input[name=files]", str(CORPUS))
    mona.get_by_role("button", name="Import", exact=True).click()
    expect(mona.locator(".notice.ok")).to_contain_text(
        "Imported 1 document, 5 sentences, 31 tokens."
    )
    expect(mona.locator("table.documents")).to_contain_text(CORPUS.name)
    still_marked(mona)
    screenshot(mona, "life-1-uploaded")

    mona.get_by_role("link", name="Assign").click()
    expect(mona.locator("main")).to_contain_text("k = 2 annotators per document")
    mona.get_by_label("Automatically: k annotators per document, balanced").check()
    mona.locator("select[name=documents]").select_option(label=CORPUS.name)
    mona.locator("select[name=annotators]").select_option(label=["alice", "bob"])
    mona.get_by_role("button", name="Assign", exact=True).click()
    expect(mona.locator(".message").first).to_contain_text("Created 2 tasks.")
    rows = mona.locator("table.documents tbody tr")
    expect(rows.locator("td:nth-child(3)")).to_have_text(["alice", "bob"])
    expect(rows.locator("td:nth-child(2)")).to_have_text(["1–5", "1–5"])  # the same sentences


# --- 2. the annotators annotate and submit ---


def sentence_ids(page) -> list[int]:
    articles = page.locator("#sentences article.sentence")
    expect(articles).to_have_count(len(EXPECTED_GOLD))
    return articles.evaluate_all("els => els.map(el => Number(el.dataset.id))")


def press_on(page, sentence_id: int, first: int, last: int, key: str) -> None:
    """Select tokens first..last (a click, or a drag over several) and press a key; wait for the
    sentence to come back one version later."""
    article = page.locator(f"#sentence-{sentence_id}")
    version = int(article.get_attribute("data-version"))
    start = article.locator(f".token[data-i='{first}']")
    start.scroll_into_view_if_needed()
    box = start.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for index in range(first + 1, last + 1):
        box = article.locator(f".token[data-i='{index}']").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
    page.mouse.up()
    page.keyboard.press(key)
    expect(article).to_have_attribute("data-version", str(version + 1))


def annotate(page, name: str, work: dict) -> None:
    page.get_by_role("link", name=PROJECT).click()
    page.get_by_role("link", name="My tasks").click()
    page.get_by_role("button", name="Start next task").click()
    page.wait_for_url(f"**/documents/*/?layer=annotator+{name}*")
    ids = sentence_ids(page)
    expect(page.locator("#progress")).to_contain_text(
        f"Reviewed 0 of 5 sentences in annotator {name}"
    )
    mark(page)
    for position, steps in work.items():
        sid = ids[position]
        for first, last, label in steps.get("label", []):
            press_on(page, sid, first, last, label_key(page, label))
            span = page.locator(f"#sentence-{sid} .span[title='{label}']").filter(
                has=page.locator(f".token[data-i='{first}']")
            )
            expect(span.locator(".token")).to_have_count(last - first + 1)
        for index in steps.get("remove", []):
            press_on(page, sid, index, index, "0")
            expect(page.locator(f"#sentence-{sid} .span")).to_have_count(0)
        if steps.get("reviewed"):
            page.locator(f"#sentence-{sid} .token[data-i='0']").click()
            page.keyboard.press("Enter")
            expect(page.locator(f"#sentence-{sid}")).to_have_class(has_class("reviewed"))
    reviewed = sum(bool(steps.get("reviewed")) for steps in work.values())
    expect(page.locator("#progress")).to_contain_text(f"Reviewed {reviewed} of 5 sentences")
    still_marked(page)  # every edit was an htmx swap
    screenshot(page, f"life-2-{name}-annotated")

    # Submit: the page warns about the sentences left unreviewed; the annotator goes on anyway.
    page.get_by_role("button", name="Submit for review").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text(f"{5 - reviewed} of 5 sentences")
    expect(warning).to_contain_text("not marked reviewed")
    screenshot(page, f"life-3-{name}-submit-warning")
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.locator(".message").first).to_contain_text("Submitted for review.")
    expect(page.locator("table.documents tbody tr")).to_contain_text("Submitted")


# --- 3. the reviewer approves both tasks ---


def gold_rows(document_name: str) -> list[list[str]]:
    """Gold as the database holds it, in sentence order (read only, for the assertions)."""
    rows = SentenceTags.objects.filter(
        layer__document__name=document_name, layer__name=GOLD
    ).order_by("sentence__position")
    return [list(tags) for tags in rows.values_list("tags", flat=True)]


def approve(rex, name: str, other: str, summary: str) -> None:
    rex.get_by_role("link", name="Review queue").click()
    rex.wait_for_load_state()
    item = rex.locator("[id^=task-]", has_text=f"by {name}")
    expect(item).to_contain_text(CORPUS.name)
    item.get_by_role("link", name="Approve…").click()
    expect(item).to_contain_text(summary)
    expect(item).to_contain_text(f"3 disagree with {other}'s task and go to adjudication")
    expect(item.get_by_role("link", name="adjudication page")).to_be_visible()
    screenshot(rex, f"life-4-approve-{name}")
    item.get_by_role("button", name="Approve").click()
    expect(rex.locator(".message").first).to_contain_text(
        "Approved; " + summary.replace("copies", "copied", 1)
    )


# --- 4. agreement, with the worker ---


def compute_agreement(rex) -> None:
    rex.get_by_role("link", name="Agreement").click()
    expect(rex.locator("main")).to_contain_text("No agreement report yet")
    rex.get_by_role("checkbox", name="annotator alice").check()
    rex.get_by_role("checkbox", name="annotator bob").check()
    rex.get_by_role("button", name="Compute (a job)").click()
    rex.wait_for_load_state()
    mark(rex)
    heading = rex.get_by_role("heading", name="Agreement of annotator alice, annotator bob")
    expect(heading).to_be_visible(timeout=JOB_TIMEOUT)
    still_marked(rex)  # the report came in without a reload
    heatmap = rex.locator("table[aria-label='Pairwise agreement'] tbody tr")
    kappa = float(heatmap.nth(0).locator("td").nth(1).inner_text())
    assert 0 < kappa < 1, kappa  # they agree on much, not on all
    expect(heatmap.nth(1).locator("td").nth(0)).to_have_text(f"{kappa:.3f}")
    screenshot(rex, "life-5-agreement")


# --- 5. adjudication and the gold download ---


def adjudicate(rex) -> None:
    rex.get_by_role("link", name=re.compile(r"^Adjudicate: 3 sentences disagree")).click()
    rex.locator("table.documents").get_by_role("link", name="Adjudicate").click()
    expect(rex.locator("h1")).to_have_text(f"Adjudicate {CORPUS.name}")
    rex.wait_for_load_state()  # htmx has taken the dispute forms over
    counts = rex.locator("#adjudication-counts")
    expect(counts).to_contain_text("3 with disagreements: 3 open, 0 decided")
    mark(rex)
    for done, (position, whose) in enumerate(sorted(DECISIONS.items()), start=1):
        article = rex.locator("article.adjudicated").filter(
            has=rex.locator(".number", has_text=re.compile(rf"^{position + 1}$"))
        )
        dispute = article.locator("form.dispute")
        expect(dispute).to_have_count(1)
        dispute.locator("button[value^='reading-']", has_text=re.compile(rf"\b{whose}\b")).click()
        expect(article.locator("form.dispute")).to_have_class(has_class("decided"))
        expect(article.locator("form.dispute")).to_contain_text("decided by rex")
        expect(counts).to_contain_text(f"{3 - done} open, {done} decided")
    still_marked(rex)
    screenshot(rex, "life-6-adjudicated")
    rex.get_by_role("button", name="Put the agreed spans into gold").click()
    expect(rex.locator("body")).to_contain_text("Gold took the agreed spans in")


def download_gold(rex) -> list[list[tuple[str, str]]]:
    rex.get_by_role("link", name=PROJECT).first.click()
    rex.get_by_role("link", name=CORPUS.name).click()
    rex.locator("select[name=layer]").select_option("gold")
    rex.wait_for_url("**layer=gold*")
    with rex.expect_download() as download:
        rex.get_by_role("link", name="Download", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    return [
        [tuple(line.split("\t")) for line in block.splitlines()]
        for block in re.split(r"\n\s*\n", text.strip())
    ]


def test_a_team_runs_a_project_from_creation_to_checked_gold(open_as, team) -> None:
    source = [
        [tuple(line.split("\t")) for line in block.splitlines()]
        for block in CORPUS.read_text(encoding="utf-8").strip().split("\n\n")
    ]
    mona = open_as(team["mona"])
    set_up(mona)

    for name, work in (("alice", ALICE), ("bob", BOB)):
        annotate(open_as(team[name]), name, work)

    rex = open_as(team["rex"])
    rex.get_by_role("link", name=PROJECT).click()
    imported = [[tag for _, tag in sentence] for sentence in source]
    assert gold_rows(CORPUS.name) in ([], imported)  # nothing approved yet
    approve(
        rex,
        "alice",
        "bob",
        "copies 1 sentence into gold; 1 already read the same there; "
        "3 disagree with bob's task and go to adjudication; 0 overwrite reviewer work",
    )
    after_alice = gold_rows(CORPUS.name)
    assert after_alice[0] == EXPECTED_GOLD[0]  # the sentence both read alike
    assert after_alice[1:] == imported[1:]  # the disputed ones stay as imported
    approve(
        rex,
        "bob",
        "alice",
        "copies 0 sentences into gold; 2 already read the same there; "
        "3 disagree with alice's task and go to adjudication; 0 overwrite reviewer work",
    )
    assert gold_rows(CORPUS.name) == after_alice  # the second approval changed nothing

    compute_agreement(rex)
    adjudicate(rex)
    gold = download_gold(rex)

    # Token by token: the words as uploaded, the tags as agreed and decided.
    assert [[token for token, _ in s] for s in gold] == [[token for token, _ in s] for s in source]
    assert [[tag for _, tag in s] for s in gold] == EXPECTED_GOLD
    for position, whose in DECISIONS.items():
        work = (ALICE if whose == "alice" else BOB)[position]
        for first, last, label in work.get("label", []):
            assert gold[position][first][1] == f"B-{label}"
            assert all(tag == f"I-{label}" for _, tag in gold[position][first + 1 : last + 1])
    assert gold_rows(CORPUS.name) == EXPECTED_GOLD  # the download is what the database holds
