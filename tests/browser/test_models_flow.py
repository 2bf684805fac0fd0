"""A manager trains a CRF and takes its suggestions, from the UI, with a real Celery worker.

The jobs run in a `celery worker --pool=solo` subprocess on Redis (TEST_WORKER_REDIS_URL, as in
tests/services/test_worker.py, flushed before and after). The worker opens the test database, so
this needs PostgreSQL (or a file SQLite test database); with the in-memory SQLite database of
pytest-django it is skipped. The worker is SIGKILLed when the test ends."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from annotator.models import GOLD, Job, Membership, SentenceTags, TagChange, TaggerModel, TagLayer
from annotator.services import editing
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import DEMO, has_class, project_with, sign_in
from tests.workerutil import live_server_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

JOB_TIMEOUT = 90_000  # ms: worker start-up plus training (a few seconds) on a slow machine
REVIEWED = 60  # sentences of the sample's gold layer marked reviewed before training


@pytest.fixture
def worker(redis_db, worker_db_url, tmp_path, monkeypatch):
    """A real worker on Redis; the live server's start_job queues to it. Killed at the end."""
    with live_server_worker(
        "models", worker_db_url, tmp_path, monkeypatch, MODEL_ROOT=str(tmp_path / "models")
    ) as process:
        yield process


@pytest.fixture
def manager(django_user_model, transactional_db):
    return django_user_model.objects.create_user("mona", password="browser-pass-123")


@pytest.fixture
def sample(manager):
    """The shipped sample, with a gold layer of which some sentences are reviewed."""
    document = project_with("RNN article", DEMO, manager, role=Membership.Role.MANAGER)
    document = document.documents.get()
    gold = editing.ensure_working_layer(document)
    for sentence_id in document.sentences.order_by("position").values_list("pk", flat=True)[
        :REVIEWED
    ]:
        editing.mark_reviewed(user=manager, layer=gold, sentence_id=sentence_id)
    return document


def newest_job(kind: str) -> Job:
    return wait_for(
        lambda: Job.objects.filter(kind=kind).order_by("-pk").first(), 10, f"a {kind} job"
    )


def wait_done(page, job: Job, worker) -> None:
    """The job's row, polled by htmx, shows the bar while it runs and "done" at the end."""
    row = page.locator(f"#job-{job.pk}")
    expect(row.locator("progress, .state.done").first).to_be_attached()
    try:
        expect(row.locator(".state")).to_have_class(has_class("done"), timeout=JOB_TIMEOUT)
    except AssertionError:
        job.refresh_from_db()
        raise AssertionError(
            f"job {job.pk} is {job.state}: {job.error}\n{worker.text()[-3000:]}"
        ) from None
    expect(row.locator("progress")).to_have_count(0)


def tags(layer: TagLayer, sentence_id: int) -> list[str]:
    return SentenceTags.objects.get(layer=layer, sentence_id=sentence_id).tags


def test_a_manager_trains_a_crf_preannotates_and_takes_suggestions_span_by_span(
    page, live_server, worker, manager, sample
):
    project = sample.project
    sign_in(page.context, live_server.url, manager)

    # Train a CRF on the reviewed (gold) tags.
    page.goto(f"/projects/{project.pk}/jobs/")
    train = page.locator("form", has=page.locator("input[name=kind][value=train-crf]"))
    train.locator("select[name=layer]").select_option(GOLD)
    train.get_by_role("button", name="Train (a job)").click()
    training = newest_job("train-crf")
    assert training.params["layer"] == GOLD
    wait_done(page, training, worker)
    training.refresh_from_db()
    assert training.state == Job.State.DONE, training.error
    model = TaggerModel.objects.get(project=project)
    assert str(model) == "crf v1"
    assert model.trained_on["layer"] == GOLD
    page.reload()
    model_row = page.locator("table.documents tr", has_text="crf v1")
    expect(model_row).to_be_visible()

    # Pre-annotate all documents (none chosen) with it.
    model_row.get_by_role("button", name="Pre-annotate").click()
    tagging = newest_job("preannotate")
    assert tagging.params == {"model": model.pk, "documents": []}
    wait_done(page, tagging, worker)
    tagging.refresh_from_db()
    assert tagging.state == Job.State.DONE, tagging.error
    suggestions = TagLayer.objects.get(document=sample, name=tagging.result["layer"])
    assert suggestions.name.startswith("suggestions: crf v1 at ")
    assert suggestions.rows.count() == sample.sentences.count()

    # Compare the suggestions with gold and take one region into gold.
    gold = TagLayer.objects.get(document=sample, name=GOLD)
    if not any(
        tags(suggestions, sid) != tags(gold, sid)
        for sid in sample.sentences.values_list("pk", flat=True)
    ):
        pytest.fail("the CRF reproduced gold everywhere: nothing to take")
    query = urlencode({"left": suggestions.name, "right": GOLD})
    page.goto(f"/documents/{sample.pk}/compare/?{query}")
    region = page.locator("form.take").first
    sentence_id = int(region.locator("input[name=sentence]").get_attribute("value"))
    start = int(region.locator("input[name=start]").get_attribute("value"))
    end = int(region.locator("input[name=end]").get_attribute("value"))
    assert tags(suggestions, sentence_id)[start:end] != tags(gold, sentence_id)[start:end]
    before = tags(gold, sentence_id)
    with page.expect_response(lambda r: r.url.endswith(f"/documents/{sample.pk}/take/")) as taken:
        # The layer reads as people name it: "CRF crf v1, 27 Nov 13:05".
        title = re.compile(r"^take left \(CRF crf v1, \d{1,2} \w{3} \d\d:\d\d\)$")
        region.get_by_role("button", name=title).click()
    assert taken.value.status == 200
    article = page.locator(f"#compare-{sentence_id}")
    expect(article.locator(f"form.take input[name=start][value='{start}']")).to_have_count(0)

    after = tags(gold, sentence_id)
    assert after[start:end] == tags(suggestions, sentence_id)[start:end]
    assert after[:start] == before[:start]
    assert after[end:] == before[end:]
    change = TagChange.objects.get(
        layer=gold, sentence_id=sentence_id, user=manager, action__startswith="take"
    )
    assert change.action == f"take {suggestions.name}"
    assert change.old_tags == before
    assert change.new_tags == after
