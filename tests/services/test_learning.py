"""Retrain as you go: every N reviewed gold sentences a job learns from them and refreshes the
suggestions of the sentences not reviewed yet; one such job per project at a time."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotator.models import GOLD, Job, Membership, SentenceTags, TaggerModel
from annotator.nlp import scheme
from annotator.services import corpus, editing, jobs, learning
from tests.paths import DEMO_SAMPLE

SAMPLE = DEMO_SAMPLE


@pytest.fixture
def sample(db, settings, tmp_path, member):
    settings.MODEL_ROOT = tmp_path / "models"
    with SAMPLE.open("rb") as stream:
        project = corpus.import_conll(
            project_name="Learning", files=[(SAMPLE.name, stream)]
        ).project
    Membership.objects.create(project=project, user=member, role=Membership.Role.MANAGER)
    return project


def review(project, user, positions) -> None:
    """Mark gold sentences reviewed as the review page does (the gold copy of the import)."""
    document = project.documents.get()
    gold = editing.ensure_working_layer(document)
    for position in positions:
        sentence_id = document.sentences.get(position=position).pk
        editing.mark_reviewed(user=user, layer=gold, sentence_id=sentence_id)
        learning.note_reviewed(project=project, user=user)


def retrain_jobs(project):
    return list(Job.objects.filter(project=project, kind=learning.KIND).order_by("pk"))


def run(job: Job) -> Job:
    jobs.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_a_retrain_is_asked_for_after_every_n_reviewed_sentences(sample, member) -> None:
    sample.retrain_every = 3
    sample.save()

    review(sample, member, [0, 1])
    assert retrain_jobs(sample) == []
    review(sample, member, [2])
    assert len(retrain_jobs(sample)) == 1
    review(sample, member, [3, 4])  # two more: not yet the next three
    assert len(retrain_jobs(sample)) == 1


def test_early_retrains_come_sooner_then_every_n(sample, member) -> None:
    review(sample, member, range(9))
    assert retrain_jobs(sample) == []
    review(sample, member, [9])  # the first model after ten reviewed sentences
    assert len(retrain_jobs(sample)) == 1
    for job in retrain_jobs(sample):
        run(job)
    review(sample, member, range(10, 20))  # the gap doubles: the next after twenty
    assert len(retrain_jobs(sample)) == 2


def test_requests_while_a_retrain_is_queued_are_served_by_it(sample, member) -> None:
    review(sample, member, range(5))
    first = learning.request_retrain(project=sample, user=member)
    newest = learning.request_retrain(project=sample, user=member)

    assert first == newest  # never a second job while one is active
    assert run(first).state == Job.State.DONE, first.error
    assert len(retrain_jobs(sample)) == 1  # it read the data when it ran: nothing to follow


def test_requests_while_a_retrain_runs_become_one_follow_up(sample, member, monkeypatch) -> None:
    review(sample, member, range(5))
    first = learning.request_retrain(project=sample, user=member)
    train = learning.retraining.train
    during = []

    def reviewer_asks_during_training(*args, **kwargs):
        during.extend(learning.request_retrain(project=sample, user=member) for _ in range(3))
        return train(*args, **kwargs)

    monkeypatch.setattr(learning.retraining, "train", reviewer_asks_during_training)
    assert run(first).state == Job.State.DONE, first.error

    assert [job.pk for job in during] == [first.pk] * 3  # the running job answered them
    follow_ups = retrain_jobs(sample)[1:]
    assert len(follow_ups) == 1 and follow_ups[0].state == Job.State.QUEUED
    monkeypatch.setattr(learning.retraining, "train", train)
    assert run(follow_ups[0]).state == Job.State.DONE
    assert len(retrain_jobs(sample)) == 2  # nothing was asked during the follow-up


def test_the_job_learns_from_reviewed_gold_and_refreshes_the_unreviewed_suggestions(
    sample, member
) -> None:
    review(sample, member, range(20))
    job = run(learning.request_retrain(project=sample, user=member))

    assert job.state == Job.State.DONE, job.error
    model = TaggerModel.objects.get(project=sample, name=learning.LIVE_MODEL)
    assert model.version == 1
    # It learns from all twenty; the F1 is of the same recipe without two of them.
    assert (model.trained_on["sentences"], model.trained_on["held_out_sentences"]) == (20, 2)
    assert 0 <= model.evaluation["micro"]["f1"] <= 1
    rows = SentenceTags.objects.filter(layer__name=learning.LIVE_LAYER)
    assert rows.count() == sample.documents.get().sentence_count
    assert all(0 < r.probability <= 1 for r in rows)
    before = {r.sentence.position: r.version for r in rows.select_related("sentence")}

    review(sample, member, range(20, 30))
    second = run(learning.request_retrain(project=sample, user=member))

    assert second.state == Job.State.DONE, second.error
    assert learning.live_model(sample).version == 2
    after = {r.sentence.position: r.version for r in rows.select_related("sentence")}
    assert all(after[p] == before[p] for p in range(20))  # reviewed: left as they were
    assert all(after[p] == before[p] + 1 for p in range(30, len(after)))  # refreshed
    assert second.result["refreshed"] == len(after) - 30


def test_too_few_reviewed_sentences_fail_with_the_reason(sample, member) -> None:
    review(sample, member, [0])
    job = run(learning.request_retrain(project=sample, user=member))
    assert job.state == Job.State.FAILED
    assert "only 1 reviewed gold sentences" in job.error
    assert not TaggerModel.objects.exists()


def test_reviewing_on_the_page_asks_for_the_retrain_and_the_page_shows_the_model(
    sample, member
) -> None:
    sample.retrain_every = 3
    sample.save()
    document = sample.documents.get()
    client = Client()
    client.force_login(member)
    for position in range(3):
        sentence_id = document.sentences.get(position=position).pk
        response = client.post(
            reverse("annotator-sentence-review", args=[document.pk]),
            {"layer": GOLD, "sentence": sentence_id},
        )
        assert response.status_code == 200
    (job,) = retrain_jobs(sample)
    run(job)

    url = reverse("annotator-document-detail", args=[document.pk])
    page = client.get(url, {"layer": GOLD}).content.decode()
    assert 'Suggestion model <strong class="live-version">live v1</strong>' in page
    assert "held-out F1" in page
    assert "new suggestions from" not in page  # the page already shows v1
    poll = client.get(url, {"fragment": "live-model", "seen": "0"}, HTTP_HX_REQUEST="true")
    assert "new suggestions from live v1: show them" in poll.content.decode()


def test_reviewing_through_the_api_counts_towards_the_retrain_too(sample, member) -> None:
    sample.retrain_every = 2
    sample.save()
    document = sample.documents.get()
    editing.ensure_working_layer(document)
    client = Client()
    client.force_login(member)
    for position in range(2):
        sentence_id = document.sentences.get(position=position).pk
        response = client.post(
            f"/api/v1/documents/{document.pk}/sentences/{sentence_id}/review/",
            {"layer": GOLD, "reviewed": True},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    assert len(retrain_jobs(sample)) == 1


def test_a_rejected_suggestion_is_not_suggested_again_by_the_next_model(sample, member) -> None:
    review(sample, member, range(20))
    run(learning.request_retrain(project=sample, user=member))
    document = sample.documents.get()
    live = document.layers.get(name=learning.LIVE_LAYER)
    gold = {
        r.sentence_id: set(scheme.spans(r.tags, document.scheme))
        for r in SentenceTags.objects.filter(layer__document=document, layer__name=GOLD)
    }
    # The first suggestion still open: one the gold layer does not already have.
    row, span = next(
        (r, s)
        for r in SentenceTags.objects.filter(layer=live, sentence__position__gte=20)
        .select_related("sentence")
        .order_by("sentence__position")
        for s in scheme.spans(r.tags, document.scheme)
        if s not in gold[r.sentence_id]
    )
    client = Client()
    client.force_login(member)
    response = client.post(
        reverse("annotator-suggestion-reject", args=[document.pk]),
        {
            "layer": GOLD,
            "suggest": learning.LIVE_LAYER,
            "sentence": row.sentence_id,
            "start": span.start,
            "end": span.end,
        },
    )
    assert response.status_code == 200, response.content

    run(learning.request_retrain(project=sample, user=member))

    row.refresh_from_db()
    assert row.version == 2  # refreshed by the second model
    suggested = {(s.start, s.end, s.label) for s in scheme.spans(row.tags, document.scheme)}
    assert (span.start, span.end, span.label) not in suggested
    assert [span.start, span.end] not in [c[:2] for c in row.confidence]


def test_the_project_queue_lists_unreviewed_sentences_least_confident_first(sample, member) -> None:
    review(sample, member, range(20))
    run(learning.request_retrain(project=sample, user=member))
    client = Client()
    client.force_login(member)

    page = client.get(reverse("annotator-project-uncertainty", args=[sample.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    shown = [float(p) for p in re.findall(r'<td class="certainty">([0-9.]+)</td>', html)]
    listed = [int(i) for i in re.findall(r'<tr id="uncertain-(\d+)">', html)]
    assert shown == sorted(shown) and len(shown) == len(listed) > 0
    reviewed = set(
        SentenceTags.objects.filter(layer__name=GOLD, reviewed=True).values_list(
            "sentence_id", flat=True
        )
    )
    assert not reviewed & set(listed)  # reviewed sentences are not in the queue
    document = sample.documents.get()
    assert f"/documents/{document.pk}/?layer=gold&amp;order=uncertain" in html
