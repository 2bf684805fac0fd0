"""Reviewing tags in a real browser: keyboard and mouse edits, undo, review, repair, bulk
relabel, compare, conflicts between two reviewers, the help overlay and escaping.

Every test checks the page and the database (the gold layer and its TagChange history).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from annotator.models import GOLD, Document, Membership, TagChange
from annotator.services import editing
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import (
    DEMO,
    current_class,
    drag,
    gold_tags,
    has_class,
    imported_tags,
    label_key,
    layer,
    page_tags,
    project_with,
    row,
    screenshot,
    selected_indexes,
    sentence,
    sign_in,
    span_indexes,
    token,
    wait_until,
)
from tests.conftest import MARKUP, SMALL

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

PYTORCH = 103  # position of "PyTorch : Tensors and Dynamic neural networks ..." (sentence 104)


@pytest.fixture
def reviewer(django_user_model, transactional_db):
    return django_user_model.objects.create_user("rita", password="browser-pass-123")


@pytest.fixture
def demo(reviewer) -> Document:
    return project_with("RNN article", DEMO, reviewer).documents.get()


@pytest.fixture
def small(reviewer) -> Document:
    return project_with("Small corpus", SMALL, reviewer).documents.get()


@pytest.fixture
def signed_in(page, live_server, reviewer):
    sign_in(page.context, live_server.url, reviewer)
    return page


def sid(document: Document, position: int) -> int:
    return document.sentences.get(position=position).pk


def open_document(page, document: Document, query: str = "") -> None:
    page.goto(f"/documents/{document.pk}/{query}")
    page.wait_for_selector("#sentences article.sentence")


def version(page, sentence_id: int) -> int:
    return int(sentence(page, sentence_id).get_attribute("data-version"))


def press_and_wait_for_version(page, key: str, sentence_id: int, expected: int) -> None:
    page.keyboard.press(key)
    expect(sentence(page, sentence_id)).to_have_attribute("data-version", str(expected))


# --- 1. keyboard relabel ---------------------------------------------------------------------


def test_pytorch_is_relabelled_as_library_with_the_keyboard_alone(signed_in, demo, reviewer):
    page = signed_in
    pytorch = sid(demo, PYTORCH)
    per_page = settings.SENTENCES_PER_PAGE
    open_document(page, demo, f"?page={PYTORCH // per_page + 1}")
    first_on_page = PYTORCH // per_page * per_page

    for _ in range(PYTORCH - first_on_page + 1):  # the first j selects the page's first sentence
        page.keyboard.press("j")
    article = sentence(page, pytorch)
    expect(article).to_have_class(current_class())
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert selected_indexes(page, pytorch) == [0]
    assert token(page, pytorch, 0).inner_text().startswith("PyTorch")
    assert span_indexes(page, pytorch, "Algorithm")[0] == [0]
    before = imported_tags(demo, pytorch)
    assert before[0] == "B-Algorithm"

    library = label_key(page, "Library")
    press_and_wait_for_version(page, library, pytorch, version(page, pytorch) + 1)

    span = article.locator(".span", has=page.locator(".token[data-i='0']"))
    expect(span).to_have_attribute("title", "Library")
    expect(span.locator(".label")).to_have_text("Library")
    assert page_tags(page, pytorch)[0] == "B-Library"
    expect(page.locator("#progress")).to_contain_text("Reviewed 0 of 107 sentences in gold")
    expect(page.locator("#status")).to_have_text("")
    assert gold_tags(demo, pytorch) == ["B-Library", *before[1:]]
    assert imported_tags(demo, pytorch) == before  # the imported tags stay as they came
    change = TagChange.objects.get(layer__document=demo, sentence_id=pytorch)
    assert (change.user, change.action, change.layer.name) == (reviewer, "label", GOLD)
    assert (change.old_tags[0], change.new_tags[0]) == ("B-Algorithm", "B-Library")
    screenshot(page, "document-page")


# --- 2. mouse drag extends a span --------------------------------------------------------------


def test_dragging_one_token_further_and_pressing_the_label_extends_the_span(signed_in, demo):
    page = signed_in
    pytorch = sid(demo, PYTORCH)
    open_document(page, demo, f"?page=3#sentence-{pytorch}")
    expect(sentence(page, pytorch)).to_have_class(current_class())
    # "neural networks" is an Architecture span (tokens 5-6); "in" (7) follows it.
    assert span_indexes(page, pytorch, "Architecture") == [[5, 6]]
    before = imported_tags(demo, pytorch)
    assert before[5:8] == ["B-Architecture", "I-Architecture", "O"]

    drag(page, pytorch, 5, 7)

    assert selected_indexes(page, pytorch) == [5, 6, 7]
    press_and_wait_for_version(page, label_key(page, "Architecture"), pytorch, 2)
    assert span_indexes(page, pytorch, "Architecture") == [[5, 6, 7]]
    expect(sentence(page, pytorch).locator(".span[title=Architecture] .label")).to_have_text(
        "Architecture"
    )
    expected = [*before[:5], "B-Architecture", "I-Architecture", "I-Architecture", *before[8:]]
    assert gold_tags(demo, pytorch) == expected
    assert page_tags(page, pytorch) == expected


# --- 3. undo / redo ---------------------------------------------------------------------------


def test_z_undoes_to_the_exact_previous_tags_and_shift_z_redoes(signed_in, small, reviewer):
    page = signed_in
    first = sid(small, 0)
    open_document(page, small)
    original = imported_tags(small, first)
    assert page_tags(page, first) == original

    page.keyboard.press("j")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    assert selected_indexes(page, first) == [2, 3]  # "worked in"
    press_and_wait_for_version(page, label_key(page, "LOC"), first, 2)
    edited = ["B-PER", "I-PER", "B-LOC", "I-LOC", "B-LOC", "O"]
    assert page_tags(page, first) == edited
    assert gold_tags(small, first) == edited

    press_and_wait_for_version(page, "z", first, 3)

    assert page_tags(page, first) == original
    assert span_indexes(page, first, "LOC") == [[4]]
    assert gold_tags(small, first) == original
    label = TagChange.objects.get(sentence_id=first, action="label")
    assert label.state == TagChange.State.UNDONE
    undo = TagChange.objects.get(sentence_id=first, action="undo")
    assert (undo.user, undo.reverts, undo.new_tags) == (reviewer, label, original)

    press_and_wait_for_version(page, "Z", first, 4)

    assert page_tags(page, first) == edited
    assert span_indexes(page, first, "LOC") == [[2, 3], [4]]
    assert gold_tags(small, first) == edited
    label.refresh_from_db()
    assert label.state == TagChange.State.DONE
    assert TagChange.objects.filter(sentence_id=first, action="redo", user=reviewer).count() == 1
    # Nothing left to redo: a second Z changes nothing (204).
    page.keyboard.press("Z")
    page.keyboard.press("j")  # a later key is handled after the redo request was sent
    expect(sentence(page, sid(small, 1))).to_have_class(current_class())
    assert gold_tags(small, first) == edited


# --- 4. mark reviewed -------------------------------------------------------------------------


def test_enter_marks_the_sentence_reviewed_and_jumps_to_the_next_unreviewed(signed_in, small):
    page = signed_in
    ids = [sid(small, position) for position in range(4)]
    open_document(page, small)
    expect(page.locator("#progress")).to_contain_text("Showing the imported tags")

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(sentence(page, ids[1])).to_have_class(current_class())
    page.keyboard.press("Enter")

    expect(sentence(page, ids[1])).to_have_class(has_class("reviewed"))
    expect(sentence(page, ids[1]).locator(".number")).to_have_text("2 ✓")
    expect(sentence(page, ids[1]).locator(".number")).to_have_attribute("title", "reviewed")
    expect(page.locator("#progress")).to_contain_text("Reviewed 1 of 4 sentences in gold")
    expect(sentence(page, ids[2])).to_have_class(current_class())
    assert page.evaluate("document.activeElement.id") == f"sentence-{ids[2]}"
    assert row(small, ids[1]).reviewed is True
    assert layer(small).reviewed_count == 1

    # Back to the first sentence: Enter skips the reviewed second one.
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(sentence(page, ids[0])).to_have_class(current_class())
    page.keyboard.press("Enter")

    expect(sentence(page, ids[0])).to_have_class(has_class("reviewed"))
    expect(page.locator("#progress")).to_contain_text("Reviewed 2 of 4 sentences in gold")
    expect(sentence(page, ids[2])).to_have_class(current_class())
    expect(sentence(page, ids[1])).not_to_have_class(current_class())
    assert [row(small, i).reviewed for i in ids] == [True, True, False, False]
    assert layer(small).reviewed_count == 2
    assert TagChange.objects.filter(action="reviewed").count() == 2


# --- 5. repair ---------------------------------------------------------------------------------


def test_n_finds_the_flagged_token_and_r_repairs_it(signed_in, small, reviewer):
    page = signed_in
    flagged = sid(small, 2)  # "Torch runs on GPUs ." with GPUs I-Device after O
    open_document(page, small)
    expect(page.locator("#progress")).to_contain_text("1 flagged token")
    expect(sentence(page, flagged)).to_have_class(has_class("flagged"))
    expect(token(page, flagged, 3)).to_have_class(has_class("invalid"))

    page.keyboard.press("n")
    expect(sentence(page, flagged)).to_have_class(current_class())
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert selected_indexes(page, flagged) == [3]
    press_and_wait_for_version(page, "r", flagged, 2)

    expect(sentence(page, flagged).locator(".token.invalid")).to_have_count(0)
    expect(sentence(page, flagged)).not_to_have_class(has_class("flagged"))
    assert span_indexes(page, flagged, "Device") == [[3]]
    expect(page.locator("#progress")).to_contain_text("0 flagged tokens")
    gold = row(small, flagged)
    assert gold.tags == ["O", "O", "O", "B-Device", "O"]
    assert gold.invalid is None
    assert layer(small).invalid_count == 0
    change = TagChange.objects.get(sentence_id=flagged)
    assert (change.action, change.user) == ("repair-start", reviewer)


def test_n_after_the_last_repair_says_no_flagged_sentence_is_left(signed_in, small):
    page = signed_in
    flagged = sid(small, 2)
    open_document(page, small)  # shows the imported tags; edits go to gold
    page.keyboard.press("n")
    expect(sentence(page, flagged)).to_have_class(current_class())
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    press_and_wait_for_version(page, "r", flagged, 2)
    expect(page.locator("#progress")).to_contain_text("0 flagged tokens")
    page.keyboard.press("j")
    expect(sentence(page, sid(small, 3))).to_have_class(current_class())

    page.keyboard.press("n")

    # Nothing is flagged in the layer being edited, and the page shows no flag any more: n
    # should say so and stay put, not go back to the sentence that was just repaired.
    wait_until(
        page,
        "last => document.getElementById('status').textContent.trim() !== ''"
        " || !document.getElementById(last).classList.contains('current')",
        f"sentence-{sid(small, 3)}",
    )
    now = page.evaluate("document.querySelector('article.sentence.current').id")
    assert (page.locator("#status").inner_text(), now) == (
        "No flagged sentence left.",
        f"sentence-{sid(small, 3)}",
    )


def test_repair_all_previews_the_change_and_applies_it_on_confirm(signed_in, small, reviewer):
    page = signed_in
    flagged = sid(small, 2)
    open_document(page, small)

    page.get_by_role("link", name=re.compile("Repair all flagged sentences")).click()

    page.wait_for_url(f"**/documents/{small.pk}/repair/")
    preview = page.locator("form.preview")
    expect(preview).to_contain_text("1 sentence will change in the gold layer")
    changed = preview.locator(".changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("GPUs")
    expect(changed).to_contain_text("I-Device → B-Device")
    assert not layer_exists(small, GOLD)  # a preview writes nothing

    page.get_by_role("button", name="Repair 1 sentence").click()

    page.wait_for_url(re.compile(rf"/documents/{small.pk}/\?layer=gold"))
    expect(page.locator("main .message")).to_have_text("Repaired 1 sentence.")
    expect(sentence(page, flagged).locator(".token.invalid")).to_have_count(0)
    assert span_indexes(page, flagged, "Device") == [[3]]
    assert gold_tags(small, flagged) == ["O", "O", "O", "B-Device", "O"]
    assert row(small, flagged).invalid is None
    change = TagChange.objects.get(sentence_id=flagged)
    assert (change.action, change.user) == ("repair-all", reviewer)
    assert imported_tags(small, flagged)[3] == "I-Device"


def layer_exists(document: Document, name: str) -> bool:
    return document.layers.filter(name=name).exists()


# --- 6. bulk relabel ----------------------------------------------------------------------------


def test_bulk_relabel_from_the_project_search_previews_then_applies(signed_in, demo, reviewer):
    page = signed_in
    pytorch = sid(demo, PYTORCH)
    page.goto(f"/projects/{demo.project_id}/")
    page.get_by_label("Find in the project").fill("PyTorch")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(r"/search/\?q=PyTorch"))

    group = page.locator("section.group", has=page.locator("h2 code", has_text="B-Algorithm"))
    expect(group).to_have_count(1)
    group.locator("select[name=label]").select_option("Library")
    group.get_by_role("button", name="Preview").click()

    preview = group.locator("form.preview")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("1 sentence will change (as Library)")
    expect(preview).to_contain_text(f"{demo.name} #{PYTORCH + 1}")
    changed = preview.locator(".changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("PyTorch")
    expect(changed).to_contain_text("B-Algorithm → B-Library")
    screenshot(page, "search-preview")
    assert not layer_exists(demo, GOLD)  # a preview writes nothing

    preview.get_by_role("button", name="Relabel 1 sentence").click()

    expect(page.locator("main .message")).to_have_text("Relabelled 1 sentence as Library.")
    expect(page.locator("section.group h2 code")).to_have_text(["B-Library"])
    assert gold_tags(demo, pytorch)[0] == "B-Library"
    assert gold_tags(demo, pytorch)[1:] == imported_tags(demo, pytorch)[1:]
    change = TagChange.objects.get(sentence_id=pytorch)
    assert (change.action, change.user) == ("bulk-relabel", reviewer)


# --- 7. compare ----------------------------------------------------------------------------------


def test_compare_lists_the_edited_sentence_and_take_left_restores_it(signed_in, demo, reviewer):
    page = signed_in
    pytorch = sid(demo, PYTORCH)
    original = imported_tags(demo, pytorch)
    gold = editing.ensure_working_layer(demo)
    editing.edit_sentence(
        user=reviewer,
        layer=gold,
        sentence_id=pytorch,
        version=1,
        operation="label",
        start=0,
        end=1,
        label="Library",
    )
    open_document(page, demo)

    page.get_by_role("link", name="Compare layers").click()

    page.wait_for_url(f"**/documents/{demo.pk}/compare/")
    expect(page.get_by_label("Left")).to_have_value("imported")
    expect(page.get_by_label("Right")).to_have_value("gold")
    expect(page.locator("main")).to_contain_text("1 sentence differ")
    compared = page.locator(f"#compare-{pytorch}")
    expect(compared.locator("td.differs")).to_have_count(3)  # token, left tag, right tag
    expect(compared.locator("td.tag.differs")).to_have_text(["B-Algorithm", "B-Library"])
    screenshot(page, "compare")

    compared.get_by_role("button", name="take left (Imported tags)").click()

    expect(compared).to_contain_text("Agreed.")
    expect(compared.locator("td.differs")).to_have_count(0)
    assert gold_tags(demo, pytorch) == original
    change = TagChange.objects.filter(sentence_id=pytorch).last()
    assert (change.action, change.user, change.new_tags) == ("take imported", reviewer, original)
    page.reload()
    expect(page.locator("main")).to_contain_text("0 sentences differ")


# --- 8. two reviewers ----------------------------------------------------------------------------


def test_a_stale_edit_shows_the_conflict_and_the_first_reviewers_tags(
    browser, live_server, small, reviewer, django_user_model
):
    bob = django_user_model.objects.create_user("bob", password="browser-pass-456")
    Membership.objects.create(project=small.project, user=bob, role=Membership.Role.REVIEWER)
    first = sid(small, 0)
    contexts = []
    pages = []
    for user in (reviewer, bob):
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        sign_in(context, live_server.url, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        open_document(page, small)
        page.keyboard.press("j")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        pages.append(page)
    rita, bobs = pages
    try:
        assert version(bobs, first) == 1
        press_and_wait_for_version(rita, label_key(rita, "LOC"), first, 2)
        ritas_tags = ["B-PER", "I-PER", "B-LOC", "O", "B-LOC", "O"]
        assert gold_tags(small, first) == ritas_tags

        responses = []
        bobs.on("response", lambda response: responses.append(response.status))
        press_and_wait_for_version(bobs, label_key(bobs, "PER"), first, 2)

        assert 409 in responses
        status = bobs.locator("#status")
        expect(status).to_have_text(
            "This sentence was changed by rita since you loaded it; here it is now."
        )
        expect(status).to_have_class(has_class("warn"))
        assert page_tags(bobs, first) == ritas_tags
        assert span_indexes(bobs, first, "LOC") == [[2], [4]]
        assert gold_tags(small, first) == ritas_tags
        assert row(small, first).version == 2
        assert not TagChange.objects.filter(user=bob).exists()

        # Now that Bob sees the current version, his next edit goes through.
        press_and_wait_for_version(bobs, label_key(bobs, "PER"), first, 3)
        expect(status).to_have_text("")
        assert gold_tags(small, first)[2] == "B-PER"
    finally:
        for context in contexts:
            context.close()


# --- 9. help and focus --------------------------------------------------------------------------


def test_question_mark_opens_the_help_and_the_current_sentence_is_visible(signed_in, small):
    page = signed_in
    open_document(page, small)
    help_dialog = page.locator("dialog#help")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("?")

    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_role("heading")).to_have_text("Keyboard shortcuts")
    rows = help_dialog.locator("tr")
    assert rows.count() >= 12
    for words in ("next / previous sentence", "undo / redo", "mark the sentence reviewed"):
        expect(help_dialog).to_contain_text(words)
    screenshot(page, "help-overlay")
    page.keyboard.press("j")  # keys do nothing while the help is open
    expect(page.locator("article.sentence.current")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    # Chromium gives focus back from the dialog's Close button a moment after closing it, and
    # review.js ignores keys whose target is inside a dialog.
    wait_until(page, "() => !document.activeElement.closest('dialog')")

    page.keyboard.press("j")

    first = sentence(page, sid(small, 0))
    expect(first).to_have_class(current_class())
    assert page.evaluate("document.activeElement.id") == f"sentence-{sid(small, 0)}"
    shadow = first.evaluate("el => getComputedStyle(el).boxShadow")
    assert shadow and shadow != "none"
    outline = token(page, sid(small, 0), 0).evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"

    page.get_by_role("button", name="Shortcuts (?)").click()
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()


# --- 10. escaping --------------------------------------------------------------------------------


def test_markup_in_tokens_renders_as_text_and_runs_nothing(signed_in, reviewer):
    page = signed_in
    document = project_with("Markup", MARKUP, reviewer).documents.get()
    first = sid(document, 0)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_document(page, document)

    def check() -> None:
        text = token(page, first, 0).evaluate("el => el.firstChild.textContent")
        assert text == "<script>alert(1)</script>"
        assert token(page, first, 1).evaluate("el => el.firstChild.textContent") == "{{ 7*7 }}"
        assert page.locator("#sentences script").count() == 0
        assert "49" not in sentence(page, first).inner_text()

    check()
    page.keyboard.press("j")
    page.keyboard.press("Shift+ArrowRight")
    press_and_wait_for_version(page, label_key(page, "PER"), first, 2)  # re-rendered by htmx
    check()
    assert span_indexes(page, first, "PER") == [[0, 1]]
    page.keyboard.press("h")
    expect(page.locator("#history")).to_contain_text("rita · label in gold")
    page.goto(f"/projects/{document.project_id}/search/?q=ends")
    expect(page.locator("section.group")).to_have_count(1)
    page.locator("section.group summary").click()
    expect(page.locator(".occurrences")).to_contain_text("<script>alert(1)</script>")
    assert gold_tags(document, first) == ["B-PER", "I-PER", "O"]
    assert dialogs == []
