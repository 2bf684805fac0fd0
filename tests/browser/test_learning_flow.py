"""A reviewer works with the model's suggestions on the review page (a / x), reviews sentences
from the uncertainty queue, and a retrain job on a real Celery worker refreshes the suggestions:
the page shows the new model version without a reload.

Needs PostgreSQL (or a file SQLite test database) and Redis, as tests/browser/test_models_flow.py.
"""

from __future__ import annotations

import pytest

from annotator.models import GOLD, Job, Membership, Project, SuggestionFeedback, TaggerModel
from annotator.services import editing, jobs, learning
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import DEMO, gold_tags, has_class, project_with, sign_in
from tests.browser.test_models_flow import worker  # noqa: F401 - the real-worker fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

JOB_TIMEOUT = 120_000  # ms: the worker's start-up and the training, on a busy machine
REVIEWED = 60  # gold sentences reviewed before the story, which the first model learned from
EVERY = 3  # retrain after this many newly reviewed sentences (200 by default)


@pytest.fixture
def reviewer(django_user_model, transactional_db):
    return django_user_model.objects.create_user("rita", password="browser-pass-123")


@pytest.fixture
def learned(reviewer, settings, tmp_path):
    """The shipped sample with REVIEWED gold sentences and a first model (live v1) learned from
    them, its suggestions in every sentence; the project retrains every EVERY reviews."""
    settings.MODEL_ROOT = tmp_path / "models"  # the worker's folder too (its fixture)
    project = project_with("RNN article", DEMO, reviewer, role=Membership.Role.REVIEWER)
    document = project.documents.get()
    gold = editing.ensure_working_layer(document)
    for sentence_id in document.sentences.order_by("position").values_list("pk", flat=True)[
        :REVIEWED
    ]:
        editing.mark_reviewed(user=reviewer, layer=gold, sentence_id=sentence_id)
    # Run here, before the worker starts: no broker message, so it runs once, in this process.
    first = Job.objects.create(kind=learning.KIND, project=project, user=reviewer)
    jobs.run_job(first.pk)
    first.refresh_from_db()
    assert first.state == Job.State.DONE, first.error
    Project.objects.filter(pk=project.pk).update(retrain_every=EVERY, learned_reviewed=REVIEWED)
    return document


def sentence_of(token) -> int:
    return int(token.evaluate("el => el.closest('article.sentence').dataset.id"))


def test_a_reviewer_accepts_and_rejects_suggestions_reviews_by_uncertainty_and_the_model_learns(
    page,
    live_server,
    learned,
    worker,  # noqa: F811 - the imported fixture, started after `learned`
    reviewer,
):
    document = learned
    sign_in(page.context, live_server.url, reviewer)
    page.goto(f"/documents/{document.pk}/?layer={GOLD}")
    expect(page.locator("#live-model .live-version")).to_have_text("live v1")

    # Review by uncertainty: the unreviewed sentences, least confident first.
    page.get_by_label("Order").select_option("uncertain")
    expect(page.locator("#queue-note")).to_be_visible()
    queue = page.locator("#sentences article.sentence")
    shown = [float(t.removeprefix("p = ")) for t in queue.locator(".certainty").all_text_contents()]
    assert shown == sorted(shown) and len(shown) >= 3
    suggested = page.locator("#sentences .token.suggested.s-first")  # one per suggestion
    if suggested.count() < 2:
        pytest.fail("the first model agrees with gold in the queue: nothing to decide")

    # a: accept the suggestion under the cursor; it becomes a span of gold.
    first = suggested.first
    sentence_id = sentence_of(first)
    start, end = int(first.get_attribute("data-s-start")), int(first.get_attribute("data-s-end"))
    label = first.get_attribute("data-s-label")
    first.click()
    with page.expect_response(lambda r: r.url.endswith("/suggestions/accept/")) as accepted:
        page.keyboard.press("a")
    assert accepted.value.status == 200
    article = page.locator(f"#sentence-{sentence_id}")
    expect(article.locator(f".token.suggested[data-s-start='{start}']")).to_have_count(0)
    tags = gold_tags(document, sentence_id)
    assert tags[start].endswith(f"-{label}") and all(t.endswith(label) for t in tags[start:end])
    assert SuggestionFeedback.objects.get(accepted=True).label == label

    # x: reject the next one; gold stays as it was, and the outline goes.
    other = suggested.first
    other_id = sentence_of(other)
    other_start = other.get_attribute("data-s-start")
    before = gold_tags(document, other_id)
    other.click()
    with page.expect_response(lambda r: r.url.endswith("/suggestions/reject/")) as rejected:
        page.keyboard.press("x")
    assert rejected.value.status == 200
    expect(
        page.locator(f"#sentence-{other_id} .token.suggested[data-s-start='{other_start}']")
    ).to_have_count(0)
    assert gold_tags(document, other_id) == before
    assert SuggestionFeedback.objects.filter(accepted=False).count() == 1

    # Three sentences reviewed from the queue, from its top (Enter: reviewed, next).
    queue.first.locator(".token").first.click()
    for _ in range(3):
        with page.expect_response(lambda r: r.url.endswith("/review/")) as marked:
            page.keyboard.press("Enter")
        assert marked.value.status == 200
    expect(queue.and_(page.locator(".reviewed"))).to_have_count(3)
    expect(queue.first).to_have_class(has_class("reviewed"))

    # The third review asked for a retrain; the worker runs it and the page offers v2.
    fresh = page.locator("#live-model a.new-suggestions")
    try:
        expect(fresh).to_have_text("new suggestions from live v2: show them", timeout=JOB_TIMEOUT)
    except AssertionError:
        job = Job.objects.filter(kind=learning.KIND).order_by("-pk").first()
        raise AssertionError(
            f"retrain job {job and job.pk} is {job and job.state}: {job and job.error}\n"
            f"{worker.text()[-3000:]}"
        ) from None
    live = TaggerModel.objects.get(name=learning.LIVE_MODEL, version=2)
    assert live.trained_on["sentences"] == REVIEWED + 3  # every reviewed sentence
    fresh.click()
    expect(page.locator("#live-model .live-version")).to_have_text("live v2")
    expect(page.locator("#live-model")).to_contain_text("held-out F1")
    # v2 learnt from every reviewed sentence: its suggestions are in the unreviewed ones.
    page.get_by_label("Order").select_option("uncertain")
    expect(page.locator("#queue-note")).to_be_visible()
    expect(page.locator("#sentences .token.suggested").first).to_be_attached()
